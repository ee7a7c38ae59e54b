//! The error model of API.md, including errors raised by the framework itself.

use agora_app::AppError;
use agora_http::ApiJson;
use axum::{routing::post, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::{spawn_app_with, Backend, Spawn, TestApp};

#[derive(Deserialize)]
#[allow(dead_code)]
struct Probe {
    name: String,
    age: u8,
}

/// Routes that exist only in these tests, to exercise the JSON extractor and the 500 path.
fn probe_routes() -> Router {
    Router::new()
        .route(
            "/test/echo",
            post(|ApiJson(p): ApiJson<Probe>| async move { Json(json!({"name": p.name})) }),
        )
        .route(
            "/test/boom",
            post(|| async {
                Err::<(), _>(agora_http::ApiError::from(AppError::Unexpected(
                    anyhow::anyhow!("SELECT password_hash FROM users -- secret internals"),
                )))
            }),
        )
}

async fn app() -> TestApp {
    let spawn = Spawn {
        extra_routes: vec![probe_routes()],
        ..Default::default()
    };
    spawn_app_with(Backend::Sqlite, spawn).await
}

async fn assert_error_shape(
    response: reqwest::Response,
    status: u16,
    code: &str,
    error: &str,
) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    let header_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["requestId"], header_id.as_str(), "{body}");
    body
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404_with_the_request_id() {
    let app = app().await;
    let body = assert_error_shape(
        app.get("/api/no/such/thing").await,
        404,
        "not_found",
        "Not found",
    )
    .await;
    assert!(body.get("details").is_none());
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = app().await;
    let response = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_error_shape(response, 405, "method_not_allowed", "Method not allowed").await;
}

#[tokio::test]
async fn malformed_json_is_400_invalid_json_with_details() {
    let app = app().await;
    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let body = assert_error_shape(response, 400, "invalid_json", "Invalid JSON").await;
    assert_eq!(body["details"], json!([]));
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_400_validation_failed_naming_the_field() {
    let app = app().await;
    let response = app
        .client
        .post(app.url("/test/echo"))
        .json(&json!({"name": "Ann", "age": "old"}))
        .send()
        .await
        .unwrap();
    let body = assert_error_shape(response, 400, "validation_failed", "Validation failed").await;
    assert_eq!(body["details"][0]["field"], "age", "{body}");

    let response = app
        .client
        .post(app.url("/test/echo"))
        .json(&json!({"age": 3}))
        .send()
        .await
        .unwrap();
    let body = assert_error_shape(response, 400, "validation_failed", "Validation failed").await;
    assert_eq!(body["details"][0]["field"], "name", "{body}");
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = app().await;
    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "text/plain")
        .body("{\"name\":\"Ann\",\"age\":3}")
        .send()
        .await
        .unwrap();
    assert_error_shape(
        response,
        415,
        "unsupported_media_type",
        "Unsupported media type",
    )
    .await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() {
    let app = app().await;
    let big = format!("{{\"name\":\"{}\",\"age\":3}}", "x".repeat(1024 * 1024));
    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error_shape(response, 413, "payload_too_large", "Payload too large").await;
}

#[tokio::test]
async fn a_valid_body_reaches_the_handler() {
    let app = app().await;
    let response = app
        .client
        .post(app.url("/test/echo"))
        .json(&json!({"name": "Ann", "age": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"name": "Ann"})
    );
}

#[tokio::test]
async fn an_unexpected_error_is_an_opaque_500() {
    let app = app().await;
    let response = app.client.post(app.url("/test/boom")).send().await.unwrap();
    let body = assert_error_shape(response, 500, "internal", "Internal server error").await;
    let text = body.to_string();
    assert!(
        !text.contains("password_hash") && !text.contains("SELECT"),
        "{text}"
    );
}

#[tokio::test]
async fn a_sane_client_request_id_is_echoed_and_an_unsafe_one_replaced() {
    let app = app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "client-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-abc.123");

    let response = app
        .client
        .get(app.url("/api/nope"))
        .header("x-request-id", "evil id<script>")
        .send()
        .await
        .unwrap();
    let header = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(header, "evil id<script>");
    assert!(uuid::Uuid::parse_str(&header).is_ok(), "{header}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["requestId"], header.as_str());
}
