//! Cached catalog reads served as bytes (issue 18): a cache hit used to re-serialise the page
//! and compress it again on every response — `serde_json` escaping, `chrono`/`uuid` formatting,
//! gzip or brotli, and the allocations of each (a CPU profile put them at about half the time of
//! a hit). Now the final body of a cached entry is kept beside it: JSON once, each encoding once,
//! each with its strong `ETag`, so a hit copies a reference to bytes.
//!
//! Correctness rests on the identity of what the application cache returns, never on a
//! separate invalidation: a list page is remembered against the very `Arc` the catalog cache
//! handed out (compared with `Arc::ptr_eq`; holding it keeps its address from being reused), so
//! an invalidated page — replaced by a new `Arc` — can never be answered from here. A product is
//! remembered by id, version and update time, which change with every write. Pages that the
//! catalog did not cache (`catalog.cache = false`, or a load nobody else holds) are rendered
//! per request as before and not remembered.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use agora_domain::{catalog::Product, paging::Page};
use axum::{
    body::{Body, Bytes},
    http::{header, HeaderValue},
    response::Response,
};
use moka::future::Cache;
use uuid::Uuid;

use crate::{
    caching::etag_of,
    encoding::{Coding, COMPRESS_FROM},
    paging::ListRequest,
};

/// How long an unused rendering is kept; the application cache's entries live shorter.
const IDLE: Duration = Duration::from_secs(120);

/// One encoded body and its validator.
struct Encoded {
    bytes: Bytes,
    etag: HeaderValue,
}

impl Encoded {
    fn new(bytes: Vec<u8>) -> Self {
        let etag = etag_of(&bytes);
        Self {
            bytes: Bytes::from(bytes),
            etag,
        }
    }
}

/// The final JSON of one read, and its compressed forms made on first demand.
pub(super) struct Rendered {
    identity: Encoded,
    gzip: OnceLock<Encoded>,
    #[cfg(feature = "brotli")]
    brotli: OnceLock<Encoded>,
}

impl Rendered {
    /// `value` as JSON.
    pub(super) fn json(value: &impl serde::Serialize) -> Self {
        let json = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Self {
            identity: Encoded::new(json),
            gzip: OnceLock::new(),
            #[cfg(feature = "brotli")]
            brotli: OnceLock::new(),
        }
    }

    fn encoded(&self, coding: Coding) -> (&Encoded, Option<&'static str>) {
        let raw = &self.identity.bytes;
        if raw.len() < COMPRESS_FROM {
            return (&self.identity, None);
        }
        match coding {
            Coding::Identity => (&self.identity, None),
            Coding::Gzip => (
                self.gzip.get_or_init(|| Encoded::new(coding.encode(raw))),
                Some("gzip"),
            ),
            #[cfg(feature = "brotli")]
            Coding::Brotli => (
                self.brotli.get_or_init(|| Encoded::new(coding.encode(raw))),
                Some("br"),
            ),
        }
    }

    /// A 200 in the coding `request_headers` prefer, with its `ETag` (already the validator of
    /// these exact bytes, so the conditional layer need not hash them).
    pub(super) fn respond(&self, accepted: Coding) -> Response {
        let (encoded, coding) = self.encoded(accepted);
        let mut response = Response::new(Body::from(encoded.bytes.clone()));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::ETAG, encoded.etag.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(coding) = coding {
            // Also tells the compression layer that this body is done.
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    }
}

/// A list page's rendering: which page of which cached result, with which fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ListKey {
    page_address: usize,
    page: u32,
    limit: u32,
    fields: Option<Vec<String>>,
}

/// Renderings of the catalog's cached reads.
#[derive(Clone)]
pub(crate) struct RenderMemo {
    lists: Cache<ListKey, (Arc<Page<Product>>, Arc<Rendered>)>,
    products: Cache<(Uuid, i64, i64), Arc<Rendered>>,
}

impl RenderMemo {
    /// An empty memo (bounded by entries and by idleness).
    pub(crate) fn new() -> Self {
        Self {
            lists: Cache::builder()
                .max_capacity(2_000)
                .time_to_idle(IDLE)
                .build(),
            products: Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(IDLE)
                .build(),
        }
    }

    /// The rendering of `page` for `request`, made by `render` unless already made for this very
    /// cached page.
    pub(super) async fn list(
        &self,
        page: Arc<Page<Product>>,
        request: &ListRequest,
        render: impl FnOnce(&Page<Product>) -> Rendered,
    ) -> Arc<Rendered> {
        // Held only by us: the catalog did not cache it, so nobody will ask for it again.
        if Arc::strong_count(&page) == 1 {
            return Arc::new(render(&page));
        }
        let key = ListKey {
            page_address: Arc::as_ptr(&page) as usize,
            page: request.page.page,
            limit: request.page.limit,
            fields: request.fields.as_ref().map(|fields| {
                let mut fields = fields.clone();
                fields.sort();
                fields.dedup();
                fields
            }),
        };
        if let Some((cached, rendered)) = self.lists.get(&key).await {
            if Arc::ptr_eq(&cached, &page) {
                return rendered;
            }
        }
        let rendered = Arc::new(render(&page));
        self.lists.insert(key, (page, rendered.clone())).await;
        rendered
    }

    /// The rendering of `product`, made by `render` unless already made for this version.
    pub(super) async fn product(
        &self,
        product: &Product,
        render: impl FnOnce(&Product) -> Rendered,
    ) -> Arc<Rendered> {
        let key = (
            product.id,
            product.version,
            product.updated_at.timestamp_nanos_opt().unwrap_or_default(),
        );
        if let Some(rendered) = self.products.get(&key).await {
            return rendered;
        }
        let rendered = Arc::new(render(product));
        self.products.insert(key, rendered.clone()).await;
        rendered
    }
}

// The tests name brotli; they run with the default features.
#[cfg(all(test, feature = "brotli"))]
mod tests {
    use super::*;

    #[test]
    fn each_coding_round_trips_and_has_its_own_validator() {
        let value: Vec<u32> = (0..2_000).collect();
        let rendered = Rendered::json(&value);
        let raw = rendered.identity.bytes.clone();
        let (gz, _) = rendered.encoded(Coding::Gzip);
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gz.bytes[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, raw);
        let (br, _) = rendered.encoded(Coding::Brotli);
        let mut unbrotli = Vec::new();
        std::io::Read::read_to_end(
            &mut brotli::Decompressor::new(&br.bytes[..], 4096),
            &mut unbrotli,
        )
        .unwrap();
        assert_eq!(unbrotli, raw);
        assert_ne!(gz.etag, rendered.identity.etag);
        assert_ne!(br.etag, gz.etag);
        // Small bodies are never compressed, whatever is accepted.
        let small = Rendered::json(&"tiny");
        assert!(small.encoded(Coding::Brotli).1.is_none());
    }
}
