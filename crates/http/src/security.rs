//! Response hardening and transport concerns: security headers, CORS allowlist, request timeout,
//! compression (gzip/brotli, ≥ 1 KiB, opt-out with `x-no-compression`).

use std::{sync::Arc, time::Duration};

use crate::EdgeLayers;
use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, Method},
    middleware::{self, Next},
    response::Response,
    Router,
};
use tower_http::{
    compression::{
        predicate::{NotForContentType, Predicate, SizeAbove},
        CompressionLayer,
    },
    cors::{AllowOrigin, CorsLayer},
};

/// Scripts, styles and data only from our own origin; the SPA and the API docs are served from
/// it. `frame-ancestors 'none'` forbids framing (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// No page of ours uses the camera, microphone, geolocation or payment APIs; embedded content
/// may not either.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// Whether a response may carry tokens or personal data: every request that presents
/// credentials (`Authorization`; what it answers is the caller's or, for admins, other
/// people's), and every credential endpoint (`/api/auth/…`, sign-up at `POST /api/users`),
/// which hand out tokens or speak about an account even when called without one.
fn private(request: &Request) -> bool {
    let path = request.uri().path();
    request.headers().contains_key(header::AUTHORIZATION)
        || path.starts_with("/api/auth/")
        || path == "/api/users"
        || path.starts_with("/api/users/")
        || path.starts_with("/api/admin/")
}

/// The headers every response carries (unless its handler set them), built once.
type StaticHeaders = Arc<[(HeaderName, HeaderValue)]>;

/// One middleware for every security header, instead of a layer per header: the static ones
/// (added where the handler set none), and `Cache-Control: no-store` on [`private`] responses
/// (replacing any other caching directive; one that already forbids storing, e.g.
/// `private, no-store`, is kept), so neither the browser nor a shared cache keeps tokens or
/// personal data.
async fn security_headers(
    State(statics): State<StaticHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let private = private(&request);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in statics.iter() {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let already = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        });
    if private && !already {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Settings of this layer group.
#[derive(Debug, Clone)]
pub struct SecuritySettings {
    /// Longest a request may take before a 408.
    pub request_timeout: Duration,
    /// Origins allowed to call the API from a browser (`https://app.example.com`); none = no CORS.
    pub cors_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            hsts: false,
        }
    }
}

/// The request timeout; applied inside the error envelope so a 408 gets the JSON shape.
pub(crate) fn timeout(settings: &SecuritySettings) -> tower_http::timeout::TimeoutLayer {
    tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        settings.request_timeout,
    )
}

/// Wraps `router` (which already includes the error envelope) in these layers (those of
/// `layers` that are on; CORS, when configured, always).
pub(crate) fn apply(router: Router, settings: &SecuritySettings, layers: EdgeLayers) -> Router {
    let mut router = router;
    if !settings.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = settings
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    HeaderName::from_static("idempotency-key"),
                ])
                .expose_headers([
                    HeaderName::from_static("x-request-id"),
                    HeaderName::from_static("retry-after"),
                    HeaderName::from_static("x-ratelimit-remaining"),
                ])
                .max_age(Duration::from_secs(600)),
        );
    }
    let mut statics = vec![
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("permissions-policy", PERMISSIONS_POLICY),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    if settings.hsts {
        statics.push((
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ));
    }
    let statics: StaticHeaders = statics
        .into_iter()
        .map(|(name, value)| {
            (
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )
        })
        .collect();
    if layers.security_headers {
        router = router.layer(middleware::from_fn_with_state(statics, security_headers));
    }
    if layers.compression {
        // Without the `brotli` feature tower-http knows no `br` and answers gzip or identity.
        let compress_when = SizeAbove::new(1024)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE);
        router = router.layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(compress_when),
        );
    }
    if layers.conditional_get {
        // Outside compression, so that each encoding gets its own validator.
        router = router.layer(middleware::from_fn(crate::caching::conditional_get));
    }
    if layers.compression {
        // Outside the compression layer: a client that sends `x-no-compression` is treated as
        // accepting no encoding at all.
        router = router.layer(middleware::from_fn(honour_no_compression));
    }
    router
}

async fn honour_no_compression(mut request: Request, next: Next) -> Response {
    if request.headers().contains_key("x-no-compression") {
        request.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.run(request).await
}
