//! The gateway's `/ready`: every service behind it, asked live. All members of every routed
//! service ready → 200 `ready`; a service with some members down, or a service without any
//! upstream (its routes answer 503 until one is configured) → 200 `degraded`, naming them; a
//! service with no member ready → 503 `not_ready` naming the failing services.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use agora_http::{Check, CheckStatus, ErrorPayload};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

use super::{
    proxy::Gateway,
    routes,
    upstream::{probe, Probe},
};

/// How long one member may take to answer `/ready`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`: the gateway process answers (its upstreams are `/ready`'s business).
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`.
pub async fn ready(State(gateway): State<Arc<Gateway>>) -> Response {
    let mut round = tokio::task::JoinSet::new();
    for member in gateway.upstreams.distinct_members() {
        let client = gateway.client.clone();
        round.spawn(async move {
            let outcome = probe(&client, &member, PROBE_TIMEOUT).await;
            (member.base.clone(), outcome)
        });
    }
    let mut outcomes = BTreeMap::new();
    while let Some(Ok((base, outcome))) = round.join_next().await {
        outcomes.insert(base, outcome);
    }
    let mut checks = BTreeMap::new();
    let mut failing = Vec::new();
    for service in routes::services() {
        let check = match gateway.upstreams.pool(service) {
            // Hosted here over the services' ports: as ready as they are, and they are checked.
            None if service == "graphql" && gateway.hosts_graphql => check(
                CheckStatus::Up,
                Some("hosted by the gateway over the services (ADR 0035)".into()),
            ),
            None => check(
                CheckStatus::Degraded,
                Some(format!(
                    "no upstream configured (AGORA_{}_URL): its routes answer 503",
                    service.to_uppercase()
                )),
            ),
            Some(pool) => {
                let reasons: Vec<String> = pool
                    .members()
                    .iter()
                    .filter_map(|m| match outcomes.get(&m.base) {
                        Some(Probe::Ready) => None,
                        Some(Probe::NotReady(reason)) => Some(reason.clone()),
                        None => Some(format!("{}: not probed", m.base)),
                    })
                    .collect();
                if reasons.is_empty() {
                    check(CheckStatus::Up, None)
                } else if reasons.len() < pool.members().len() {
                    check(CheckStatus::Degraded, Some(reasons.join("; ")))
                } else {
                    failing.push(service);
                    check(CheckStatus::Down, Some(reasons.join("; ")))
                }
            }
        };
        checks.insert(service.to_owned(), check);
    }
    let checks_json = serde_json::to_value(&checks).unwrap_or_default();
    if !failing.is_empty() {
        let mut payload = ErrorPayload::new(
            "unavailable",
            format!("Service unavailable: {}", failing.join(", ")),
        );
        payload.extra.insert("status".into(), json!("not_ready"));
        payload.extra.insert("failing".into(), json!(failing));
        payload.extra.insert("checks".into(), checks_json);
        return payload.into_response_with(StatusCode::SERVICE_UNAVAILABLE);
    }
    let degraded = checks.values().any(|c| c.status != CheckStatus::Up);
    let status = if degraded { "degraded" } else { "ready" };
    Json(json!({ "status": status, "checks": checks_json })).into_response()
}

fn check(status: CheckStatus, reason: Option<String>) -> Check {
    Check {
        name: String::new(),
        status,
        latency_ms: None,
        reason,
    }
}
