//! Split targets: each serves its own routes only, and a target without identity verifies
//! identity's tokens itself — with the JWKS at `AGORA_IDENTITY_URL`, or with identity's database
//! when it shares it — through rotations, and never answers a bad token with a 500.

use std::time::Duration;

use agora::{config::Config, Wiring};
use agora_adapters::store::Database;
use agora_app::identity::{CreateUserInput, Identity};
use agora_domain::identity::{Role, Tier};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ed25519_dalek::Signer;
use serde_json::{json, Value};

use crate::{
    support::{test_config, Backend, TestStore},
    topology::Node,
};

/// One target running on port 0, on a store the caller keeps.
pub(crate) struct Service {
    node: Node,
    client: reqwest::Client,
    pub(crate) db: Database,
    pub(crate) identity: Option<Identity>,
    pub(crate) store_url: String,
    /// What the target's modules published.
    pub(crate) registry: agora::modules::Registry,
}

pub(crate) async fn start(
    target: &'static str,
    store: &TestStore,
    configure: impl FnOnce(&mut Config),
) -> Service {
    try_start(target, store, configure)
        .await
        .unwrap_or_else(|e| panic!("target {target} failed to start: {e:#}"))
}

pub(crate) async fn try_start(
    target: &'static str,
    store: &TestStore,
    configure: impl FnOnce(&mut Config),
) -> anyhow::Result<Service> {
    let mut config = test_config(store);
    configure(&mut config);
    let node = Node::start(target, &config, Wiring::default()).await?;
    Ok(Service {
        client: reqwest::Client::new(),
        db: node.registry.get()?,
        identity: node.registry.get().ok(),
        store_url: store.url.clone(),
        registry: node.registry.clone(),
        node,
    })
}

impl Service {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.node.addr)
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// A verified account on this (identity) target, and its access token.
    pub(crate) async fn account(&self, role: Role) -> String {
        let email = format!("{}@example.org", uuid::Uuid::new_v4().simple());
        let identity = self.identity.as_ref().expect("identity runs here");
        identity
            .create_user(CreateUserInput {
                email: email.clone(),
                name: "Split Tester".into(),
                password: "Secret123".into(),
                role,
                tier: Tier::Free,
            })
            .await
            .expect("fixture user");
        self.login(&email).await
    }

    pub(crate) async fn login(&self, email: &str) -> String {
        let body = json!({"email": email, "password": "Secret123"});
        let response = self.post("/api/auth/login", None, &body).await;
        assert_eq!(response.status(), 200);
        let session: Value = response.json().await.expect("session");
        session["accessToken"].as_str().expect("token").to_owned()
    }
}

pub(crate) async fn assert_error(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status(), status, "{}", response.url());
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["requestId"].is_string(), "{body}");
}

pub(crate) fn kid(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64")).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

/// A well-formed token with plausible claims, signed by a key identity never had.
pub(crate) fn forged(kid: &str) -> String {
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let now = chrono::Utc::now().timestamp();
    let part = |v: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
    let input = format!(
        "{}.{}",
        part(json!({"alg": "EdDSA", "typ": "JWT", "kid": kid})),
        part(json!({
            "sub": uuid::Uuid::now_v7(), "role": "admin", "tier": "free", "ev": true,
            "sid": uuid::Uuid::now_v7(), "jti": "x", "iat": now, "nbf": now, "exp": now + 300,
            "iss": "agora", "aud": "agora",
        }))
    );
    let signature = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).to_bytes());
    format!("{input}.{signature}")
}

pub(crate) fn product(sku: &str) -> Value {
    json!({"sku": sku, "name": "Split Knife", "description": "Cuts across services",
           "price": {"amount": 1999, "currency": "EUR"}, "stock": 3})
}

/// Identity alone and catalog alone, each on its own SQLite database; catalog knows identity
/// only by its URL.
pub(crate) async fn identity_and_catalog(
    identity_store: &TestStore,
    catalog_store: &TestStore,
) -> (Service, Service) {
    let identity = start("identity", identity_store, |c| {
        c.jwt.key_refresh = Duration::from_millis(200);
    })
    .await;
    let url = identity.url("");
    let catalog = start("catalog", catalog_store, |c| c.identity_url = Some(url)).await;
    (identity, catalog)
}

pub(crate) async fn stores() -> (TestStore, TestStore) {
    let a = TestStore::create(Backend::Sqlite).await;
    let b = TestStore::create(Backend::Sqlite).await;
    (a, b)
}

