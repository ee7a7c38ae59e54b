//! Request extractors whose rejections speak the API's error shape.

use axum::{
    body::Bytes,
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::{header::CONTENT_TYPE, HeaderMap, StatusCode},
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Detail, ErrorPayload};

/// `axum::Json` with API.md rejections: not JSON → 400 `invalid_json`; JSON of the wrong shape →
/// 400 `validation_failed` naming the field; wrong content type → 415; too big → 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            let status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            return Err(ApiError::new(status, ErrorPayload::for_status(status)));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            ApiError::new(status, ErrorPayload::for_status(status))
        })?;
        // Syntax first: a truncated body is `invalid_json` even when the part that did arrive
        // already broke a shape rule (an unknown field, say).
        if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
            return Err(ApiError::invalid_json());
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn reject(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorPayload::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::invalid_json(),
        JsonRejection::JsonDataError(error) => {
            ApiError::validation(vec![data_error_detail(&error.body_text())])
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorPayload::for_status(StatusCode::PAYLOAD_TOO_LARGE),
        ),
        other => ApiError::new(other.status(), ErrorPayload::for_status(other.status())),
    }
}

/// Serde says e.g. "Failed to deserialize the JSON body into the target type: age: invalid
/// type: string \"x\", expected u8 at line 1 column 10"; keep the field and the reason, drop the
/// Rust type jargon prefix.
fn data_error_detail(text: &str) -> Detail {
    let reason = text
        .split_once("target type: ")
        .map_or(text, |(_, rest)| rest)
        .trim();
    if let Some(field) = reason
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        return Detail {
            field: field.to_owned(),
            message: format!("{field} is required"),
        };
    }
    match reason.split_once(": ") {
        Some((path, message)) if !path.contains(' ') => Detail {
            field: path.to_owned(),
            message: message.to_owned(),
        },
        _ => Detail {
            field: String::new(),
            message: reason.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_type_names_the_field() {
        let detail = data_error_detail(
            "Failed to deserialize the JSON body into the target type: age: invalid type: string \"x\", expected u8 at line 1 column 10",
        );
        assert_eq!(detail.field, "age");
        assert!(detail.message.starts_with("invalid type"));
    }

    #[test]
    fn missing_field_names_the_field() {
        let detail = data_error_detail(
            "Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2",
        );
        assert_eq!(
            detail,
            Detail {
                field: "email".into(),
                message: "email is required".into()
            }
        );
    }
}
