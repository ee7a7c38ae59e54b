//! Liveness (`/health`: the process answers) and readiness (`/ready`: every started module and
//! the dependencies it needs answer). Orchestrators route traffic only to ready replicas.

use std::{collections::BTreeMap, sync::Arc};

use async_trait::async_trait;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Serialize;
use serde_json::json;

use crate::error::ErrorPayload;

/// Outcome of one readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Working.
    Up,
    /// Not working; the replica must not receive traffic.
    Down,
}

/// One module's or dependency's readiness.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Module or dependency name (`store`, `identity`, …).
    #[serde(skip)]
    pub name: String,
    /// Up or down.
    pub status: CheckStatus,
    /// How long the check took, when it made a round trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it is down (operator-facing; never secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Something that can tell whether the process is ready to serve.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// Runs every check.
    async fn checks(&self) -> Vec<Check>;
}

pub(crate) fn routes(probe: Arc<dyn ReadinessProbe>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(probe)
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(State(probe): State<Arc<dyn ReadinessProbe>>) -> Response {
    let checks = probe.checks().await;
    let all_up = checks.iter().all(|c| c.status == CheckStatus::Up);
    let by_name: BTreeMap<&str, &Check> = checks.iter().map(|c| (c.name.as_str(), c)).collect();
    let checks_json = serde_json::to_value(by_name).unwrap_or_default();
    if all_up {
        return Json(json!({ "status": "ready", "checks": checks_json })).into_response();
    }
    let mut payload = ErrorPayload::for_status(StatusCode::SERVICE_UNAVAILABLE);
    payload.extra.insert("status".into(), json!("not_ready"));
    payload.extra.insert("checks".into(), checks_json);
    payload.into_response_with(StatusCode::SERVICE_UNAVAILABLE)
}
