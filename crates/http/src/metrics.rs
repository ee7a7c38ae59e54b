//! Prometheus metrics: RED metrics per matched route, in-flight requests, and gauges refreshed at
//! scrape time by the modules (pool usage, outbox backlog, process statistics).

use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use async_trait::async_trait;
use axum::{
    extract::{MatchedPath, Request, State},
    http::header::CONTENT_TYPE,
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use utoipa_axum::{router::OpenApiRouter, routes};

/// Something that updates gauges right before a scrape.
#[async_trait]
pub trait MetricsSource: Send + Sync {
    /// Sets the current values.
    async fn refresh(&self);
}

/// Latency buckets in seconds: fine below 10 ms where this service should live, coarse above.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder. Installed once: several apps in one process (tests) share it.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => {
                    metrics_process::Collector::default().describe();
                    describe();
                    handle
                }
                // Another recorder is installed (not ours): render an empty registry rather than fail.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests by method, matched route and status"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency"
    );
    metrics::describe_gauge!("http_requests_in_flight", "HTTP requests being served now");
    metrics::describe_counter!(
        "rate_limit_rejections_total",
        "Requests answered 429, by policy"
    );
    metrics::describe_counter!(
        "rate_limit_backend_errors_total",
        "Rate limiter backend failures (fail open/closed)"
    );
    metrics::describe_gauge!(
        "db_pool_connections",
        "Database pool connections by state (in_use, idle)"
    );
    metrics::describe_gauge!("outbox_pending", "Outbox messages not yet delivered");
    metrics::describe_counter!("cache_hits_total", "Cache hits by cache and level");
    metrics::describe_counter!("cache_misses_total", "Cache misses by cache");
}

/// Records count, latency and in-flight per request. Labels use the matched route template,
/// never the raw path, so ids in URLs cannot explode the number of series.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    // Arbitrary method names would each create series forever; only the standard ones are kept.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "OTHER",
    }
    .to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |p| p.as_str().to_owned());
    let in_flight = metrics::gauge!("http_requests_in_flight");
    in_flight.increment(1.0);
    let started = Instant::now();
    let response = next.run(request).await;
    in_flight.decrement(1.0);
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Guards `GET /metrics` when a scrape token is configured: the request must send
/// `Authorization: Bearer <token>`, else 401 `not_authenticated` (compared in constant time).
/// Without a token the endpoint is open (development; production refuses to start so).
pub(crate) async fn guard(
    State(token): State<Option<Arc<str>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = token else {
        return next.run(request).await;
    };
    let sent = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), token.as_bytes())) {
        return next.run(request).await;
    }
    let status = axum::http::StatusCode::UNAUTHORIZED;
    let mut response = crate::ErrorPayload::for_status(status).into_response_with(status);
    response.headers_mut().insert(
        axum::http::header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer realm=\"metrics\""),
    );
    response
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    sources: Arc<Vec<Arc<dyn MetricsSource>>>,
    process: Arc<metrics_process::Collector>,
}

/// `GET /metrics` with its OpenAPI operation (state: what a scrape reads).
fn api() -> OpenApiRouter<Scrape> {
    OpenApiRouter::new().routes(routes!(render))
}

/// The `/metrics` operation, for the document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// `GET /metrics` in the Prometheus text format.
pub(crate) fn routes(sources: Vec<Arc<dyn MetricsSource>>, token: Option<Arc<str>>) -> Router {
    let scrape = Scrape {
        handle: handle(),
        sources: Arc::new(sources),
        process: Arc::default(),
    };
    // A route layer: only a scrape pays for the check.
    api()
        .split_for_parts()
        .0
        .route_layer(axum::middleware::from_fn_with_state(token, guard))
        .with_state(scrape)
}

/// Prometheus metrics (text exposition format; never rate limited)
///
/// When the server has a scrape token (`metrics.token`, required in production) the request must
/// send it as `Authorization: Bearer <token>`; without one the endpoint is open.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses(
        (status = 200, description = "Metrics in the Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, response = crate::openapi::Unauthorized)
    )
)]
async fn render(State(scrape): State<Scrape>) -> Response {
    for source in scrape.sources.iter() {
        source.refresh().await;
    }
    scrape.process.collect();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        scrape.handle.render(),
    )
        .into_response()
}
