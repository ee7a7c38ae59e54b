//! The contract-suite matrix: HTTP journeys written once, as functions of a base URL, run against
//! every topology — the monolith, replicas behind the gateway, the split services behind the
//! gateway — so a topology passes the same contract, not a copy of it.
//!
//! Each journey names the services it needs; a split topology must run every one of them, so
//! every journey runs everywhere and nothing is skipped. (`/graphql` is not in the matrix: it
//! needs every context in one process and answers 503 in `micro`, ADR 0032.)

use std::{future::Future, pin::Pin};

use serde_json::{json, Value};

type Outcome = Result<(), String>;
type Run = for<'a> fn(&'a Api) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One journey.
pub struct Journey {
    pub name: &'static str,
    /// Services (targets) whose routes it calls.
    pub needs: &'static [&'static str],
    run: Run,
}

/// A client bound to a base URL.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

/// Seeded by `agora seed`: a verified free-tier user and the administrator.
const USER: (&str, &str) = ("free@agora.local", "AgoraDemo1");

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        expect: u16,
    ) -> Result<Value, String> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if method == reqwest::Method::POST && path == "/api/orders" {
            request = request.header("idempotency-key", uuid::Uuid::new_v4().to_string());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if status != expect {
            return Err(format!(
                "{method} {path}: expected {expect}, got {status}: {text}"
            ));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Result<Value, String> {
        self.call(reqwest::Method::GET, path, token, None, 200)
            .await
    }

    async fn login(&self) -> Result<String, String> {
        let body = json!({"email": USER.0, "password": USER.1});
        let session = self
            .call(
                reqwest::Method::POST,
                "/api/auth/login",
                None,
                Some(body),
                200,
            )
            .await?;
        session["accessToken"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("login answered no token: {session}"))
    }
}

fn check(condition: bool, what: impl FnOnce() -> String) -> Outcome {
    if condition {
        Ok(())
    } else {
        Err(what())
    }
}

async fn probes(api: &Api) -> Outcome {
    let health = api.get("/health", None).await?;
    check(health["status"] == "ok", || format!("/health: {health}"))?;
    api.get("/ready", None).await.map(drop)
}

async fn login(api: &Api) -> Outcome {
    let token = api.login().await?;
    let me = api.get("/api/users/me", Some(&token)).await?;
    check(me["email"] == USER.0, || format!("/api/users/me: {me}"))
}

async fn catalog(api: &Api) -> Outcome {
    let list = api.get("/api/products?limit=5&inStock=true", None).await?;
    let first = &list["data"][0];
    let id = first["id"]
        .as_str()
        .ok_or_else(|| format!("no products: {list}"))?;
    let one = api.get(&format!("/api/products/{id}"), None).await?;
    check(one["id"] == id && one["name"] == first["name"], || {
        format!("by id: {one}")
    })?;
    api.get("/api/categories", None).await.map(drop)
}

async fn cart_and_checkout(api: &Api) -> Outcome {
    let token = api.login().await?;
    let list = api.get("/api/products?limit=1&inStock=true", None).await?;
    let id = list["data"][0]["id"]
        .as_str()
        .ok_or("no product in stock")?
        .to_owned();
    let put = reqwest::Method::PUT;
    let path = format!("/api/cart/items/{id}");
    api.call(put, &path, Some(&token), Some(json!({"quantity": 1})), 200)
        .await?;
    let cart = api.get("/api/cart", Some(&token)).await?;
    check(cart["items"][0]["productId"] == id.as_str(), || {
        format!("cart: {cart}")
    })?;
    let order = api
        .call(
            reqwest::Method::POST,
            "/api/orders",
            Some(&token),
            Some(json!({})),
            201,
        )
        .await?;
    let order_id = order["id"]
        .as_str()
        .ok_or_else(|| format!("order: {order}"))?;
    let read = api
        .get(&format!("/api/orders/{order_id}"), Some(&token))
        .await?;
    check(read["items"][0]["productId"] == id.as_str(), || {
        format!("order: {read}")
    })
}

async fn posts(api: &Api) -> Outcome {
    let token = api.login().await?;
    let body = json!({"title": "Matrix", "body": "Written *once*.", "published": true});
    let post = api
        .call(
            reqwest::Method::POST,
            "/api/posts",
            Some(&token),
            Some(body),
            201,
        )
        .await?;
    let id = post["id"].as_str().ok_or_else(|| format!("post: {post}"))?;
    let read = api.get(&format!("/api/posts/{id}"), None).await?;
    check(read["title"] == "Matrix", || format!("post: {read}"))?;
    let list = api.get("/api/posts", None).await?;
    check(list["meta"]["total"].as_u64() >= Some(1), || {
        format!("posts: {list}")
    })
}

/// Every journey.
pub fn journeys() -> Vec<Journey> {
    vec![
        Journey {
            name: "probes",
            needs: &[],
            run: |a| Box::pin(probes(a)),
        },
        Journey {
            name: "login",
            needs: &["identity"],
            run: |a| Box::pin(login(a)),
        },
        Journey {
            name: "catalog",
            needs: &["catalog"],
            run: |a| Box::pin(catalog(a)),
        },
        Journey {
            name: "cart_and_checkout",
            needs: &["identity", "catalog", "orders"],
            run: |a| Box::pin(cart_and_checkout(a)),
        },
        Journey {
            name: "posts",
            needs: &["identity", "content"],
            run: |a| Box::pin(posts(a)),
        },
    ]
}

/// Runs every journey against `base`; all must pass.
pub async fn run_all(base: &str) {
    let api = Api::new(base);
    let mut failures = Vec::new();
    for journey in journeys() {
        if let Err(error) = (journey.run)(&api).await {
            failures.push(format!("{}: {error}", journey.name));
        }
    }
    assert!(
        failures.is_empty(),
        "journeys failed against {base}:\n{}",
        failures.join("\n")
    );
}

/// Runs every journey through a gateway in front of the split `services`: each service a
/// journey needs must be among them (a split that lost one fails here, by name), and every
/// journey must pass as on the monolith.
pub async fn run_split(base: &str, services: &[&str]) {
    let missing: Vec<String> = journeys()
        .iter()
        .flat_map(|journey| {
            journey
                .needs
                .iter()
                .filter(|service| !services.contains(service))
                .map(|service| format!("{} needs {service}", journey.name))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the split runs {services:?}, but: {}",
        missing.join("; ")
    );
    run_all(base).await;
}
