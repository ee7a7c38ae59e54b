//! The internal service API (ADR 0030): what split targets call on each other to answer the
//! published ports (`ProductCatalog`, `Inventory`, `UserDirectory`) across processes. Not in the
//! public OpenAPI document, not rate-limited per client (only signed callers get in), and never
//! routed by a gateway. Every request must carry a valid service signature
//! ([`agora_domain::service_auth`]); without a configured secret every request is refused.

mod catalog;
mod identity;

use agora_domain::service_auth::{ServiceKey, HEADER};
use axum::{
    body::Body,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};

pub use catalog::catalog_api;
pub use identity::identity_api;

use crate::error::{ApiError, ErrorPayload};

/// The largest internal request body read for verification (a 1000-id batch is ~40 KiB).
const MAX_BODY: usize = 1024 * 1024;

/// Refuses any request whose signature is missing, malformed, stale or wrong with 401 in the
/// error shape; with no secret configured (`services.secret`) refuses everything.
pub async fn require_signature(
    State(key): State<Option<ServiceKey>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = key else {
        tracing::warn!(
            "internal call refused: no service secret configured (services.secret / \
             AGORA_SERVICES__SECRET)"
        );
        return unauthenticated();
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorPayload::for_status(StatusCode::PAYLOAD_TOO_LARGE),
        )
        .into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let header = parts.headers.get(HEADER).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(error) = key.verify(header, parts.method.as_str(), &path, &bytes, now) {
        tracing::warn!(%error, %path, "internal call refused");
        return unauthenticated();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn unauthenticated() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorPayload::for_status(StatusCode::UNAUTHORIZED),
    )
    .into_response()
}
