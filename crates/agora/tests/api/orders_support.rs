//! Fixtures for the orders contract tests: verified buyers, products, carts, checkouts.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::support::TestApp;

/// A verified buyer: (access token, user id).
pub async fn buyer(app: &TestApp) -> (String, String) {
    let email = format!("buyer-{}@example.org", uuid::Uuid::new_v4().simple());
    app.create_user(&email, "BuyerPass1", Role::User, Tier::Enterprise)
        .await;
    let session = app.login(&email, "BuyerPass1").await;
    (
        session["accessToken"].as_str().unwrap().to_owned(),
        session["user"]["id"].as_str().unwrap().to_owned(),
    )
}

/// A product created by an admin: its id.
pub async fn product(
    app: &TestApp,
    admin: &str,
    amount: i64,
    currency: &str,
    stock: u32,
) -> String {
    let sku = format!("P-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]).to_uppercase();
    let body = json!({"sku": sku, "name": format!("Thing {sku}"), "description": "",
        "price": {"amount": amount, "currency": currency}, "stock": stock});
    let response = app.post("/api/products", Some(admin), &body).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// PUT a cart line.
pub async fn put(app: &TestApp, token: &str, product: &str, quantity: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/cart/items/{product}")))
        .bearer_auth(token)
        .json(&json!({"quantity": quantity}))
        .send()
        .await
        .unwrap()
}

/// POST /api/orders with an optional key and a raw body.
pub async fn checkout(
    app: &TestApp,
    token: &str,
    key: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/orders"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

/// A product's current stock (as an admin sees it).
pub async fn stock(app: &TestApp, admin: &str, product: &str) -> i64 {
    let body: Value = app
        .get_as(admin, &format!("/api/products/{product}"))
        .await
        .json()
        .await
        .unwrap();
    body["stock"].as_i64().unwrap()
}

/// The error code of a response, asserting its status.
pub async fn error_code(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert!(body["requestId"].is_string(), "{body}");
    body
}

/// Runs raw SQL on the store of orders (fault injection: triggers that fail a write).
pub async fn execute(app: &TestApp, statements: &[&str]) {
    for sql in statements {
        agora_adapters::on_writer!(&app.db_of("orders"), |pool| sqlx::query(sql)
            .execute(pool)
            .await
            .map(drop))
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }
}
