//! Remote stand-ins (ADR 0030): in a split target, a context that runs as another service is
//! replaced by a module publishing the SAME ports in the registry, answered over HTTP by that
//! service (`AGORA_CATALOG_URL`, `AGORA_IDENTITY_URL`), with signed calls
//! (`services.secret`), timeouts, retries and a circuit breaker. A stand-in whose URL or secret
//! is missing refuses to start, naming what to set.

use std::sync::Arc;

use agora_adapters::remote::{
    BreakerState, RemoteCatalog, RemoteSettings, RemoteUserDirectory, ServiceClient,
};
use agora_domain::{
    ports::{catalog::ProductCatalog, identity::UserDirectory, Inventory},
    service_auth::ServiceKey,
};
use agora_http::{Check, CheckStatus};
use async_trait::async_trait;

use super::{Context, Module, Registry};
use crate::config::Config;

/// Catalog's ports over HTTP.
pub struct CatalogRemote;

/// Identity's directory over HTTP.
pub struct IdentityRemote;

impl Context for CatalogRemote {
    fn name(&self) -> &'static str {
        "catalog-remote"
    }

    fn description(&self) -> &'static str {
        "catalog's ports (snapshots, reservations) over HTTP at AGORA_CATALOG_URL"
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        let client = service_client(
            config,
            "catalog",
            config.catalog_url.as_deref(),
            "AGORA_CATALOG_URL",
        )?;
        Ok(Arc::new(CatalogRemoteModule(Arc::new(RemoteCatalog::new(
            client,
        )))))
    }
}

impl Context for IdentityRemote {
    fn name(&self) -> &'static str {
        "identity-remote"
    }

    fn description(&self) -> &'static str {
        "identity's user directory over HTTP at AGORA_IDENTITY_URL"
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        let client = service_client(
            config,
            "identity",
            config.identity_url.as_deref(),
            "AGORA_IDENTITY_URL",
        )?;
        Ok(Arc::new(IdentityRemoteModule(Arc::new(
            RemoteUserDirectory::new(client),
        ))))
    }
}

/// The service key of this deployment, if configured (the internal endpoints refuse without).
pub fn service_key(config: &Config) -> Option<ServiceKey> {
    config
        .services
        .secret
        .as_ref()
        .map(|secret| ServiceKey::new(secret.expose()))
}

/// A signed client of `service` at `url` with the deployment's timeouts, retries and breaker;
/// a missing URL or secret is an error naming what to set.
pub fn service_client(
    config: &Config,
    service: &'static str,
    url: Option<&str>,
    variable: &str,
) -> anyhow::Result<ServiceClient> {
    let Some(url) = url else {
        anyhow::bail!(
            "this target uses {service} but does not run it: set {variable} to the {service} \
             service's base URL (e.g. http://127.0.0.1:3002), or run `--target all`"
        );
    };
    let Some(key) = service_key(config) else {
        anyhow::bail!(
            "this target calls the {service} service, and calls between services are signed: \
             set AGORA_SERVICES__SECRET (services.secret) to the secret every service of the \
             deployment shares"
        );
    };
    let services = &config.services;
    let settings = RemoteSettings {
        timeout: services.timeout,
        attempts: services.attempts,
        breaker_threshold: services.breaker_threshold,
        breaker_open_for: services.breaker_open_for,
        ..RemoteSettings::default()
    };
    ServiceClient::new(service, url, key, settings).map_err(|e| anyhow::anyhow!(e))
}

fn breaker_check(name: &str, state: BreakerState) -> Check {
    // Open: calls fail fast with 503 until a probe succeeds. The process stays ready — its
    // other routes work, and taking it out of rotation would not bring the service back.
    let reason = (state != BreakerState::Closed)
        .then(|| format!("circuit {state:?}: calls fail fast until the service answers"));
    Check {
        name: name.to_owned(),
        status: CheckStatus::Up,
        latency_ms: None,
        reason,
    }
}

struct CatalogRemoteModule(Arc<RemoteCatalog>);

#[async_trait]
impl Module for CatalogRemoteModule {
    fn name(&self) -> &'static str {
        "catalog-remote"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        registry.provide(self.0.clone() as Arc<dyn ProductCatalog>);
        registry.provide(self.0.clone() as Arc<dyn Inventory>);
        registry.provide(self.0.clone());
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        vec![breaker_check(
            "catalog-remote",
            self.0.client().breaker().state(),
        )]
    }
}

struct IdentityRemoteModule(Arc<RemoteUserDirectory>);

#[async_trait]
impl Module for IdentityRemoteModule {
    fn name(&self) -> &'static str {
        "identity-remote"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        registry.provide(self.0.clone() as Arc<dyn UserDirectory>);
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        vec![breaker_check(
            "identity-remote",
            self.0.client().breaker().state(),
        )]
    }
}
