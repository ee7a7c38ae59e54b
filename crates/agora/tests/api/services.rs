//! Split targets calling each other (ADR 0030): the internal API refuses unsigned, badly signed
//! and stale calls (and everything when no secret is configured); the HTTP port adapters keep
//! the ports' contracts against a real catalog and identity; a target missing a service URL or
//! the secret refuses to start; catalog down, or refusing a mismatched secret, is a 503 in the
//! error shape; content shows author
//! names read from identity over HTTP.

use std::{sync::Arc, time::Duration};

use agora::config::Secret;
use agora_domain::{
    identity::Role,
    ports::{catalog::ProductCatalog, identity::UserDirectory},
    service_auth::{ServiceKey, HEADER},
};
use serde_json::{json, Value};
use uuid::Uuid;

use agora_adapters::remote::{BreakerState, RemoteCatalog};

use crate::{
    saga::{checkout_at, on_both, signed, Split, SECRET},
    support::{Backend, TestStore},
    targets::{assert_error, start, try_start},
};

async fn internal(
    service: &crate::targets::Service,
    path: &str,
    signature: Option<String>,
    body: &[u8],
) -> reqwest::Response {
    let mut request = service
        .client()
        .post(service.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header(HEADER, signature);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_internal_api_refuses_missing_bad_and_stale_signatures() {
    let split = Split::start(Backend::Sqlite).await;
    let path = "/internal/catalog/snapshots";
    let body = br#"{"ids":[]}"#;
    let now = chrono::Utc::now().timestamp();
    let key = ServiceKey::new(SECRET);

    let good = internal(
        &split.catalog,
        path,
        Some(key.sign("POST", path, now, body)),
        body,
    )
    .await;
    assert_eq!(good.status(), 200);
    assert_eq!(
        good.json::<Value>().await.unwrap(),
        json!({"snapshots": []})
    );

    let refused = [
        None,
        Some("t=1,sig=00".to_owned()),
        Some(ServiceKey::new("not-the-shared-secret").sign("POST", path, now, body)),
        Some(key.sign("POST", "/internal/identity/profiles", now, body)),
        Some(key.sign("POST", path, now, b"{\"ids\":[\"x\"]}")),
        Some(key.sign("POST", path, now - 600, body)),
    ];
    for signature in refused {
        let response = internal(&split.catalog, path, signature.clone(), body).await;
        assert_error(response, 401, "not_authenticated").await;
    }
    // A signed but malformed reservation is a 400, not a store error.
    let path = format!("/internal/catalog/reservations/{}", Uuid::now_v7());
    let empty = br#"{"lines":[]}"#;
    let response = split
        .catalog
        .client()
        .put(split.catalog.url(&path))
        .header("content-type", "application/json")
        .header(HEADER, key.sign("PUT", &path, now, empty))
        .body(empty.to_vec())
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "validation_failed").await;
    // Unknown internal paths are JSON 404s, never the web app.
    let missing = split.catalog.get("/internal/nope", None).await;
    assert_error(missing, 404, "not_found").await;
}

#[tokio::test]
async fn without_a_secret_the_internal_api_refuses_even_signed_calls() {
    let store = TestStore::create(Backend::Sqlite).await;
    let identity = start("identity", &store, |_| {}).await;
    let path = "/internal/identity/profiles";
    let body = br#"{"ids":[]}"#;
    let now = chrono::Utc::now().timestamp();
    let signature = ServiceKey::new(SECRET).sign("POST", path, now, body);
    let response = internal(&identity, path, Some(signature), body).await;
    assert_error(response, 401, "not_authenticated").await;
}

#[tokio::test]
async fn a_split_target_without_its_service_url_or_the_secret_refuses_to_start() {
    let store = TestStore::create(Backend::Sqlite).await;
    let error = try_start("orders", &store, |c| {
        signed(c);
        c.identity_url = Some("http://127.0.0.1:9".into());
    })
    .await
    .err()
    .expect("orders needs catalog");
    let message = format!("{error:#}");
    assert!(message.contains("AGORA_CATALOG_URL"), "{message}");

    let error = try_start("content", &store, |c| {
        c.identity_url = Some("http://127.0.0.1:9".into());
    })
    .await
    .err()
    .expect("content's calls to identity must be signed");
    let message = format!("{error:#}");
    assert!(message.contains("AGORA_SERVICES__SECRET"), "{message}");
}

on_both!(
    the_http_adapters_keep_the_published_ports_contracts,
    content_alone_shows_author_names_from_identity_over_http,
);

async fn the_http_adapters_keep_the_published_ports_contracts(backend: Backend) {
    let split = Split::start(backend).await;
    let admin = split.identity.account(Role::Admin).await;
    let a = split.product(&admin, 5).await.parse::<Uuid>().unwrap();
    let b = split.product(&admin, 7).await.parse::<Uuid>().unwrap();
    let catalog: Arc<dyn ProductCatalog> = split.orders().registry.get().unwrap();
    assert!(catalog.snapshots(&[]).await.unwrap().is_empty());
    let mut found = catalog.snapshots(&[a, b, a, Uuid::now_v7()]).await.unwrap();
    found.sort_by_key(|s| s.id);
    let mut expected = vec![(a, 5), (b, 7)];
    expected.sort();
    let got: Vec<(Uuid, u32)> = found.iter().map(|s| (s.id, s.stock)).collect();
    assert_eq!(got, expected, "unknown ids absent, repeated ids once");
    assert!(found
        .iter()
        .all(|s| s.active && s.name.as_str() == "Saga Lamp"));

    // Identity's directory over HTTP, from a content target.
    let identity_url = split.identity.url("");
    let store = TestStore::create(backend).await;
    let content = start("content", &store, |c| {
        signed(c);
        c.identity_url = Some(identity_url);
    })
    .await;
    let directory: Arc<dyn UserDirectory> = content.registry.get().unwrap();
    let user = split.identity.account(Role::User).await;
    let me: Value = split
        .identity
        .get("/api/users/me", Some(&user))
        .await
        .json()
        .await
        .unwrap();
    let id: Uuid = me["id"].as_str().unwrap().parse().unwrap();
    let profiles = directory.profiles(&[id, id, Uuid::now_v7()]).await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].name.as_str(), "Split Tester");
    assert!(directory.profiles(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_secret_mismatch_is_a_503_that_shows_no_secret_not_a_500() {
    let split = Split::start(Backend::Sqlite).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 1).await;
    // A replica deployed with another secret: catalog refuses every call it signs.
    let orders = split
        .start_orders_with(split.catalog.url(""), |c| {
            c.services.secret = Some(Secret::new("a-secret-nobody-else-has".to_owned()));
        })
        .await;
    let refused = checkout_at(&orders, &buyer, "mismatch-1").await;
    assert_eq!(refused.status(), 503);
    let body = refused.text().await.unwrap();
    assert!(body.contains(r#""code":"unavailable""#), "{body}");
    assert!(
        !body.contains(SECRET) && !body.contains("nobody-else"),
        "a secret never reaches a client: {body}"
    );
    assert_eq!(split.stock(&product).await, 5, "nothing reserved");
}

#[tokio::test]
async fn with_catalog_down_checkout_is_a_503_in_the_error_shape_and_the_breaker_fails_fast() {
    let split = Split::start(Backend::Sqlite).await;
    let admin = split.identity.account(Role::Admin).await;
    let buyer = split.identity.account(Role::User).await;
    let product = split.product(&admin, 5).await;
    split.cart(&buyer, &product, 1).await;
    // A second orders replica whose catalog is down: nothing listens at its address.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let orders = split.start_orders_at(dead_url).await;

    // Each failed checkout costs two attempts; the breaker opens after five failures.
    for key in ["down-1", "down-2", "down-3"] {
        assert_error(checkout_at(&orders, &buyer, key).await, 503, "unavailable").await;
    }
    let remote: Arc<RemoteCatalog> = orders.registry.get().unwrap();
    assert_eq!(remote.client().breaker().state(), BreakerState::Open);
    let started = std::time::Instant::now();
    assert_error(
        checkout_at(&orders, &buyer, "down-4").await,
        503,
        "unavailable",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    // The cart view reads snapshots over HTTP too: 503, never 500.
    assert_error(
        orders.get("/api/cart", Some(&buyer)).await,
        503,
        "unavailable",
    )
    .await;
    // The replica that reaches catalog still works, and nothing was reserved meanwhile.
    assert_eq!(split.stock(&product).await, 5);
    assert_eq!(split.checkout(&buyer, "up-1").await.status(), 201);
    assert_eq!(split.stock(&product).await, 4);
}

async fn content_alone_shows_author_names_from_identity_over_http(backend: Backend) {
    let a = TestStore::create(backend).await;
    let b = TestStore::create(backend).await;
    let identity = start("identity", &a, signed).await;
    let identity_url = identity.url("");
    let content = start("content", &b, |c| {
        signed(c);
        c.identity_url = Some(identity_url);
    })
    .await;
    let author = identity.account(Role::User).await;
    let post = json!({"title": "Across services", "body": "Hello *there*", "published": true});
    let created = content.post("/api/posts", Some(&author), &post).await;
    assert_eq!(created.status(), 201);
    let listed: Value = content.get("/api/posts", None).await.json().await.unwrap();
    let first = &listed["data"][0];
    assert_eq!(first["title"], "Across services", "{listed}");
    assert_eq!(first["author"]["name"], "Split Tester", "{listed}");
    assert_error(content.get("/api/products", None).await, 404, "not_found").await;
}
