//! HTTP caching of catalog reads (issue 18): strong validators per representation, 304s,
//! `Cache-Control` for anonymous readers only, nothing cacheable that carries private data.

use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, VARY};
use serde_json::{json, Value};

use crate::{both_backends, support::TestApp};

const PUBLIC: &str = "public, max-age=30, stale-while-revalidate=60";

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn some_products(app: &TestApp, admin: &str) -> String {
    let mut last = String::new();
    for i in 0..12 {
        let body = json!({
            "sku": format!("ETAG-{i:02}"), "name": format!("Cached Lamp {i}"),
            "description": "A lamp whose description is long enough to make the list compressible.",
            "price": { "amount": 1000 + i, "currency": "EUR" }, "stock": 5
        });
        let created: Value = app
            .post("/api/products", Some(admin), &body)
            .await
            .json()
            .await
            .unwrap();
        last = created["id"].as_str().unwrap().to_owned();
    }
    last
}

async fn anonymous_catalog_reads_revalidate_with_strong_etags(app: TestApp) {
    let admin = app.admin_token().await;
    let id = some_products(&app, &admin).await;

    for path in [
        "/api/products",
        &format!("/api/products/{id}"),
        "/api/categories",
    ] {
        let first = get(&app, path, &[]).await;
        assert_eq!(first.status(), 200, "{path}");
        let etag = header(&first, ETAG);
        assert!(
            etag.starts_with('"') && etag.len() > 2,
            "{path}: strong ETag {etag}"
        );
        assert_eq!(header(&first, CACHE_CONTROL), PUBLIC, "{path}");
        assert!(header(&first, VARY).contains("authorization"), "{path}");

        for validator in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
            let again = get(&app, path, &[("if-none-match", &validator)]).await;
            assert_eq!(again.status(), 304, "{path} with {validator}");
            assert_eq!(header(&again, ETAG), etag);
            assert_eq!(header(&again, CACHE_CONTROL), PUBLIC);
            assert!(again.bytes().await.unwrap().is_empty(), "a 304 has no body");
        }
    }

    // A change makes the old validator stale.
    let list = get(&app, "/api/products", &[]).await;
    let before = header(&list, ETAG);
    let patch = json!({ "version": 1, "name": "Renamed Lamp" });
    assert_eq!(
        app.patch(&format!("/api/products/{id}"), &admin, &patch)
            .await
            .status(),
        200
    );
    let after = get(&app, "/api/products", &[(IF_NONE_MATCH.as_str(), &before)]).await;
    assert_eq!(after.status(), 200, "changed content is sent again");
    assert_ne!(header(&after, ETAG), before);
}

async fn each_encoding_has_its_own_validator_and_private_reads_are_never_public(app: TestApp) {
    let admin = app.admin_token().await;
    some_products(&app, &admin).await;

    let plain = get(&app, "/api/products", &[]).await;
    let gzip = get(&app, "/api/products", &[("accept-encoding", "gzip")]).await;
    assert_eq!(header(&gzip, reqwest::header::CONTENT_ENCODING), "gzip");
    let (plain_tag, gzip_tag) = (header(&plain, ETAG), header(&gzip, ETAG));
    assert_ne!(
        plain_tag, gzip_tag,
        "different bytes, different strong validators"
    );
    let cross = get(
        &app,
        "/api/products",
        &[("accept-encoding", "gzip"), ("if-none-match", &plain_tag)],
    )
    .await;
    assert_eq!(
        cross.status(),
        200,
        "the identity validator does not stand for gzip bytes"
    );
    let same = get(
        &app,
        "/api/products",
        &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)],
    )
    .await;
    assert_eq!(same.status(), 304);

    // With credentials: validators still work, but nothing may be stored.
    let bearer = format!("Bearer {admin}");
    let mine = get(&app, "/api/products", &[("authorization", &bearer)]).await;
    assert_eq!(header(&mine, CACHE_CONTROL), "no-store");
    let me = get(&app, "/api/users/me", &[("authorization", &bearer)]).await;
    assert_eq!(header(&me, CACHE_CONTROL), "no-store");
    assert!(
        me.headers().get(ETAG).is_none(),
        "private reads are not revalidated"
    );
    // Errors are not cached either.
    let missing = get(
        &app,
        &format!("/api/products/{}", uuid::Uuid::now_v7()),
        &[],
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get(ETAG).is_none());
    assert_ne!(header(&missing, CACHE_CONTROL), PUBLIC);
}

both_backends!(
    anonymous_catalog_reads_revalidate_with_strong_etags,
    each_encoding_has_its_own_validator_and_private_reads_are_never_public
);
