//! Liveness (`/health`: the process answers) and readiness (`/ready`: every started module and
//! the dependencies it needs answer). Orchestrators route traffic only to ready replicas.

use std::{collections::BTreeMap, sync::Arc};

use async_trait::async_trait;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::ErrorPayload;

/// Outcome of one readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Working.
    Up,
    /// Not working, but the replica serves correctly without it (a fallback is in effect, e.g.
    /// rate limits counted per replica while Redis is down); it stays in rotation.
    Degraded,
    /// Not working; the replica must not receive traffic.
    Down,
}

/// One module's or dependency's readiness.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Module or dependency name (`store`, `identity`, …).
    #[serde(skip)]
    pub name: String,
    /// Up, degraded (served by a fallback) or down.
    pub status: CheckStatus,
    /// How long the check took, when it made a round trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it is degraded or down, and what the fallback is (operator-facing; never secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Something that can tell whether the process is ready to serve.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// Runs every check.
    async fn checks(&self) -> Vec<Check>;
}

/// `/health` and `/ready`, with their OpenAPI operations.
pub(crate) fn api() -> OpenApiRouter<Arc<dyn ReadinessProbe>> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// `{"status": "ok"}`.
#[derive(ToSchema)]
#[schema(example = json!({ "status": "ok" }))]
#[allow(dead_code)] // documentation-only: the handler renders the JSON directly
struct Liveness {
    #[schema(inline)]
    status: LivenessStatus,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // documentation-only
enum LivenessStatus {
    Ok,
}

/// Every module and dependency is up, or degraded with a fallback in effect.
#[derive(ToSchema)]
#[schema(example = json!({
    "status": "ready",
    "checks": { "store": { "status": "up", "latencyMs": 0.4 }, "identity": { "status": "up" } }
}))]
#[allow(dead_code)] // documentation-only
struct Readiness {
    /// `ready`, or `degraded` when a dependency is down but a fallback serves in its place.
    #[schema(examples("ready", "degraded"))]
    status: String,
    /// One entry per module or dependency, by name.
    checks: BTreeMap<String, Check>,
}

/// A module or dependency is down: the error envelope plus the checks.
#[derive(ToSchema)]
#[schema(
    rename_all = "camelCase",
    example = json!({
        "error": "Service unavailable", "code": "unavailable", "status": "not_ready",
        "checks": { "store": { "status": "down", "reason": "pool timed out" }, "identity": { "status": "up" } },
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    })
)]
#[allow(dead_code)] // documentation-only
struct NotReady {
    /// `Service unavailable`.
    error: String,
    /// `unavailable`.
    code: String,
    /// Always `not_ready`.
    status: String,
    /// One entry per module or dependency, by name.
    checks: BTreeMap<String, Check>,
    /// The request's id.
    request_id: String,
}

/// Liveness: the process answers
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    responses((status = 200, description = "The process is alive", body = Liveness))
)]
async fn health() -> Response {
    // The same bytes every time: a static body, not a JSON value built and serialised per probe
    // (the allocations showed in /health's profile against a bare handler; ADR 0037).
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        axum::body::Bytes::from_static(br#"{"status":"ok"}"#),
    )
        .into_response()
}

/// Readiness: every started module and the dependencies it needs answer
///
/// Orchestrators send traffic only to replicas that answer 200.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "service",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A module or dependency is down", body = NotReady)
    )
)]
async fn ready(State(probe): State<Arc<dyn ReadinessProbe>>) -> Response {
    let checks = probe.checks().await;
    let any_down = checks.iter().any(|c| c.status == CheckStatus::Down);
    let degraded = checks.iter().any(|c| c.status == CheckStatus::Degraded);
    let by_name: BTreeMap<&str, &Check> = checks.iter().map(|c| (c.name.as_str(), c)).collect();
    let checks_json = serde_json::to_value(by_name).unwrap_or_default();
    if !any_down {
        let status = if degraded { "degraded" } else { "ready" };
        return Json(json!({ "status": status, "checks": checks_json })).into_response();
    }
    let mut payload = ErrorPayload::for_status(StatusCode::SERVICE_UNAVAILABLE);
    payload.extra.insert("status".into(), json!("not_ready"));
    payload.extra.insert("checks".into(), checks_json);
    payload.into_response_with(StatusCode::SERVICE_UNAVAILABLE)
}
