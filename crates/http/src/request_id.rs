use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderName, HeaderValue},
    response::Response,
};
use http_body_util::BodyExt as _;
use serde_json::{json, Value};

use crate::error::ErrorPayload;

/// The header carrying the request id, both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, available to handlers and layers as an extension. Held as the
/// header value it travels in, so the request, its extension and its response share one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id as text (always ASCII: checked or generated so).
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// A client-supplied id is echoed only if it is short and harmless to log and forward.
fn is_sane(candidate: &str) -> bool {
    (1..=128).contains(&candidate.len())
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// A new request id: a UUIDv7 (time-ordered, so ids sort by arrival in logs) from the wall clock
/// and the thread's random generator. `Uuid::now_v7` takes a process-wide lock and makes a
/// `getrandom` system call for every id, which showed in the CPU profile of `/health` under load.
fn fresh_id() -> HeaderValue {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        });
    let random: [u8; 10] = rand::random();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The request's id: the client's `X-Request-Id` when it [`is_sane`], a fresh one otherwise; set
/// on the request (header and [`RequestId`] extension) and returned for the response.
pub(crate) fn assign(request: &mut Request) -> HeaderValue {
    let sent = request
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|v| v.to_str().is_ok_and(is_sane))
        .cloned();
    let id = match sent {
        Some(id) => id,
        None => {
            let id = fresh_id();
            request
                .headers_mut()
                .insert(X_REQUEST_ID.clone(), id.clone());
            id
        }
    };
    request.extensions_mut().insert(RequestId(id.clone()));
    id
}

/// Makes sure an error response carries the API.md envelope with `request_id`.
pub(crate) async fn render_error(response: Response, request_id: &str) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let payload = match response.extensions().get::<ErrorPayload>() {
        Some(payload) => payload.clone(),
        // A handler's own JSON error body is left alone; a bare or plain-text status from axum
        // or a layer gets the default payload for its status.
        None if response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|ct| ct.as_bytes().starts_with(b"application/json")) =>
        {
            return response
        }
        None => ErrorPayload::for_status(status),
    };
    let (mut parts, body) = response.into_parts();
    // Drain whatever plain-text body axum attached (e.g. its 405 text) so it never leaks.
    let _ = body.collect().await;
    let body = envelope(payload, request_id);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    Response::from_parts(parts, Body::from(body.to_string()))
}

fn envelope(payload: ErrorPayload, request_id: &str) -> Value {
    let mut body = json!({ "error": payload.error, "code": payload.code, "requestId": request_id });
    if let (Some(details), Some(map)) = (payload.details, body.as_object_mut()) {
        map.insert(
            "details".into(),
            serde_json::to_value(details).unwrap_or_default(),
        );
    }
    if let Some(map) = body.as_object_mut() {
        for (key, value) in payload.extra {
            map.entry(key).or_insert(value);
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_distinct_time_ordered_uuids() {
        let (a, b) = (fresh_id(), fresh_id());
        assert_ne!(a, b);
        for id in [a.to_str().unwrap(), b.to_str().unwrap()] {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 7, "{id}");
            assert!(is_sane(id));
        }
    }

    #[test]
    fn only_short_plain_ids_are_echoed() {
        assert!(is_sane("0193a3f0-7d1e-7000-8000-000000000000"));
        assert!(is_sane("trace:abc_1.2"));
        assert!(!is_sane(""));
        assert!(!is_sane("has space"));
        assert!(!is_sane("line\nbreak"));
        assert!(!is_sane(&"x".repeat(129)));
    }
}
