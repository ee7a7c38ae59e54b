//! The page the verification mail links to (`/verify-email?token=…`): a minimal static page and
//! its same-origin script, which posts the token to `POST /api/auth/verify-email` and shows the
//! outcome. Not API routes (absent from the OpenAPI document, listed in
//! [`crate::openapi::UNDOCUMENTED`]); the web app replaces them. No inline script (the CSP allows
//! scripts from this origin only) and no external host.

use axum::{
    http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY},
    response::IntoResponse,
};

/// Where the page is served (the path mailed links use).
pub const VERIFY_EMAIL_PAGE: &str = "/verify-email";
/// Its script.
pub const VERIFY_EMAIL_SCRIPT: &str = "/verify-email.js";

const PAGE: &str = include_str!("pages/verify-email.html");
const SCRIPT: &str = include_str!("pages/verify-email.js");

/// `GET /verify-email`. The token in the URL must not leak through a `Referer`.
pub(crate) async fn verify_email_page() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (REFERRER_POLICY, "no-referrer"),
        ],
        PAGE,
    )
}

/// `GET /verify-email.js`.
pub(crate) async fn verify_email_script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        SCRIPT,
    )
}
