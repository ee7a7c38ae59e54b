//! Agora's HTTP edge. Each module contributes an axum `Router`; [`app_router`] merges them and wraps
//! the result in the cross-cutting layers (request id, error envelope, tracing, body limit). All
//! error responses are rendered by [`error`] so every non-2xx answer has the API.md shape.

pub mod auth;
mod client_ip;
pub mod error;
pub mod extract;
pub mod health;
pub mod identity;
pub mod paging;
pub mod platform;
mod request_id;
mod trace;

use std::sync::Arc;

use axum::{extract::DefaultBodyLimit, middleware, Extension, Router};

pub use auth::SharedAuthenticator;
pub use client_ip::ClientIp;
pub use error::{ApiError, ErrorPayload};
pub use extract::ApiJson;
pub use health::{Check, CheckStatus, ReadinessProbe};
pub use request_id::RequestId;

/// The default request body cap (API.md: 1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Tunables of the HTTP edge.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

/// Builds the whole application router from the modules' routers. `authenticator` (present when a
/// module that verifies tokens runs) is what the auth extractors ask.
pub fn app_router(
    modules: Vec<Router>,
    readiness: Arc<dyn ReadinessProbe>,
    authenticator: Option<SharedAuthenticator>,
    settings: &HttpSettings,
) -> Router {
    let api = modules.into_iter().fold(Router::new(), Router::merge);
    let mut router = api
        .merge(health::routes(readiness))
        .fallback(|| async { ApiError::from(agora_app::AppError::NotFound) });
    if let Some(authenticator) = authenticator {
        router = router.layer(Extension(authenticator));
    }
    router
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(trace::layer())
        // Outermost: every response, including the fallback and layer rejections, gets a request
        // id and the error envelope.
        .layer(middleware::from_fn(request_id::assign_and_render))
}