#[tokio::test]
async fn each_target_serves_its_own_routes_and_404s_the_others() {
    let (a, b) = stores().await;
    let (identity, catalog) = identity_and_catalog(&a, &b).await;
    for service in [&identity, &catalog] {
        assert_eq!(service.get("/ready", None).await.status(), 200);
        assert_eq!(service.get("/health", None).await.status(), 200);
    }
    assert_eq!(catalog.get("/api/products", None).await.status(), 200);
    assert_eq!(catalog.get("/api/categories", None).await.status(), 200);
    assert_error(identity.get("/api/products", None).await, 404, "not_found").await;
    let user = identity.account(Role::User).await;
    assert_eq!(
        identity.get("/api/users/me", Some(&user)).await.status(),
        200
    );
    assert_eq!(
        identity.get("/.well-known/jwks.json", None).await.status(),
        200
    );
    assert_error(
        catalog.get("/api/users/me", Some(&user)).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        catalog.get("/.well-known/jwks.json", None).await,
        404,
        "not_found",
    )
    .await;
    let login = json!({"email": "x@example.org", "password": "Secret123"});
    assert_error(
        catalog.post("/api/auth/login", None, &login).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn catalog_alone_verifies_identitys_tokens_and_never_answers_500() {
    let (a, b) = stores().await;
    let (identity, catalog) = identity_and_catalog(&a, &b).await;
    let admin = identity.account(Role::Admin).await;
    let user = identity.account(Role::User).await;

    assert_eq!(
        catalog.get("/api/products", Some(&user)).await.status(),
        200
    );
    let created = catalog
        .post("/api/products", Some(&admin), &product("SPLIT-1"))
        .await;
    assert_eq!(created.status(), 201);
    let forbidden = catalog
        .post("/api/products", Some(&user), &product("SPLIT-2"))
        .await;
    assert_error(forbidden, 403, "insufficient_permissions").await;
    let anonymous = catalog
        .post("/api/products", None, &product("SPLIT-3"))
        .await;
    assert_error(anonymous, 401, "not_authenticated").await;

    for bad in [
        "garbage".to_owned(),
        forged(&kid(&admin)),
        forged("0000000000000000"),
        format!("{admin}x"),
    ] {
        assert_error(
            catalog.get("/api/products", Some(&bad)).await,
            401,
            "authentication_failed",
        )
        .await;
        let write = catalog
            .post("/api/products", Some(&bad), &product("SPLIT-4"))
            .await;
        assert_error(write, 401, "authentication_failed").await;
    }
}

/// A user's token works on `catalog` until the user logs out on `identity`, then it is revoked.
async fn a_logout_on_identity_revokes_the_token_on(identity: &Service, catalog: &Service) {
    let token = identity.account(Role::User).await;
    assert_eq!(
        catalog.get("/api/products", Some(&token)).await.status(),
        200
    );
    let logout = identity
        .post("/api/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(logout.status(), 204);
    assert_error(
        catalog.get("/api/products", Some(&token)).await,
        401,
        "token_revoked",
    )
    .await;
}

#[tokio::test]
async fn catalog_on_identitys_database_verifies_with_its_keys_and_sees_logouts() {
    let store = TestStore::create(Backend::Sqlite).await;
    let identity = start("identity", &store, |_| {}).await;
    // Without Redis nothing tells catalog's session cache about identity's logout: it would
    // learn within `identity.session_cache_ttl`; at 0s it reads identity's tables every time.
    let catalog = start("catalog", &store, |c| {
        c.set_section("identity", json!({ "session_cache_ttl": "0s" }));
    })
    .await;
    a_logout_on_identity_revokes_the_token_on(&identity, &catalog).await;
    assert_eq!(catalog.db.backend().to_string(), "sqlite");
}

/// With Redis shared, a logout on identity reaches a catalog that shares nothing else.
#[tokio::test]
async fn catalog_alone_sees_logouts_through_the_shared_redis_denylist() {
    let redis = crate::support::redis_url().await;
    let prefix = format!("agora-test-{}:", uuid::Uuid::new_v4().simple());
    let (a, b) = stores().await;
    let shared = |c: &mut Config| {
        c.redis_url = Some(agora::config::Secret::new(redis.clone()));
        c.redis_prefix = prefix.clone();
    };
    let identity = start("identity", &a, shared).await;
    let url = identity.url("");
    let catalog = start("catalog", &b, |c| {
        shared(c);
        c.identity_url = Some(url);
    })
    .await;
    a_logout_on_identity_revokes_the_token_on(&identity, &catalog).await;
    crate::support::redis_delete_prefix(&redis, &prefix).await;
}

#[tokio::test]
async fn a_target_that_cannot_verify_tokens_refuses_to_start_naming_identity_url() {
    let store = TestStore::create(Backend::Sqlite).await;
    let error = match try_start("catalog", &store, |_| {}).await {
        Ok(_) => panic!("catalog started without any way to verify tokens"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("AGORA_IDENTITY_URL"), "{error}");
}
