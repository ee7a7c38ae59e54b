//! What is served when the binary was built without the web app.

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

const NOT_BUILT: &str = include_str!("fallback/not-built.html");
/// The page the verification mail links to (`/verify-email?token=…`) and its same-origin
/// script, which posts the token to `POST /api/auth/verify-email`: without the SPA a new user
/// can still confirm the address. No inline script (the CSP allows scripts from this origin
/// only) and no external host.
const VERIFY_EMAIL: &str = include_str!("fallback/verify-email.html");
const VERIFY_EMAIL_SCRIPT: &str = include_str!("fallback/verify-email.js");

/// The answer to a web path (`relative` has no leading slash) without a build.
pub(crate) fn without_build(relative: &str) -> Response {
    let (content_type, body, cache) = match relative {
        "verify-email" => ("text/html; charset=utf-8", VERIFY_EMAIL, "no-store"),
        "verify-email.js" => (
            "text/javascript; charset=utf-8",
            VERIFY_EMAIL_SCRIPT,
            "no-cache",
        ),
        _ => ("text/html; charset=utf-8", NOT_BUILT, "no-cache"),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // The verification link's token must not leak through a `Referer`.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
