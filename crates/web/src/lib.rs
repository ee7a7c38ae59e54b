//! The web app as the binary serves it (API.md "Web"; ADR 0021).
//!
//! Rules, in the order [`WebUi::respond`] applies them:
//! - only `GET`/`HEAD`, never under `/api` (an unknown API path stays a JSON 404: the caller
//!   answers `None` with its error envelope);
//! - a built file is served as is: `assets/…` names carry a content hash, so they are
//!   `immutable` for a year; every other file (`index.html`, the manifest, icons) is `no-cache`
//!   (revalidated with its `ETag`, so a deploy is seen at once);
//! - a path whose last segment looks like a file name but is not in the build is a 404 (a
//!   missing script must not be answered with HTML);
//! - any other path is a client route: `index.html` (the SPA fallback).
//!
//! Without a build (a plain `cargo build` on a machine without Node), client routes get a page
//! saying how to build the UI, and the mailed verification link keeps working through a minimal
//! page of its own.

mod fallback;
mod source;

use std::path::PathBuf;

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use source::{Asset, Source};

/// Hashed build output: never changes under its name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else is revalidated on every use.
const REVALIDATE: &str = "no-cache";

/// The built web app and its serving rules.
#[derive(Debug, Clone)]
pub struct WebUi {
    source: Source,
}

impl WebUi {
    /// The build compiled into this binary (possibly none).
    pub fn embedded() -> Self {
        Self {
            source: Source::Embedded,
        }
    }

    /// The build in `dir` (read on each request), instead of the embedded one.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            source: Source::Directory(dir.into()),
        }
    }

    /// Whether there is a build to serve.
    pub fn is_built(&self) -> bool {
        self.source.get("index.html").is_some()
    }

    /// The answer to `method path`, or `None` when the web app has nothing to say about it (the
    /// caller answers its JSON 404).
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if !(method == Method::GET || method == Method::HEAD) || is_api(path) {
            return None;
        }
        let relative = path.trim_start_matches('/');
        if !self.is_built() {
            return Some(fallback::without_build(relative));
        }
        if !relative.is_empty() {
            if let Some(asset) = self.source.get(relative) {
                let cache = if relative.starts_with("assets/") {
                    IMMUTABLE
                } else {
                    REVALIDATE
                };
                return Some(serve(asset, content_type(relative), cache, headers));
            }
            if looks_like_a_file(relative) {
                return None;
            }
        }
        self.page("index.html", headers)
    }

    /// `GET /graphql`: GraphiQL, a second entry of the same build, or how to build it.
    pub fn graphiql(&self, headers: &HeaderMap) -> Response {
        self.page("graphiql.html", headers)
            .unwrap_or_else(|| fallback::without_build(""))
    }

    fn page(&self, name: &str, headers: &HeaderMap) -> Option<Response> {
        let asset = self.source.get(name)?;
        let mut response = serve(asset, "text/html; charset=utf-8", REVALIDATE, headers);
        // Links carry one-time tokens (`/verify-email?token=…`, `/reset-password?token=…`): the
        // document never tells anyone where it came from.
        response.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        Some(response)
    }
}

/// Paths machines call: a miss there is the API's JSON 404, never the app's page (a target
/// without identity has no `/.well-known/jwks.json`, and a verifier must not get HTML for it;
/// `/internal` is the service-to-service API, ADR 0030).
fn is_api(path: &str) -> bool {
    ["/api", "/.well-known", "/internal"].iter().any(|prefix| {
        path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

fn looks_like_a_file(relative: &str) -> bool {
    relative
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

fn serve(
    asset: Asset,
    content_type: &'static str,
    cache: &'static str,
    request: &HeaderMap,
) -> Response {
    let etag = HeaderValue::from_str(&asset.etag).expect("a hex validator is a header value");
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let headers = [
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (header::ETAG, etag),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let mut response = (headers, Body::from(asset.bytes)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The types a Vite build produces; anything else is served as bytes.
fn content_type(relative: &str) -> &'static str {
    let extension = relative.rsplit('.').next().unwrap_or_default();
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
