//! Agora's HTTP edge. Each module contributes an axum `Router`; [`app_router`] merges them and wraps
//! every route in one edge service (request id, error envelope, metrics, tracing, timeout, rate
//! limit, security headers, compression, conditional GET; `edge.rs`) and the body limit. All error
//! responses are rendered by [`error`] so every non-2xx answer has the API.md shape.

pub mod analytics;
pub mod auth;
pub mod caching;
pub mod catalog;
mod client_ip;
pub mod content;
mod edge;
mod encoding;
pub mod error;
pub mod events;
pub mod extract;
pub mod flags;
#[cfg(feature = "graphql")]
pub mod graphql;
pub mod health;
pub mod identity;
pub mod internal;
pub mod metrics;
pub mod openapi;
mod openapi_post;
pub mod orders;
pub mod paging;
pub mod platform;
pub mod rate_limit;
mod request_id;
mod rules;
pub mod security;
mod trace;
mod web;
pub mod webhooks;

use std::{sync::Arc, time::Duration};

use agora_domain::ports::RateLimiter;
use axum::{extract::DefaultBodyLimit, Router};

pub use auth::SharedAuthenticator;
pub use client_ip::{ClientIp, ResolvedClientIp};
pub use encoding::{Accepted, Coding};
pub use error::{ApiError, ErrorPayload};
pub use extract::ApiJson;
pub use health::{Check, CheckStatus, ReadinessProbe};
pub use metrics::MetricsSource;
pub use openapi::RestApi;
pub use rate_limit::RateLimitSettings;
pub use request_id::RequestId;
pub use security::SecuritySettings;

/// The default request body cap (API.md: 1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Tunables of the HTTP edge.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Headers, CORS, timeout.
    pub security: SecuritySettings,
    /// Quotas.
    pub rate_limit: RateLimitSettings,
    /// Bearer token `GET /metrics` requires; `None` leaves it open.
    pub metrics_token: Option<String>,
    /// The web app, answering every path no route matched (and `GET /graphql`).
    pub web: agora_web::WebUi,
}

/// What the started modules contribute to the HTTP edge.
pub struct AppParts {
    /// Every module's routes with their OpenAPI operations.
    pub modules: Vec<RestApi>,
    /// Readiness of all modules.
    pub readiness: Arc<dyn ReadinessProbe>,
    /// Token verification (present when a module that verifies tokens runs); what the auth
    /// extractors and the rate limiter ask.
    pub authenticator: Option<SharedAuthenticator>,
    /// Request counting for rate limits.
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    /// Gauges refreshed when `/metrics` is scraped.
    pub metrics: Vec<Arc<dyn MetricsSource>>,
}

/// Every route the app serves — the modules' and the core's (`/health`, `/ready`, `/metrics`,
/// the document and its viewer) — without the cross-cutting layers, and the OpenAPI document of
/// exactly those routes. [`app_router`] serves this; the completeness test reads it.
pub fn served_routes(
    modules: Vec<RestApi>,
    readiness: Arc<dyn ReadinessProbe>,
    metrics_sources: Vec<Arc<dyn MetricsSource>>,
    metrics_token: Option<Arc<str>>,
) -> (Router, openapi::Document) {
    let (routers, documents): (Vec<Router>, Vec<_>) =
        modules.into_iter().map(RestApi::split_for_parts).unzip();
    let document = openapi::document(documents);
    let router = routers
        .into_iter()
        .fold(Router::new(), Router::merge)
        .merge(health::api().split_for_parts().0.with_state(readiness))
        .merge(openapi::routes(&document))
        .merge(metrics::routes(metrics_sources, metrics_token));
    (router, document)
}

/// Which steps of the edge service run. The server always runs [`EdgeLayers::ALL`]; the
/// edge cost budget (`examples/edge_budget.rs`) turns them off one at a time to price each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLayers {
    /// Request id and the error envelope (outermost).
    pub request_id: bool,
    /// RED metrics per route.
    pub metrics: bool,
    /// One `tracing` span per request.
    pub trace: bool,
    /// The request timeout (408).
    pub timeout: bool,
    /// Client IP resolution, quotas and the query-string check.
    pub rate_limit: bool,
    /// Security headers and `no-store` on private responses.
    pub security_headers: bool,
    /// gzip/brotli of large bodies.
    pub compression: bool,
    /// Strong `ETag`s and `If-None-Match` → 304.
    pub conditional_get: bool,
}

impl EdgeLayers {
    /// Every layer: what `agora serve` runs.
    pub const ALL: Self = Self {
        request_id: true,
        metrics: true,
        trace: true,
        timeout: true,
        rate_limit: true,
        security_headers: true,
        compression: true,
        conditional_get: true,
    };
    /// No layer at all: the routes alone.
    pub const NONE: Self = Self {
        request_id: false,
        metrics: false,
        trace: false,
        timeout: false,
        rate_limit: false,
        security_headers: false,
        compression: false,
        conditional_get: false,
    };
}

/// The outermost edge layers alone, for a router that is not the application's (the gateway):
/// a request id on every request and response, the error envelope on every error the router
/// itself produces, and one tracing span per request.
pub fn with_edge_layers(router: Router) -> Router {
    let edge = edge::Edge {
        layers: EdgeLayers {
            request_id: true,
            trace: true,
            ..EdgeLayers::NONE
        },
        statics: security::static_headers(&security::SecuritySettings::default()),
        metrics: metrics::RequestMetrics::new(),
        timeout: Duration::MAX,
        limits: None,
        authenticator: None,
        cors: false,
    };
    router.layer(edge::EdgeLayer(Arc::new(edge)))
}

/// Builds the whole application router from the modules' contributions.
pub fn app_router(parts: AppParts, settings: &HttpSettings) -> Router {
    app_router_with(parts, settings, EdgeLayers::ALL)
}

/// [`app_router`] with only the chosen layers (the cost budget bench; a server runs them all).
pub fn app_router_with(parts: AppParts, settings: &HttpSettings, layers: EdgeLayers) -> Router {
    let AppParts {
        modules,
        readiness,
        authenticator,
        rate_limiter,
        metrics: metrics_sources,
    } = parts;
    let limits = rate_limit::RateLimitState {
        limiter: rate_limiter,
        settings: Arc::new(settings.rate_limit.clone()),
        authenticator: authenticator.clone(),
    };
    let metrics_token = settings.metrics_token.as_deref().map(Arc::<str>::from);
    let (router, _) = served_routes(modules, readiness, metrics_sources, metrics_token);
    let mut router = web::routes(router, settings.web.clone());
    let cors = security::cors(&settings.security);
    let has_cors = cors.is_some();
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    let edge = edge::Edge {
        layers,
        statics: security::static_headers(&settings.security),
        metrics: metrics::RequestMetrics::new(),
        timeout: settings.security.request_timeout,
        limits: Some(limits),
        authenticator,
        cors: has_cors,
    };
    // One `Router::layer` for the whole edge and the body limit: each call of it boxes the
    // route's service again, and a boxed service costs every request a clone and a boxed future.
    // Applied to every route and the fallback, after routing, so the matched route is known.
    router.layer(
        tower::ServiceBuilder::new()
            .layer(edge::EdgeLayer(Arc::new(edge)))
            .layer(DefaultBodyLimit::max(settings.body_limit)),
    )
}
