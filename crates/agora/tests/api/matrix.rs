//! The contract-suite matrix: HTTP journeys written once, as functions of a base URL, run against
//! every topology — the monolith, replicas behind the gateway, the split services behind the
//! gateway — so a topology passes the same contract, not a copy of it.
//!
//! Each journey names the services it needs; a split topology must run every one of them, so
//! every journey runs everywhere and nothing is skipped. `/graphql` included: in `micro` the
//! gateway hosts the schema over the services' internal ports (ADR 0035), and must answer as
//! the monolith does.

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

impl Api {
    /// A GraphQL operation: `200` with `data`/`errors`, as on the monolith.
    async fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let body = json!({"query": query, "variables": variables});
        self.call(reqwest::Method::POST, "/graphql", token, Some(body), 200)
            .await
    }
}

/// The answer's data, or the journey's failure naming its errors.
fn data(answer: Value, what: &str) -> Result<Value, String> {
    match answer.get("errors") {
        Some(errors) => Err(format!("{what}: {errors}")),
        None => Ok(answer["data"].clone()),
    }
}

fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken tokenType \
                     user { id name email } } }";
const CREATE_POST: &str = "mutation($input: CreatePostInput!) { createPost(input: $input) { id \
                           title published author { id name } } }";
const ADD_COMMENT: &str = "mutation($input: AddCommentInput!) { addComment(input: $input) { id \
                           postId body author { id name } } }";
const POST: &str = "query($id: ID!) { post(id: $id) { title bodyHtml commentCount \
                    author { id name } comments { body author { id name } } } }";
const POSTS: &str =
    "{ posts(limit: 10) { items { id author { id name } comments { author { name } } } \
                     meta { total } } }";
const PRODUCTS: &str = "{ products(limit: 3) { items { id name price { amount currency } \
                        category { name } } meta { total } } }";

/// GraphQL across contexts: products (catalog), login (identity), a post and a comment written
/// by the caller (content), read back with their authors' names (identity, batched) — and the
/// error codes of REST, whatever process answers.
async fn graphql(api: &Api) -> Outcome {
    let rest = api.get("/api/products?limit=3", None).await?;
    let products = data(api.graphql(None, PRODUCTS, json!({})).await?, "products")?;
    let page = &products["products"];
    check(page["meta"]["total"] == rest["meta"]["total"], || {
        format!("products total: {page} vs REST {rest}")
    })?;
    check(page["items"][0]["id"] == rest["data"][0]["id"], || {
        format!("first product: {page} vs REST {rest}")
    })?;

    let login = json!({"input": {"email": USER.0, "password": USER.1}});
    let session = data(api.graphql(None, LOGIN, login).await?, "login")?;
    let token = session["login"]["accessToken"]
        .as_str()
        .ok_or_else(|| format!("login: {session}"))?
        .to_owned();
    let me = &session["login"]["user"];
    check(me["email"] == USER.0, || format!("login user: {me}"))?;

    let post = json!({"input": {"title": "GraphQL matrix", "body": "Across *services*.", "published": true}});
    let created = data(
        api.graphql(Some(&token), CREATE_POST, post).await?,
        "createPost",
    )?;
    let post = &created["createPost"];
    check(
        post["author"] == json!({"id": me["id"], "name": me["name"]}),
        || format!("createPost author: {post} (me {me})"),
    )?;
    let id = post["id"]
        .as_str()
        .ok_or_else(|| format!("createPost: {post}"))?;
    let comment = json!({"input": {"postId": id, "body": "Batched, not N+1."}});
    let added = data(
        api.graphql(Some(&token), ADD_COMMENT, comment).await?,
        "addComment",
    )?;
    check(added["addComment"]["postId"] == id, || {
        format!("addComment: {added}")
    })?;

    let read = data(api.graphql(None, POST, json!({"id": id})).await?, "post")?;
    let read = &read["post"];
    check(
        read["bodyHtml"]
            .as_str()
            .is_some_and(|h| h.contains("<em>services</em>"))
            && read["commentCount"] == 1
            && read["comments"][0]["body"] == "Batched, not N+1."
            && read["comments"][0]["author"]["name"] == me["name"]
            && read["author"]["name"] == me["name"],
        || format!("post with author and comments: {read}"),
    )?;
    let list = data(api.graphql(None, POSTS, json!({})).await?, "posts")?;
    let items = list["posts"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    check(
        items
            .iter()
            .any(|p| p["id"] == id && p["author"]["name"] == me["name"]),
        || format!("posts with authors: {list}"),
    )?;

    // The same refusals as REST and as the monolith, by code.
    let missing = json!({"id": uuid::Uuid::new_v4().to_string()});
    let answer = api.graphql(None, POST, missing).await?;
    check(error_code(&answer) == "not_found", || {
        format!("unknown post: {answer}")
    })?;
    let anonymous = json!({"input": {"title": "No", "body": "No"}});
    let answer = api.graphql(None, CREATE_POST, anonymous).await?;
    check(error_code(&answer) == "not_authenticated", || {
        format!("anonymous createPost: {answer}")
    })?;
    let invalid = json!({"input": {"title": "", "body": "x"}});
    let answer = api.graphql(Some(&token), CREATE_POST, invalid).await?;
    check(
        error_code(&answer) == "validation_failed"
            && answer["errors"][0]["extensions"]["details"][0]["field"] == "title",
        || format!("invalid createPost: {answer}"),
    )?;
    let wrong = json!({"input": {"email": USER.0, "password": "not-the-password"}});
    let answer = api.graphql(None, LOGIN, wrong).await?;
    check(error_code(&answer) == "authentication_failed", || {
        format!("wrong password: {answer}")
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
        Journey {
            name: "graphql",
            needs: &["identity", "catalog", "content"],
            run: |a| Box::pin(graphql(a)),
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
