//! `/graphql` in front of split services (ADR 0035): no service runs every context, so the
//! gateway — which opens no database but knows every service's URL — hosts the schema itself.
//! Each context's port is answered by its service over a signed `/internal/graphql/<context>`
//! call that forwards the caller's `Authorization` and request id; the service verifies the
//! token itself and runs the same in-process implementation the monolith does.
//!
//! When `/graphql` has an upstream of its own (`AGORA_GRAPHQL_URL`, or monolith replicas as
//! `gateway.upstreams`), the gateway forwards to it instead, as before.

use std::sync::Arc;

use agora_adapters::remote::ServiceClient;
use agora_domain::ports::PortError;
use agora_http::{
    graphql::{
        ports::Scope,
        wire::{Answer, Transport},
        GraphqlServices,
    },
    SharedAuthenticator,
};
use async_trait::async_trait;
use axum::{Extension, Router};

use super::upstream::Upstreams;
use crate::config::Config;

/// A service's GraphQL ports over its signed internal endpoint.
struct ServiceTransport(ServiceClient);

#[async_trait]
impl Transport for ServiceTransport {
    async fn send(
        &self,
        path: &str,
        scope: &Scope,
        body: serde_json::Value,
        idempotent: bool,
    ) -> Result<Answer, PortError> {
        let mut headers = Vec::new();
        if let Some(authorization) = &scope.authorization {
            headers.push(("authorization", authorization.clone()));
        }
        if let Some(id) = &scope.request_id {
            headers.push(("x-request-id", id.clone()));
        }
        self.0
            .call_with(reqwest::Method::POST, path, &body, &headers, idempotent)
            .await
    }
}

/// The `/graphql` router the gateway hosts, or `None` when `/graphql` has an upstream to forward
/// to. A context whose service has no URL answers `unavailable`, as in any process without it.
pub fn router(
    config: &Config,
    upstreams: &Upstreams,
    authenticator: SharedAuthenticator,
) -> anyhow::Result<Option<Router>> {
    if upstreams.pool("graphql").is_some() {
        return Ok(None);
    }
    if crate::modules::service_key(config).is_none() {
        // The services refuse unsigned internal calls; `/graphql` stays a 503 naming the fix.
        tracing::warn!(
            "/graphql is not hosted: set AGORA_SERVICES__SECRET (the services' shared secret) \
             or AGORA_GRAPHQL_URL"
        );
        return Ok(None);
    }
    let transport = |service: &'static str| -> anyhow::Result<Option<Arc<dyn Transport>>> {
        // The first member: a service's replicas answer alike, and its breaker guards it.
        let Some(base) = upstreams
            .pool(service)
            .and_then(|pool| pool.members().first().map(|m| m.base.clone()))
        else {
            return Ok(None);
        };
        let variable = format!("AGORA_{}_URL", service.to_uppercase());
        let client = crate::modules::service_client(config, service, Some(&base), &variable)?;
        Ok(Some(Arc::new(ServiceTransport(client))))
    };
    let services = GraphqlServices::remote(
        transport("identity")?,
        transport("catalog")?,
        transport("orders")?,
        transport("content")?,
    );
    let limits = crate::modules::graphql::limits(config)?;
    // The handler reads the caller like any server's: through the installed authenticator
    // (the rate limiter in front may already have verified the token).
    let router = agora_http::graphql::router(services, limits).layer(Extension(authenticator));
    Ok(Some(router))
}
