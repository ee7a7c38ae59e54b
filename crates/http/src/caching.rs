//! HTTP caching of public reads (catalog): strong `ETag`s, `If-None-Match` → 304, and
//! `Cache-Control` that lets a browser or a CDN in front (the seed's CloudFront) keep anonymous
//! catalog reads briefly. Private data is never cacheable: responses to requests with
//! `Authorization` keep the security layer's `no-store`.
//!
//! Two pieces, because the validator must describe the bytes *as sent*: a gzip and a brotli
//! representation are different byte sequences and need different strong `ETag`s (RFC 9110
//! §8.8.3). [`public_read`] (a route layer) marks a response as revalidatable and sets its
//! caching headers; the edge's [`conditional`] step, after compression, hashes the final body
//! and answers 304 when the client already has it.

use std::hash::{Hash, Hasher};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};

/// Anonymous catalog reads: fresh for 30 s, then served stale for up to 60 s more while a cache
/// revalidates (cheap: a 304 when nothing changed). A change made by an admin therefore reaches
/// a CDN's visitors within 90 s at worst; the API itself is fresh at once.
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=30, stale-while-revalidate=60";

/// Marks a response whose body may be validated by [`conditional_get`].
#[derive(Debug, Clone, Copy)]
struct Revalidatable;

pub(crate) fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Route layer of public reads: a successful GET becomes revalidatable; without credentials it
/// is also cacheable by shared caches. `Vary: Authorization` because an admin sees more (e.g.
/// inactive products) than the anonymous representation a CDN may store.
pub async fn public_read(request: Request, next: Next) -> Response {
    let read = is_read(request.method());
    let anonymous = !request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    if !read || response.status() != StatusCode::OK {
        return response;
    }
    response.extensions_mut().insert(Revalidatable);
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("authorization"));
    if anonymous {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
        );
    }
    response
}

/// The edge's last step (after compression): a strong `ETag` over the body as sent, and 304 Not
/// Modified without a body when `If-None-Match` (of a GET or HEAD) names it.
pub(crate) async fn conditional(
    response: Response,
    if_none_match: Option<HeaderValue>,
) -> Response {
    if response.extensions().get::<Revalidatable>().is_none() {
        return response;
    }
    let fresh = |etag: &HeaderValue| {
        if_none_match
            .as_ref()
            .is_some_and(|wanted| matches(wanted, etag))
    };
    // Rendered once with its validator (cached catalog bodies): nothing to hash.
    if let Some(etag) = response.headers().get(header::ETAG) {
        if !fresh(etag) {
            return response;
        }
        return not_modified(response.into_parts().0);
    }
    let (mut parts, body) = response.into_parts();
    // Catalog bodies are small JSON already in memory; buffering them costs a copy at most.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let etag = etag_of(&bytes);
    let current = fresh(&etag);
    parts.headers.insert(header::ETAG, etag);
    if current {
        return not_modified(parts);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A 304 carries the validators and caching headers of the 200 it stands for, but no content.
fn not_modified(mut parts: axum::http::response::Parts) -> Response {
    parts.status = StatusCode::NOT_MODIFIED;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    Response::from_parts(parts, Body::empty())
}

/// `"<64-bit hash of the bytes, hex>"`: any change of a byte changes it (the hash is not a
/// secret and need not resist forgery: only this server mints the validators it compares).
pub(crate) fn etag_of(bytes: &[u8]) -> HeaderValue {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal to
/// ours once a `W/` prefix is ignored.
fn matches(wanted: &HeaderValue, etag: &HeaderValue) -> bool {
    let (Ok(wanted), Ok(etag)) = (wanted.to_str(), etag.to_str()) else {
        return false;
    };
    wanted
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let etag = etag_of(b"[1,2,3]");
        let tag = etag.to_str().unwrap().to_owned();
        for header in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"other\", {tag}"),
            "*".to_owned(),
        ] {
            assert!(
                matches(&HeaderValue::from_str(&header).unwrap(), &etag),
                "{header}"
            );
        }
        assert!(!matches(&HeaderValue::from_static("\"other\""), &etag));
        assert_ne!(etag_of(b"[1,2,3]"), etag_of(b"[1,2,4]"));
    }
}
