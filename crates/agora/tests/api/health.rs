use serde_json::Value;

use crate::{both_backends, support::TestApp};

async fn health_answers_ok_with_a_request_id(app: TestApp) {
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
}

async fn ready_reports_every_module_and_the_store(app: TestApp) {
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    for module in ["store", "platform", "identity", "http"] {
        assert_eq!(body["checks"][module]["status"], "up", "{module}: {body}");
    }
    assert!(body["checks"]["store"]["latencyMs"].is_number());
}

async fn ready_is_503_when_the_database_is_gone(app: TestApp) {
    app.db.close().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unavailable");
    assert_eq!(body["error"], "Service unavailable");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["store"]["status"], "down");
    assert_eq!(body["checks"]["identity"]["status"], "up");
    assert!(body["requestId"].is_string());
}

both_backends!(
    health_answers_ok_with_a_request_id,
    ready_reports_every_module_and_the_store;
        mono_only = "one process's module checks; the gateway's /ready aggregates services (gateway.rs)",
    ready_is_503_when_the_database_is_gone;
        mono_only = "one process's module checks; the gateway's /ready aggregates services (gateway.rs)",
);
