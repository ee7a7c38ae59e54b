//! Every JSON endpoint of identity against the same malformed-input table, and the
//! verified-email guard that orders and content will use.

use agora_http::auth::{require_verified, AuthUser};
use axum::{routing::get, Router};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{spawn_app_with, token_from, Backend, Spawn, TestApp},
};

/// (method, path, needs a token, a body with one field of the wrong JSON type).
const JSON_ENDPOINTS: &[(&str, &str, bool, &str)] = &[
    ("POST", "/api/users", false, r#"{"email": ["x"]}"#),
    (
        "POST",
        "/api/auth/login",
        false,
        r#"{"email": 1, "password": "x"}"#,
    ),
    ("POST", "/api/auth/refresh", false, r#"{"refreshToken": 7}"#),
    ("POST", "/api/auth/verify-email", false, r#"{"token": {}}"#),
    (
        "POST",
        "/api/auth/forgot-password",
        false,
        r#"{"email": true}"#,
    ),
    (
        "POST",
        "/api/auth/reset-password",
        false,
        r#"{"token": 1, "password": 2}"#,
    ),
    ("PATCH", "/api/users/me", true, r#"{"age": "old"}"#),
    (
        "POST",
        "/api/users/me/password",
        true,
        r#"{"currentPassword": 1}"#,
    ),
];

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn every_json_endpoint_rejects_bad_input_in_the_documented_shape(app: TestApp) {
    app.create_user(
        "shape@example.org",
        "Secret123",
        agora_domain::identity::Role::User,
        agora_domain::identity::Tier::Free,
    )
    .await;
    let token = app.login("shape@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let users_before = app.count("users").await;
    for (method, path, protected, wrong_type) in JSON_ENDPOINTS {
        let auth = protected.then_some(token.as_str());
        let (status, body) = send(
            &app,
            method,
            path,
            auth,
            "application/json",
            "{\"email\":".into(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_json")),
            "{method} {path}"
        );
        assert!(body["requestId"].is_string());

        let (status, body) = send(
            &app,
            method,
            path,
            auth,
            "application/json",
            (*wrong_type).into(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("validation_failed")),
            "{method} {path}: {body}"
        );
        assert!(
            !body["details"].as_array().unwrap().is_empty(),
            "{method} {path}"
        );

        let (status, body) = send(&app, method, path, auth, "text/plain", "{}".into()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (415, Some("unsupported_media_type")),
            "{method} {path}"
        );

        let huge = format!("{{\"email\":\"{}\"}}", "x".repeat(1024 * 1024 + 1));
        let (status, body) = send(&app, method, path, auth, "application/json", huge).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (413, Some("payload_too_large")),
            "{method} {path}"
        );

        if *protected {
            let (status, body) =
                send(&app, method, path, None, "application/json", "{}".into()).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("not_authenticated")),
                "{method} {path}"
            );
            let (status, body) = send(
                &app,
                method,
                path,
                Some("not.a.jwt"),
                "application/json",
                "{}".into(),
            )
            .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("authentication_failed")),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        app.count("users").await,
        users_before,
        "no request created anything"
    );
}

both_backends!(every_json_endpoint_rejects_bad_input_in_the_documented_shape);

#[tokio::test]
async fn actions_needing_a_verified_email_answer_403_until_verified() {
    let guarded =
        Router::new().route(
            "/test/verified-only",
            get(|AuthUser(principal): AuthUser| async move {
                require_verified(&principal).map(|()| "ok")
            }),
        );
    let spawn = Spawn {
        extra_routes: vec![guarded],
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let register =
        json!({"email": "unverified@example.org", "password": "Secret123", "name": "Una Verified"});
    assert_eq!(app.post("/api/users", None, &register).await.status(), 201);
    let token = app.login("unverified@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app.get_as(&token, "/test/verified-only").await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["error"].as_str()),
        (Some("email_not_verified"), Some("Email not verified"))
    );

    let mail = app
        .wait_for_mail("unverified@example.org", "Verify your email")
        .await;
    assert_eq!(
        app.post(
            "/api/auth/verify-email",
            None,
            &json!({"token": token_from(&mail)})
        )
        .await
        .status(),
        200
    );
    // The claim is fixed at issue time: a refreshed or new token carries the verified state.
    let token = app.login("unverified@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_as(&token, "/test/verified-only").await.status(),
        200
    );
}
