//! One span per request with method, matched route (never the raw path: it may hold ids and
//! tokens and explodes cardinality), request id, status and latency. The edge ([`crate::edge`])
//! opens it; at a level that disables it (`warn`, the benchmarks' and a quiet production's) the
//! callsite's interest is cached, so a request pays one check and no field is formatted.

use std::time::Duration;

use axum::{extract::MatchedPath, extract::Request};
use tracing::Span;

use crate::RequestId;

/// The request's span (disabled, and then free, when `info` is off).
pub(crate) fn make_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("<unmatched>", MatchedPath::as_str);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map_or("", RequestId::as_str);
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// Closes the request's record: status and latency on the span, and one event inside it.
pub(crate) fn on_response(span: &Span, status: u16, latency: Duration) {
    if span.is_disabled() {
        return;
    }
    span.record("status", status);
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
    span.in_scope(|| tracing::info!("request completed"));
}
