//! Forwarding one request: the route's service, a bearer token checked before anything leaves
//! the gateway, hop-by-hop headers dropped, `X-Forwarded-*`, `X-Request-Id` and `traceparent`
//! set, and both bodies streamed (never collected): a large upload or download passes through in
//! chunks. A service that refuses connections or does not answer within the timeout becomes a
//! 503 in the error envelope, never a 500 and never a hang.

use std::{
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use agora_http::{
    auth::{bearer_token, SharedAuthenticator, VerifiedPrincipal},
    rate_limit::per_ip_always,
    ApiError, ErrorPayload, RequestId,
};
use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use ipnet::IpNet;

use super::{
    routes::{self, Destination},
    traceparent,
    upstream::{describe, Upstreams},
};

/// Everything a forwarded request needs.
pub struct Gateway {
    /// Connection-pooling client (HTTP/1.1, no redirects, no proxy from the environment).
    pub client: reqwest::Client,
    /// Each service's members.
    pub upstreams: Upstreams,
    /// Longest wait for a service's response head.
    pub timeout: Duration,
    /// Verifies bearer tokens with identity's keys.
    pub authenticator: SharedAuthenticator,
    /// Peers whose `X-Forwarded-*` headers are kept (a load balancer in front).
    pub trusted_proxies: Vec<IpNet>,
    /// Whether the gateway answers `POST /graphql` itself (ADR 0035).
    pub hosts_graphql: bool,
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static(traceparent::TRACEPARENT);

/// The gateway's fallback handler: every path but `/health` and `/ready`.
pub async fn forward(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let service = match routes::destination(request.uri().path()) {
        Destination::Service(service) => service,
        Destination::NotFound | Destination::Local => {
            let status = StatusCode::NOT_FOUND;
            return ErrorPayload::for_status(status).into_response_with(status);
        }
    };
    // A schema the gateway hosts takes POST; what else reaches `/graphql` is GraphiQL's page, a
    // page of the web app like any other.
    let service = if service == "graphql" && gateway.hosts_graphql {
        routes::WEB_SERVICE
    } else {
        service
    };
    let (parts, body) = request.into_parts();
    if let Err(rejection) = gateway.check_token(&parts).await {
        return rejection;
    }
    let Some(pool) = gateway.upstreams.pool(service) else {
        return unavailable(
            service,
            &format!(
                "no upstream is configured for it (AGORA_{}_URL)",
                service.to_uppercase()
            ),
        );
    };
    let headers = gateway.upstream_headers(&parts);
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // A request without a body can be sent again to another member; one with a body streams
    // once, so it gets one attempt.
    let empty = body.size_hint().exact() == Some(0);
    let idempotent = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let candidates = pool.candidates();
    // Twice for a single member: a pooled connection a restarted service closed fails once.
    let attempts = if empty { candidates.len().max(2) } else { 1 };
    let mut body = Some(body);
    let mut failure = String::from("no member to try");
    for attempt in 0..attempts {
        let member = &candidates[attempt % candidates.len()];
        let Ok(url) = format!("{}{path}", member.base).parse::<reqwest::Url>() else {
            let status = StatusCode::NOT_FOUND;
            return ErrorPayload::for_status(status).into_response_with(status);
        };
        let mut outgoing = reqwest::Request::new(parts.method.clone(), url);
        *outgoing.headers_mut() = headers.clone();
        if !empty {
            if let Some(body) = body.take() {
                *outgoing.body_mut() = Some(reqwest::Body::wrap(SyncBody(Mutex::new(body))));
            }
        }
        match tokio::time::timeout(gateway.timeout, gateway.client.execute(outgoing)).await {
            Ok(Ok(response)) => {
                member.mark_up();
                return relay(response);
            }
            Ok(Err(error)) => {
                member.mark_down();
                failure = format!("{}: {}", member.base, describe(&error));
                // Refused connections never reached the service: safe to try the next one.
                if !(empty && (error.is_connect() || idempotent)) {
                    break;
                }
            }
            Err(_) => {
                member.mark_down();
                failure = format!("{}: no response within {:?}", member.base, gateway.timeout);
                if !(empty && idempotent) {
                    break;
                }
            }
        }
    }
    unavailable(service, &failure)
}

impl Gateway {
    /// A bearer token must verify (signature, expiry, revocation as far as the gateway can see)
    /// before the request reaches a service; no token passes (the service decides what an
    /// anonymous caller may do). The credential endpoints ignore the header, so the gateway
    /// does too: an expired token sent along with a refresh must not block the refresh.
    async fn check_token(&self, request: &axum::http::request::Parts) -> Result<(), Response> {
        if request.extensions.get::<VerifiedPrincipal>().is_some()
            || per_ip_always(&request.method, request.uri.path())
        {
            return Ok(());
        }
        match bearer_token(&request.headers) {
            Err(error) => Err(error.into_response()),
            Ok(None) => Ok(()),
            Ok(Some(token)) => match self.authenticator.authenticate(token).await {
                Ok(_) => Ok(()),
                Err(error) => Err(ApiError::from(error).into_response()),
            },
        }
    }

    /// The request's headers as the service should see them.
    fn upstream_headers(&self, parts: &axum::http::request::Parts) -> HeaderMap {
        let mut headers = end_to_end(&parts.headers);
        headers.remove(header::HOST);
        // The gateway's server already answered any `100-continue`; the client side does not
        // do the dance, and waiting for it would stall the upload.
        headers.remove(header::EXPECT);
        let peer: Option<IpAddr> = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        // What a trusted proxy in front says is kept; anyone else's claims are replaced.
        let trusted = peer.is_some_and(|ip| self.trusted_proxies.iter().any(|n| n.contains(&ip)));
        if !trusted {
            for name in [&X_FORWARDED_FOR, &X_FORWARDED_PROTO, &X_FORWARDED_HOST] {
                headers.remove(name);
            }
        }
        if let Some(peer) = peer {
            let chain = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
                Some(earlier) => format!("{earlier}, {peer}"),
                None => peer.to_string(),
            };
            if let Ok(value) = HeaderValue::from_str(&chain) {
                headers.insert(X_FORWARDED_FOR, value);
            }
        }
        if !headers.contains_key(&X_FORWARDED_PROTO) {
            headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
        }
        if let Some(host) = parts.headers.get(header::HOST) {
            if !headers.contains_key(&X_FORWARDED_HOST) {
                headers.insert(X_FORWARDED_HOST, host.clone());
            }
        }
        if let Some(id) = parts.extensions.get::<RequestId>() {
            if let Ok(value) = HeaderValue::from_str(id.as_str()) {
                headers.insert(X_REQUEST_ID, value);
            }
        }
        let incoming = parts
            .headers
            .get(&TRACEPARENT)
            .and_then(|v| v.to_str().ok());
        if let Ok(value) = HeaderValue::from_str(&traceparent::next_hop(incoming)) {
            headers.insert(TRACEPARENT, value);
        }
        headers
    }
}

/// The service's response, its body streamed as it arrives.
fn relay(response: reqwest::Response) -> Response {
    let response: axum::http::Response<reqwest::Body> = response.into();
    let (mut parts, body) = response.into_parts();
    parts.headers = end_to_end(&parts.headers);
    Response::from_parts(parts, Body::new(body))
}

/// `headers` without the hop-by-hop ones, including those the `Connection` header names.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| {
            !HOP_BY_HOP.contains(&name.as_str()) && !named.iter().any(|n| n == name.as_str())
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// 503 in the error envelope naming the service; the reason (internal addresses) goes to the
/// log only.
fn unavailable(service: &str, reason: &str) -> Response {
    tracing::warn!(service, reason, "service unavailable");
    let mut payload = ErrorPayload::new(
        "unavailable",
        format!("The {service} service is unavailable; try again shortly"),
    );
    payload
        .extra
        .insert("service".to_owned(), serde_json::Value::from(service));
    let mut response = payload.into_response_with(StatusCode::SERVICE_UNAVAILABLE);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The incoming body as the HTTP client needs it. reqwest wants a `Sync` body and axum's is
/// only `Send`; the mutex is never contended (one poller), `get_mut` does not even lock.
struct SyncBody(Mutex<Body>);

impl HttpBody for SyncBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let body = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Pin::new(body).poll_frame(cx)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-private"),
        );
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let kept = end_to_end(&headers);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept.contains_key("content-type"));
    }
}
