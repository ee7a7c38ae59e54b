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
        json_body(&bytes).map(Self)
    }
}

/// A JSON body already read (a handler that needs the raw bytes too, e.g. checkout's
/// fingerprint), with [`ApiJson`]'s rejections except the content type's.
pub(crate) fn json_body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    // Syntax first: a truncated body is `invalid_json` even when the part that did arrive
    // already broke a shape rule (an unknown field, say).
    let Ok(mut parsed) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Err(ApiError::invalid_json());
    };
    let mut details = Vec::new();
    forbidden_in_json(&parsed, &mut String::new(), &mut details);
    if !details.is_empty() {
        return Err(ApiError::validation(details));
    }
    // Re-encoded only in the rare case a number was rewritten; the bytes are decoded (not
    // the value) so a shape error keeps serde's path and position in its message.
    let rewritten: Vec<u8>;
    let bytes: &[u8] = if integral_floats_as_integers(&mut parsed) {
        rewritten = serde_json::to_vec(&parsed).map_err(|_| ApiError::invalid_json())?;
        &rewritten
    } else {
        bytes
    };
    match axum::Json::<T>::from_bytes(bytes) {
        Ok(axum::Json(value)) => Ok(value),
        Err(rejection) => Err(reject(rejection)),
    }
}

/// Characters no text field may contain: NUL (PostgreSQL cannot store it in `text`/`jsonb`) and
/// every other control character — C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F) —
/// except tab, line feed and carriage return, which free text (descriptions, markdown) keeps.
/// Checked once for every JSON body ([`ApiJson`]) and every query string
/// ([`query_rejection`]), so no handler and no store sees them.
pub fn forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

const CONTROL_MESSAGE: &str = "must not contain control characters";

fn control_detail(field: String) -> Detail {
    Detail {
        field,
        message: CONTROL_MESSAGE.to_owned(),
    }
}

/// Every string (value or object key) of `value` holding a forbidden character, named by its
/// dotted path from the top-level field (`profile.bio`, `roles.1`; a bad key is named by the path
/// of the object holding it plus the key as sent, with the control characters dropped).
fn forbidden_in_json(value: &serde_json::Value, path: &mut String, details: &mut Vec<Detail>) {
    match value {
        serde_json::Value::String(s) if s.chars().any(forbidden_char) => {
            details.push(control_detail(path.clone()));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                push_segment(path, &i.to_string());
                forbidden_in_json(item, path, details);
                path.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if key.chars().any(forbidden_char) {
                    let clean: String = key.chars().filter(|c| !forbidden_char(*c)).collect();
                    push_segment(path, &clean);
                    details.push(control_detail(path.clone()));
                } else {
                    push_segment(path, key);
                    forbidden_in_json(item, path, details);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// JSON has one number type: `60.0` is the integer 60 to JSON Schema (and so to the OpenAPI
/// document's `"type": "integer"`) and to most clients' encoders, but serde refuses it for an
/// integer field. Rewrites every number with no fractional part that fits an `i64` as an
/// integer; says whether it changed anything.
fn integral_floats_as_integers(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // The bounds are exact in f64: -2^63 and 2^63 (the latter just above i64::MAX).
            if float.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&float)
            {
                #[allow(clippy::cast_possible_truncation)] // integral and in range, checked above
                let integer = float as i64;
                *value = serde_json::Value::from(integer);
                true
            } else {
                false
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            integral_floats_as_integers(item) | changed
        }),
        serde_json::Value::Object(map) => map.values_mut().fold(false, |changed, item| {
            integral_floats_as_integers(item) | changed
        }),
        _ => false,
    }
}

fn push_segment(path: &mut String, segment: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
}

/// A query string whose decoded names or values hold a forbidden character ([`forbidden_char`])
/// is answered 400 `validation_failed` naming each such parameter, before any handler runs (every
/// handler reads its parameters from the query string). Called by the rate-limit middleware for
/// every request it lets through, so no separate layer costs each request a boxed call.
pub(crate) fn query_rejection(
    request: &axum::extract::Request,
) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    let query = request.uri().query()?;
    // A control character can only arrive percent-encoded (or as raw bytes outside printable
    // ASCII); a plain query such as `limit=20` is passed without decoding it.
    if !query
        .bytes()
        .any(|b| b == b'%' || !(0x20..0x7f).contains(&b))
    {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let details: Vec<Detail> = pairs
        .into_iter()
        .filter(|(name, value)| name.chars().chain(value.chars()).any(forbidden_char))
        .map(|(name, _)| control_detail(name.chars().filter(|c| !forbidden_char(*c)).collect()))
        .collect();
    (!details.is_empty()).then(|| ApiError::validation(details).into_response())
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
    fn control_characters_are_named_by_path_and_whitespace_is_kept() {
        let value = serde_json::json!({
            "name": "a\u{0}b",
            "description": "line\n\tnext\r\n",
            "profile": {"bio": "x\u{7}", "ok": "fine"},
            "roles": ["user", "ad\u{1b}min"],
            "price": 3,
            "c1": "\u{85}",
        });
        let mut details = Vec::new();
        forbidden_in_json(&value, &mut String::new(), &mut details);
        let mut fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["c1", "name", "profile.bio", "roles.1"]);
    }

    #[test]
    fn integral_floats_become_integers_and_fractions_stay() {
        let mut value = serde_json::json!({
            "age": 70.0, "nested": [{"n": -0.0}, 2], "half": 0.5, "huge": 1e300, "n": 3
        });
        assert!(integral_floats_as_integers(&mut value));
        assert_eq!(
            value,
            serde_json::json!({"age": 70, "nested": [{"n": 0}, 2], "half": 0.5, "huge": 1e300, "n": 3})
        );
        let mut integers = serde_json::json!({"age": 70, "name": "x"});
        assert!(!integral_floats_as_integers(&mut integers));
    }

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
