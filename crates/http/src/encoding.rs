//! Content codings (gzip, brotli): negotiation from `Accept-Encoding`, and the compression of
//! responses that are not already encoded. Shared by the edge ([`crate::edge`]), which compresses
//! what handlers answer, and the catalog's cached renderings, which keep each coding once.
//!
//! Bodies here are always in memory (JSON, the metrics page, the web app's embedded assets), so
//! a response is compressed whole instead of streamed: one buffer, no per-chunk state.

use std::io::Write;

use axum::body::HttpBody as _;
use axum::{
    body::{Body, Bytes},
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, HeaderValue},
    response::Response,
};

/// Bodies smaller than this are sent as they are: the coding's framing would eat the gain.
pub(crate) const COMPRESS_FROM: usize = 1024;

/// The codings this server produces, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `br` (the lean Lambda build leaves brotli out: gzip or identity there).
    #[cfg(feature = "brotli")]
    Brotli,
    /// `gzip`.
    Gzip,
    /// No coding.
    Identity,
}

impl Coding {
    /// The `Content-Encoding` value, `None` for identity.
    pub(crate) fn header(self) -> Option<HeaderValue> {
        match self {
            #[cfg(feature = "brotli")]
            Self::Brotli => Some(HeaderValue::from_static("br")),
            Self::Gzip => Some(HeaderValue::from_static("gzip")),
            Self::Identity => None,
        }
    }

    /// `bytes` in this coding.
    pub(crate) fn encode(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            #[cfg(feature = "brotli")]
            Self::Brotli => brotli(bytes),
            Self::Gzip => gzip(bytes),
            Self::Identity => bytes.to_vec(),
        }
    }
}

/// The best coding `headers`' `Accept-Encoding` allows (`q=0` refuses one); identity otherwise.
pub(crate) fn negotiate(headers: &HeaderMap) -> Coding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Coding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case(name) || coding == "*") && !refused
        })
    };
    #[cfg(feature = "brotli")]
    if accepts("br") {
        return Coding::Brotli;
    }
    if accepts("gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// The coding a request accepts, as an extractor: reads one header instead of cloning the whole
/// `HeaderMap` as the `HeaderMap` extractor does.
#[derive(Debug, Clone, Copy)]
pub struct Accepted(pub Coding);

impl<S: Send + Sync> FromRequestParts<S> for Accepted {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(negotiate(&parts.headers)))
    }
}

/// Whether a response may be compressed: not encoded yet, not a range, not an image (already
/// compressed), not a stream that must flush per event, and large enough (an unknown length
/// counts as large).
fn compressible(response: &Response) -> bool {
    let headers = response.headers();
    if headers.contains_key(header::CONTENT_ENCODING) || headers.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    let kind = headers
        .get(header::CONTENT_TYPE)
        .map_or(&b""[..], HeaderValue::as_bytes);
    if kind.starts_with(b"image/")
        || kind.starts_with(b"application/grpc")
        || kind.starts_with(b"text/event-stream")
    {
        return false;
    }
    response
        .body()
        .size_hint()
        .exact()
        .is_none_or(|size| size >= COMPRESS_FROM as u64)
}

/// `response` compressed in `coding` when it is [`compressible`]; such a response also says it
/// varies by `Accept-Encoding`, whatever this client accepted.
pub(crate) async fn compress(response: Response, coding: Coding) -> Response {
    if !compressible(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(content_encoding) = coding.header() else {
        return Response::from_parts(parts, body);
    };
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(%error, "response body failed while compressing it");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if bytes.len() < COMPRESS_FROM {
        return Response::from_parts(parts, Body::from(bytes));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, content_encoding);
    Response::from_parts(parts, Body::from(Bytes::from(coding.encode(&bytes))))
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::default(),
    );
    let _ = encoder.write_all(raw);
    encoder.finish().unwrap_or_default()
}

#[cfg(feature = "brotli")]
fn brotli(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() / 4);
    {
        // Quality 5: most of brotli's gain for a fraction of its top settings' time.
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        let _ = writer.write_all(raw);
    }
    out
}

// The tests name brotli; they run with the default features.
#[cfg(all(test, feature = "brotli"))]
mod tests {
    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_best_acceptable_coding_wins_and_q0_refuses() {
        assert_eq!(negotiate(&HeaderMap::new()), Coding::Identity);
        assert_eq!(negotiate(&accepting("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(negotiate(&accepting("gzip")), Coding::Gzip);
        assert_eq!(negotiate(&accepting("br;q=0, gzip;q=0.5")), Coding::Gzip);
        assert_eq!(negotiate(&accepting("deflate")), Coding::Identity);
        assert_eq!(negotiate(&accepting("*")), Coding::Brotli);
    }

    fn response(kind: &str, body: Vec<u8>) -> Response {
        let mut response = Response::new(Body::from(body));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_str(kind).unwrap());
        response
    }

    #[tokio::test]
    async fn large_text_is_compressed_and_small_images_and_encoded_bodies_are_not() {
        let text = "agora ".repeat(400).into_bytes();
        let gz = compress(response("application/json", text.clone()), Coding::Gzip).await;
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gz.headers()[header::VARY], "accept-encoding");
        let zipped = axum::body::to_bytes(gz.into_body(), usize::MAX)
            .await
            .unwrap();
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&zipped[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, text);

        let plain = compress(response("application/json", text.clone()), Coding::Identity).await;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");
        let small = compress(response("application/json", b"{}".to_vec()), Coding::Gzip).await;
        assert!(small.headers().get(header::CONTENT_ENCODING).is_none());
        let image = compress(response("image/png", text.clone()), Coding::Brotli).await;
        assert!(image.headers().get(header::CONTENT_ENCODING).is_none());
        let mut done = response("application/json", text);
        done.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        let done = compress(done, Coding::Gzip).await;
        assert_eq!(done.headers()[header::CONTENT_ENCODING], "br");
    }
}
