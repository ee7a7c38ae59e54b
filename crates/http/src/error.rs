//! The one mapping from application errors to HTTP (API.md "Errors").
//!
//! Errors are rendered in two steps: [`ApiError`] decides status, code and message and attaches an
//! [`ErrorPayload`] to the response; the outermost middleware, which knows the request id, writes
//! the JSON body. So the shape is produced in one place even for errors raised by axum itself
//! (unknown route, wrong method) and by layers.

use agora_app::{AppError, ErrorKind};
use agora_domain::FieldError;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// One entry of `details`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Detail {
    /// The offending field (camelCase).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl From<&FieldError> for Detail {
    fn from(error: &FieldError) -> Self {
        Self {
            field: error.field.clone(),
            message: error.message.clone(),
        }
    }
}

/// What an error response says, before the request id is added.
#[derive(Debug, Clone)]
pub struct ErrorPayload {
    /// Machine-readable code.
    pub code: &'static str,
    /// Human message (exact texts from API.md).
    pub error: String,
    /// Field problems; always present (maybe empty) on 400.
    pub details: Option<Vec<Detail>>,
    /// Extra top-level fields (e.g. `retryAfter`, readiness `checks`).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ErrorPayload {
    /// A payload without details or extras.
    pub fn new(code: &'static str, error: impl Into<String>) -> Self {
        Self {
            code,
            error: error.into(),
            details: None,
            extra: serde_json::Map::new(),
        }
    }

    /// The default payload for a status raised outside [`ApiError`] (axum's 404/405, layers).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, error) = match status {
            StatusCode::BAD_REQUEST => ("validation_failed", "Validation failed"),
            StatusCode::UNAUTHORIZED => ("not_authenticated", "Not authenticated"),
            StatusCode::FORBIDDEN => ("insufficient_permissions", "Insufficient permissions"),
            StatusCode::NOT_FOUND => ("not_found", "Not found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed"),
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "Request timeout"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Payload too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "Unsupported media type")
            }
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Rate limit exceeded"),
            StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "Service unavailable"),
            s if s.is_client_error() => ("bad_request", "Bad request"),
            _ => ("internal", "Internal server error"),
        };
        let mut payload = Self::new(code, error);
        if status == StatusCode::BAD_REQUEST {
            payload.details = Some(Vec::new());
        }
        payload
    }

    /// Turns the payload into a bodiless response; the envelope middleware writes the body.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: errors travel in every handler's `Result`, which should stay small.
    payload: Box<ErrorPayload>,
    retry_after: Option<u64>,
    /// `(limit, reset seconds)` of the quota that was exceeded, when known.
    quota: Option<(u32, u64)>,
}

impl ApiError {
    /// An error with an explicit status and payload.
    pub fn new(status: StatusCode, payload: ErrorPayload) -> Self {
        Self {
            status,
            payload: Box::new(payload),
            retry_after: None,
            quota: None,
        }
    }

    /// 429 `rate_limited` with `Retry-After` and `retryAfter` (seconds, at least 1); `quota`
    /// (limit, reset seconds), when known, fills the `*RateLimit-Limit`/`*-Reset` headers.
    pub fn rate_limited(retry_after_secs: u64, quota: Option<(u32, u64)>) -> Self {
        let retry_after = retry_after_secs.max(1);
        let mut payload = ErrorPayload::for_status(StatusCode::TOO_MANY_REQUESTS);
        payload
            .extra
            .insert("retryAfter".into(), retry_after.into());
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            payload: Box::new(payload),
            retry_after: Some(retry_after),
            quota,
        }
    }

    /// 400 `invalid_json`: the body is not JSON at all.
    pub fn invalid_json() -> Self {
        let mut payload = ErrorPayload::new("invalid_json", "Invalid JSON");
        payload.details = Some(Vec::new());
        Self::new(StatusCode::BAD_REQUEST, payload)
    }

    /// 400 `validation_failed` with the given details.
    pub fn validation(details: Vec<Detail>) -> Self {
        let mut payload = ErrorPayload::new("validation_failed", "Validation failed");
        payload.details = Some(details);
        Self::new(StatusCode::BAD_REQUEST, payload)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body: code, message, details.
    pub fn payload(&self) -> &ErrorPayload {
        &self.payload
    }
}

