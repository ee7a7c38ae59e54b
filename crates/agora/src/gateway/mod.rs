//! `agora serve --target gateway`: the one public port in front of split services or monolith
//! replicas (ADR 0032). It routes by path prefix ([`routes`]), verifies bearer tokens with
//! identity's JWKS, applies the rate limits through the limiter port (Redis when configured, so
//! several gateways share them), propagates `X-Request-Id` and `traceparent`, aggregates `/ready`
//! and streams bodies. It opens no database: the target is the gateway and the HTTP server only.

#[cfg(feature = "graphql")]
mod graphql;
mod proxy;
mod ready;
pub mod routes;
mod traceparent;
mod upstream;

use std::{sync::Arc, sync::Mutex, time::Duration};

use agora_adapters::{
    ratelimit::{FailoverRateLimiter, RedisRateLimiter},
    redis::RedisManager,
};
use agora_domain::ports::RateLimiter;
use agora_http::rate_limit::{enforce, RateLimitState};
use async_trait::async_trait;
use axum::{middleware, routing::get, Router};
use serde::{Deserialize, Serialize};

use crate::{
    config::Config,
    modules::{EdgeRouter, Module, Registry},
};
pub use proxy::Gateway;
use upstream::{Pool, Upstreams};

/// The gateway's section (`[gateway]`, `AGORA_GATEWAY__*`). Services' own URLs are the
/// top-level `AGORA_<SERVICE>_URL` keys every target reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Comma-separated base URLs answering every service that has no URL of its own: the
    /// monolith replicas of `agora dev --topology mono --replicas N`.
    pub upstreams: Option<String>,
    /// Longest wait for a service's response head; then 503 (e.g. `5s`).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Longest wait for a TCP connection to a service.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            upstreams: None,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
        }
    }
}

/// Comma-separated `http://` base URLs, checked.
fn parse_urls(key: &str, list: &str) -> anyhow::Result<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| anyhow::anyhow!("`{key}`: `{url}` is not a URL: {e}"))?;
            anyhow::ensure!(
                parsed.scheme() == "http" && parsed.host().is_some(),
                "`{key}`: `{url}` must be an http:// base URL inside the cluster network"
            );
            Ok(url.trim_end_matches('/').to_owned())
        })
        .collect()
}

/// Each routed service's pool: its own `AGORA_<SERVICE>_URL`, else the default pool.
fn upstreams(config: &Config, settings: &GatewayConfig) -> anyhow::Result<Upstreams> {
    let default = match &settings.upstreams {
        Some(list) => Some(Arc::new(Pool::new(parse_urls("gateway.upstreams", list)?))),
        None => None,
    };
    let mut upstreams = Upstreams::default();
    for service in routes::services() {
        let own = config.service_url(service);
        let pool = match own {
            Some(list) => Some(Arc::new(Pool::new(parse_urls(
                &format!("{service}_url"),
                &list,
            )?))),
            None => default.clone(),
        };
        if let Some(pool) = pool.filter(|p| !p.members().is_empty()) {
            upstreams.insert(service, pool);
        }
    }
    anyhow::ensure!(
        upstreams.iter().next().is_some(),
        "the gateway has nowhere to send requests: set AGORA_GATEWAY__UPSTREAMS (replicas \
         answering everything) or the services' AGORA_<SERVICE>_URL (see `agora targets`)"
    );
    Ok(upstreams)
}

/// The gateway as a module: builds the router the HTTP module serves, runs the prober.
pub struct GatewayModule {
    config: Config,
    settings: GatewayConfig,
    stop: Mutex<Option<tokio::sync::watch::Sender<bool>>>,
}

impl GatewayModule {
    /// The module for this configuration (its section checked now).
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            config: config.clone(),
            settings: config.section("gateway")?,
            stop: Mutex::new(None),
        })
    }
}

#[async_trait]
impl Module for GatewayModule {
    fn name(&self) -> &'static str {
        crate::modules::GATEWAY
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let upstreams = upstreams(&self.config, &self.settings)?;
        // Tokens are verified with identity's JWKS: its own URL, else the first upstream
        // answering identity's routes (a monolith replica).
        let mut verifier_config = self.config.clone();
        if verifier_config.identity_url.is_none() {
            verifier_config.identity_url = upstreams
                .pool("identity")
                .and_then(|pool| pool.members().first())
                .map(|member| member.base.clone());
        }
        let limiter: Arc<dyn RateLimiter> = match &self.config.redis_url {
            Some(url) => {
                let redis = RedisManager::connect(url.expose(), &self.config.redis_prefix).await?;
                // The services behind count the same requests under their own keys; the
                // gateway's own namespace keeps a request from being counted twice against one
                // quota (ADR 0032).
                let prefix = format!("{}gateway:", redis.prefix());
                registry.provide(redis.clone());
                Arc::new(FailoverRateLimiter::new(Arc::new(RedisRateLimiter::new(
                    redis.commands(),
                    &prefix,
                ))))
            }
            None => crate::modules::rate_limiter(None),
        };
        let authenticator = crate::modules::token_authenticator(&verifier_config, registry).await?;
        let client = reqwest::Client::builder()
            .connect_timeout(self.settings.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        let members = upstreams.distinct_members();
        let settings = crate::modules::rate_limit_settings(&self.config);
        #[cfg(feature = "graphql")]
        let graphql = graphql::router(&self.config, &upstreams, authenticator.clone())?;
        let gateway = Arc::new(Gateway {
            client: client.clone(),
            upstreams,
            timeout: self.settings.timeout,
            authenticator: authenticator.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            #[cfg(feature = "graphql")]
            hosts_graphql: graphql.is_some(),
            #[cfg(not(feature = "graphql"))]
            hosts_graphql: false,
        });
        let limits = RateLimitState {
            limiter: Some(limiter),
            settings: Arc::new(settings),
            authenticator: Some(authenticator.clone()),
        };
        #[allow(unused_mut)] // without the graphql feature nothing is added
        let mut router = Router::new()
            .route("/health", get(ready::health))
            .route("/ready", get(ready::ready));
        #[cfg(feature = "graphql")]
        if let Some(graphql) = graphql {
            // POST is the schema; other methods (GraphiQL's GET) go where they always went.
            router = router.route(
                "/graphql",
                axum::routing::post_service(graphql).fallback(proxy::forward),
            );
        }
        let router = router
            .fallback(proxy::forward)
            .with_state(gateway)
            .layer(middleware::from_fn_with_state(limits, enforce));
        registry.provide(EdgeRouter(agora_http::with_edge_layers(router)));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(upstream::run_prober(client, members, stopped));
        *self.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(true);
        }
        Ok(())
    }
}
