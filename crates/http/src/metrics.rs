//! Prometheus metrics: RED metrics per matched route, in-flight requests, and gauges refreshed at
//! scrape time by the modules (pool usage, outbox backlog, process statistics).

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock, RwLock},
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
use metrics::{Counter, Gauge, Histogram};
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
                    spawn_upkeep(handle.clone());
                    handle
                }
                // Another recorder is installed (not ours): render an empty registry rather than fail.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// How often recorded latencies are folded into the histograms' buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the recorded latencies into their buckets every [`UPKEEP_EVERY`]. The recorder keeps
/// each histogram sample (8 bytes) until upkeep drains it, and without upkeep only a scrape did:
/// an unscraped server grew by ~8 bytes per request, about 35 MB over one `bench/compare` run
/// (ADR 0037). A thread rather than a task: the recorder is process-wide and may be installed
/// outside a runtime (tests, the CLI); it sleeps between drains and never touches a request.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        });
    if let Err(error) = spawned {
        // Still correct without it (a scrape drains too), only not bounded between scrapes.
        tracing::warn!(%error, "cannot start the metrics upkeep thread");
    }
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

/// The RED metrics' handles, resolved once per (method, status, route) and then reused: a
/// handle is an atomic in the recorder's registry, so a request costs a map read and three atomic
/// updates instead of building label strings and hashing a key into the registry each time.
#[derive(Clone)]
pub(crate) struct RequestMetrics(Arc<Handles>);

/// Per (method, status), the handles of each matched route template.
type HandlesByRoute = HashMap<(&'static str, u16), HashMap<Box<str>, RouteHandles>>;

struct Handles {
    in_flight: Gauge,
    per_route: RwLock<HandlesByRoute>,
}

#[derive(Clone)]
struct RouteHandles {
    requests: Counter,
    latency: Histogram,
}

impl RequestMetrics {
    /// Handles on the process-wide recorder (installed here if it is not yet).
    pub(crate) fn new() -> Self {
        let _ = handle();
        Self(Arc::new(Handles {
            in_flight: metrics::gauge!("http_requests_in_flight"),
            per_route: RwLock::default(),
        }))
    }

    /// The first request of a (method, status, route): registers its series. Routes are
    /// templates and methods and statuses are bounded, so the map stays small.
    fn register(&self, method: &'static str, status: u16, route: &str) -> RouteHandles {
        let labels = [
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        let handles = RouteHandles {
            requests: metrics::counter!("http_requests_total", &labels),
            latency: metrics::histogram!("http_request_duration_seconds", &labels),
        };
        self.0
            .per_route
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry((method, status))
            .or_default()
            .insert(route.into(), handles.clone());
        handles
    }
}

/// The method label: arbitrary method names would each create series forever, so only the
/// standard ones are kept.
pub(crate) fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

/// A request being served: counted in `http_requests_in_flight` until dropped (also when the
/// client goes away and the request's future is dropped unfinished).
pub(crate) struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

impl RequestMetrics {
    /// Counts a request in flight until the guard is dropped.
    pub(crate) fn in_flight(&self) -> InFlight<'_> {
        self.0.in_flight.increment(1.0);
        // Borrowed, not cloned: a handle clone is two more atomic updates per request on a
        // cache line every worker shares.
        InFlight(&self.0.in_flight)
    }

    /// Counts a finished request and its latency. Labels use the matched route template
    /// (`<unmatched>` without one), never the raw path, so ids in URLs cannot explode the number
    /// of series.
    pub(crate) fn record(
        &self,
        method: &'static str,
        status: u16,
        route: Option<&MatchedPath>,
        started: Instant,
    ) {
        let route = route.map_or("<unmatched>", MatchedPath::as_str);
        let latency = started.elapsed().as_secs_f64();
        // Updated under the read lock rather than cloned out of it (a clone and a drop of each
        // handle are atomic updates too, on lines shared by every worker).
        let known = self
            .0
            .per_route
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(method, status))
            .and_then(|routes| routes.get(route))
            .map(|handles| {
                handles.requests.increment(1);
                handles.latency.record(latency);
            })
            .is_some();
        if !known {
            let handles = self.register(method, status, route);
            handles.requests.increment(1);
            handles.latency.record(latency);
        }
    }
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