/// The status of each kind of application failure: the only HTTP knowledge about errors. Codes
/// and messages come from the application ([`AppError::code`], [`AppError::message`]), so every
/// API reports the same ones.
fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Validation => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match &error {
            AppError::RateLimited {
                retry_after_secs,
                limit,
                reset_secs,
            } => return Self::rate_limited(*retry_after_secs, limit.zip(*reset_secs)),
            AppError::Unavailable(reason) => {
                tracing::error!(%reason, "dependency unavailable");
            }
            AppError::Unexpected(error) => {
                // The only place internal detail goes: the log, inside the request's span (which
                // carries the request id). The client gets an opaque 500.
                tracing::error!(error = format!("{error:#}"), "unexpected error");
            }
            _ => {}
        }
        let status = status_of(error.kind());
        let mut payload = ErrorPayload::new(error.code(), error.message());
        let details: Vec<Detail> = error.details().iter().map(Detail::from).collect();
        // A 400 always lists its details (maybe none); other statuses only when there are some.
        if status == StatusCode::BAD_REQUEST || !details.is_empty() {
            payload.details = Some(details);
        }
        Self::new(status, payload)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (*self.payload).into_response_with(self.status);
        if let Some(seconds) = self.retry_after {
            let headers = response.headers_mut();
            headers.insert(axum::http::header::RETRY_AFTER, seconds.into());
            headers.insert("x-ratelimit-remaining", 0.into());
            headers.insert("ratelimit-remaining", 0.into());
            if let Some((limit, reset)) = self.quota {
                for (name, value) in [
                    ("x-ratelimit-limit", u64::from(limit)),
                    ("ratelimit-limit", u64::from(limit)),
                    ("x-ratelimit-reset", reset),
                    ("ratelimit-reset", reset),
                ] {
                    headers.insert(name, value.into());
                }
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use agora_domain::FieldError;

    use super::*;

    #[test]
    fn each_kind_of_application_error_has_its_documented_status() {
        let cases = [
            (AppError::from(FieldError::new("q", "too long")), 400),
            (AppError::NotAuthenticated, 401),
            (AppError::AuthenticationFailed, 401),
            (AppError::TokenRevoked, 401),
            (AppError::InsufficientPermissions, 403),
            (AppError::EmailNotVerified, 403),
            (AppError::NotFound, 404),
            (AppError::EmailTaken, 409),
            (AppError::PaymentDeclined, 402),
            (AppError::IdempotencyMismatch, 422),
            (AppError::Unavailable("down".into()), 503),
            (AppError::Unexpected(anyhow::anyhow!("boom")), 500),
        ];
        for (error, status) in cases {
            let code = error.code();
            let api = ApiError::from(error);
            assert_eq!((api.status().as_u16(), api.payload.code), (status, code));
        }
    }

    #[test]
    fn a_400_always_lists_details_and_other_errors_only_when_they_have_some() {
        let validation = ApiError::from(AppError::from(FieldError::new("q", "too long")));
        assert_eq!(validation.payload.details.as_ref().map(Vec::len), Some(1));
        assert!(ApiError::from(AppError::NotFound).payload.details.is_none());
        let conflict = ApiError::from(AppError::Conflict {
            code: "conflict",
            message: "Product was changed by someone else".into(),
            details: vec![FieldError::new("version", "Current version is 2")],
        });
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        assert_eq!(
            conflict.payload.error,
            "Product was changed by someone else"
        );
        assert_eq!(conflict.payload.details.as_ref().map(Vec::len), Some(1));
    }
}
