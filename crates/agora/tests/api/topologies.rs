//! `agora dev` end to end, over real processes: the monolith, two replicas behind the gateway
//! (sharing rate limits, revocations and cache invalidation through Postgres and Redis), and the
//! split services behind the gateway (a crashed catalog is a 503, then restarted alone). Each
//! runs the contract matrix ([`crate::matrix`]) and stops every child on SIGTERM.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{
    dev_support::{alive, until, Dev},
    matrix,
    support::{redis_url, Backend, TestStore},
};

/// Sends `request` and decodes its JSON answer.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Logs a seeded account in at `base` and returns its access token.
async fn access_token(client: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let login = json_of(
        client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": email, "password": password})),
    )
    .await;
    login["accessToken"].as_str().unwrap().to_owned()
}

/// Stops the launcher and checks that every child it had is gone too.
async fn stop_without_orphans(dev: &mut Dev) {
    let children = dev.children();
    assert!(!children.is_empty(), "the launcher has children");
    assert!(
        dev.terminate(Duration::from_secs(60)).await,
        "agora dev exits 0"
    );
    for pid in children {
        assert!(!alive(pid), "child {pid} outlived agora dev");
    }
}

#[tokio::test]
async fn the_monolith_passes_the_matrix_and_stops_on_sigterm() {
    let mut dev = Dev::start(&["--topology", "mono"], &[]);
    assert_eq!(dev.rows.len(), 1);
    matrix::run_all(&dev.public).await;
    stop_without_orphans(&mut dev).await;
}

#[tokio::test]
async fn micro_with_redis_routes_through_the_gateway_and_survives_a_catalog_crash() {
    let redis = redis_url().await;
    let env = [
        ("AGORA_REDIS_URL", redis),
        ("AGORA_BUS", "redis".to_owned()),
    ];
    let mut dev = Dev::start(&["--topology", "micro"], &env);
    let services: Vec<&str> = dev
        .rows
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| *n != "gateway")
        .collect();
    for service in ["identity", "catalog", "orders", "content", "worker"] {
        assert!(
            services.contains(&service),
            "{service} missing: {services:?}"
        );
    }
    matrix::run_split(&dev.public, &services).await;

    let client = reqwest::Client::new();
    // `/graphql` has no upstream here: the gateway hosts it, and says so (ADR 0035).
    let ready = json_of(client.get(format!("{}/ready", dev.public))).await;
    assert_eq!(ready["checks"]["graphql"]["status"], "up", "{ready}");
    let products = format!("{}/api/products?limit=1", dev.public);
    let others: Vec<u32> = dev
        .rows
        .iter()
        .filter(|r| r.name != "catalog")
        .map(|r| r.pid)
        .collect();
    let catalog = dev.row("catalog").pid;
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &catalog.to_string()])
        .status();
    until(
        Duration::from_secs(5),
        "the catalog process is gone",
        || async { (!alive(catalog)).then_some(()) },
    )
    .await;
    let started = Instant::now();
    let down = client.get(&products).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(down.status(), 503);
    assert!(
        took < Duration::from_secs(6),
        "answered after {took:?}: within the timeout"
    );
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["code"], "unavailable");
    assert_eq!(body["service"], "catalog");
    assert!(body["requestId"].is_string());

    // The launcher restarts the catalog; nothing else restarts.
    until(
        Duration::from_secs(120),
        "the catalog answers again",
        || {
            let (client, products) = (client.clone(), products.clone());
            async move {
                let response = client.get(&products).send().await.ok()?;
                (response.status() == 200).then_some(())
            }
        },
    )
    .await;
    for pid in others {
        assert!(alive(pid), "process {pid} was not restarted");
    }
    stop_without_orphans(&mut dev).await;
}

#[tokio::test]
async fn two_replicas_on_postgres_and_redis_share_limits_revocations_and_cache() {
    let store = TestStore::create(Backend::Postgres).await;
    let redis = redis_url().await;
    let env = [
        ("AGORA_DATABASE_URL", store.url.clone()),
        ("AGORA_REDIS_URL", redis),
        ("AGORA_BUS", "redis".to_owned()),
        ("AGORA_RATE_LIMIT__ANONYMOUS", "40/1m".to_owned()),
    ];
    let mut dev = Dev::start(&["--topology", "mono", "--replicas", "2"], &env);
    let (one, two) = (
        dev.row("replica-1").url.clone(),
        dev.row("replica-2").url.clone(),
    );
    matrix::run_all(&dev.public).await;
    let client = reqwest::Client::new();

    // Rate limits: one client (named by X-Forwarded-For, which the replicas trust from loopback)
    // alternating between the replicas gets the one quota, not one per replica.
    let mut allowed = 0;
    for i in 0..60 {
        let base = if i % 2 == 0 { &one } else { &two };
        let response = client
            .get(format!("{base}/api/categories"))
            .header("x-forwarded-for", "203.0.113.77")
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => allowed += 1,
            429 => break,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(allowed, 40, "the replicas counted against one shared quota");

    // Revocation: logout on one replica, the token is refused on the other.
    let token = access_token(&client, &one, "pro@agora.local", "AgoraDemo1").await;
    let me = |base: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let response = client
                .get(format!("{base}/api/users/me"))
                .bearer_auth(token)
                .send();
            response.await.unwrap().status().as_u16()
        }
    };
    assert_eq!(me(two.clone()).await, 200);
    let logout = client
        .post(format!("{one}/api/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    until(
        Duration::from_secs(5),
        "replica-2 refuses the logged-out token",
        || {
            let status = me(two.clone());
            async move { (status.await == 401).then_some(()) }
        },
    )
    .await;

    // Cache: replica-2 holds the product in its cache; an update through replica-1 reaches it.
    let admin = access_token(&client, &one, "admin@agora.local", "AgoraAdmin1").await;
    let list = json_of(client.get(format!("{two}/api/products?limit=1"))).await;
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();
    let product = format!("/api/products/{id}");
    let cached = json_of(client.get(format!("{two}{product}"))).await;
    let renamed = format!("Renamed {}", uuid::Uuid::new_v4().simple());
    let update = client
        .patch(format!("{one}{product}"))
        .bearer_auth(&admin)
        .json(&json!({"version": cached["version"], "name": renamed}))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200, "{}", update.text().await.unwrap());
    until(
        Duration::from_secs(5),
        "replica-2 serves the new name",
        || {
            let (client, url) = (client.clone(), format!("{two}{product}"));
            let renamed = renamed.clone();
            async move {
                let read: Value = client.get(url).send().await.ok()?.json().await.ok()?;
                (read["name"] == renamed.as_str()).then_some(())
            }
        },
    )
    .await;
    stop_without_orphans(&mut dev).await;
    drop(store);
}
