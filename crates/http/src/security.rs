//! Response hardening: security headers (stamped by the edge, [`crate::edge`]), the CORS
//! allowlist, and the settings of both and of the request timeout.

use std::time::Duration;

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderName, HeaderValue, Method},
};
use tower_http::cors::{AllowOrigin, CorsLayer};

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
pub(crate) fn private(request: &Request) -> bool {
    let path = request.uri().path();
    request.headers().contains_key(header::AUTHORIZATION)
        || path.starts_with("/api/auth/")
        || path == "/api/users"
        || path.starts_with("/api/users/")
        || path.starts_with("/api/admin/")
}

/// The headers every response carries (unless its handler set them), built once.
pub(crate) type StaticHeaders = HeaderMap;

/// Every security header at once: the static ones (added where the handler set none), and
/// `Cache-Control: no-store` on [`private`] responses (replacing any other caching directive;
/// one that already forbids storing, e.g. `private, no-store`, is kept), so neither the browser
/// nor a shared cache keeps tokens or personal data.
pub(crate) fn stamp(headers: &mut HeaderMap, statics: &StaticHeaders, private: bool) {
    // The response's own headers go over a copy of the prebuilt static ones: one clone of a
    // map instead of a lookup and an insert per static header, which made this the largest
    // step of `/health`'s edge in the CPU profile (ADR 0040). `extend` replaces a static
    // header the handler set (every value of it) and keeps the handler's repeated values.
    let own = std::mem::replace(headers, statics.clone());
    headers.extend(own);
    if !private {
        return;
    }
    let already = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        });
    if !already {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
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

/// The CORS layer, when origins are configured.
pub(crate) fn cors(settings: &SecuritySettings) -> Option<CorsLayer> {
    if settings.cors_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = settings
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
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
    )
}

/// The static security headers of [`stamp`], parsed once.
pub(crate) fn static_headers(settings: &SecuritySettings) -> StaticHeaders {
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
    statics
        .into_iter()
        .map(|(name, value)| {
            (
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamped(own: &[(&'static str, &'static str)], private: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in own {
            headers.append(*name, HeaderValue::from_static(value));
        }
        stamp(
            &mut headers,
            &static_headers(&SecuritySettings::default()),
            private,
        );
        headers
    }

    #[test]
    fn a_response_without_its_own_gets_every_static_header() {
        let headers = stamped(&[("content-type", "application/json")], false);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers.len(), 7);
        assert!(headers.get(header::CACHE_CONTROL).is_none());
    }

    #[test]
    fn the_handlers_headers_win_and_keep_all_their_values() {
        let headers = stamped(
            &[
                ("content-security-policy", "default-src 'none'"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("cache-control", "public, max-age=60"),
            ],
            true,
        );
        let csp: Vec<_> = headers.get_all("content-security-policy").iter().collect();
        assert_eq!(csp, ["default-src 'none'"], "replaced, not added to");
        let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "no-store",
            "private answers are never stored"
        );
    }
}
