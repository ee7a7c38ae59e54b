//! Rotation across split targets: old tokens keep verifying, new ones verify on the other
//! target after a JWKS refresh, and a new key is published by every identity replica before
//! any signs with it.

use std::time::Duration;

use agora::config::Config;
use agora_app::identity::CreateUserInput;
use agora_domain::identity::{Role, Tier};
use serde_json::Value;

use crate::targets::{identity_and_catalog, kid, product, start, stores};

#[tokio::test]
async fn a_rotation_keeps_old_tokens_valid_and_new_ones_verify_on_the_other_target() {
    let (a, b) = stores().await;
    let (identity, catalog) = identity_and_catalog(&a, &b).await;
    let email = format!("{}@example.org", uuid::Uuid::new_v4().simple());
    identity
        .identity
        .as_ref()
        .unwrap()
        .create_user(CreateUserInput {
            email: email.clone(),
            name: "Rotating Admin".into(),
            password: "Secret123".into(),
            role: Role::Admin,
            tier: Tier::Free,
        })
        .await
        .unwrap();
    let old = identity.login(&email).await;
    assert_eq!(catalog.get("/api/products", Some(&old)).await.status(), 200);

    // What `agora keys rotate` does, through the real binary, on identity's database.
    let dir = tempfile::tempdir().unwrap();
    let rotate = crate::cli::agora(dir.path())
        .args(["keys", "rotate"])
        .env("AGORA_DATABASE_URL", &identity.store_url)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&rotate.stdout).into_owned();
    assert!(rotate.status.success(), "{printed}");
    assert!(
        printed.contains(&format!("retired {}", kid(&old))),
        "{printed}"
    );

    // Identity re-reads its signer within key_refresh (200 ms here); no restart.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let new = loop {
        let token = identity.login(&email).await;
        if kid(&token) != kid(&old) {
            break token;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "identity never signed with the new key"
        );
        tokio::time::sleep(Duration::from_millis(50)).await; // poll: until the signer changes
    };
    let jwks: Value = identity
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&kid(&old).as_str()) && kids.contains(&kid(&new).as_str()));

    // Catalog has never seen the new kid: it refreshes identity's JWKS and accepts it.
    let created = catalog
        .post("/api/products", Some(&new), &product("ROT-1"))
        .await;
    assert_eq!(created.status(), 201);
    let created = catalog
        .post("/api/products", Some(&old), &product("ROT-2"))
        .await;
    assert_eq!(
        created.status(),
        201,
        "a retired key verifies until its tokens expired"
    );
    assert_eq!(
        identity.get("/api/users/me", Some(&old)).await.status(),
        200
    );
    assert_eq!(
        identity.get("/api/users/me", Some(&new)).await.status(),
        200
    );
}

/// Identity replicas A and B on one database; catalog reads B's JWKS while A signs. After a
/// rotation, A's first token with the new key must already be in whatever JWKS B serves.
#[tokio::test]
async fn a_key_is_published_by_every_identity_replica_before_any_signs_with_it() {
    let (shared, own) = stores().await;
    let fast = |c: &mut Config| c.jwt.key_refresh = Duration::from_millis(200);
    let a = start("identity", &shared, fast).await;
    let b = start("identity", &shared, fast).await;
    let url = b.url("");
    let catalog = start("catalog", &own, |c| c.identity_url = Some(url)).await;
    let admin = a.account(Role::Admin).await;
    assert_eq!(
        catalog.get("/api/products", Some(&admin)).await.status(),
        200
    );

    let dir = tempfile::tempdir().unwrap();
    let rotate = crate::cli::agora(dir.path())
        .args(["keys", "rotate"])
        .env("AGORA_DATABASE_URL", &a.store_url)
        .output()
        .unwrap();
    assert!(rotate.status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    for attempt in 0.. {
        // Checked at once, token after token: there is no moment at which A signs with a key
        // that catalog cannot get from B.
        let me: Value = a
            .get("/api/users/me", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        let token = a.login(me["email"].as_str().unwrap()).await;
        let sku = format!("PUB-{attempt}");
        let created = catalog
            .post("/api/products", Some(&token), &product(&sku))
            .await;
        assert_eq!(created.status(), 201, "token with kid {}", kid(&token));
        if kid(&token) != kid(&admin) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "A never signed with the new key"
        );
    }
}
