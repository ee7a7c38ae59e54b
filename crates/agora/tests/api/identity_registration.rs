//! `POST /api/users`: every rule with its API.md message, and nothing half-written on failure.

use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{spawn_app_with, Backend, Spawn, TestApp},
};

/// Posts a registration and returns (status, body).
async fn register(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app.post("/api/users", None, &body).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

fn messages(body: &Value) -> Vec<(String, String)> {
    body["details"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|d| {
            (
                d["field"].as_str().unwrap_or("").to_owned(),
                d["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn assert_nothing_written(app: &TestApp) {
    assert_eq!(app.count("users").await, 0, "no user");
    assert_eq!(app.count("outbox").await, 0, "no mail, no event");
    assert_eq!(app.count("email_tokens").await, 0, "no token");
}

async fn missing_fields_are_each_reported(app: TestApp) {
    let (status, body) = register(&app, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["error"], "Validation failed");
    let details = messages(&body);
    for expected in [
        ("email", "Email is required"),
        ("password", "Password is required"),
        ("name", "Name is required"),
    ] {
        assert!(
            details.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {details:?}"
        );
    }
    assert_nothing_written(&app).await;
}

async fn each_rule_has_its_message(app: TestApp) {
    let cases = [
        (
            json!({"email": "not-an-email", "password": "Secret123", "name": "Ann"}),
            "email",
            "Invalid email",
        ),
        (
            json!({"email": "a@b.org", "password": "Se1", "name": "Ann"}),
            "password",
            "Password must be at least 8 characters",
        ),
        (
            json!({"email": "a@b.org", "password": "secret123", "name": "Ann"}),
            "password",
            "Password must contain an uppercase letter",
        ),
        (
            json!({"email": "a@b.org", "password": "Secretxyz", "name": "Ann"}),
            "password",
            "Password must contain a number",
        ),
        (
            json!({"email": "a@b.org", "password": "Secret123", "name": " A "}),
            "name",
            "Name must be between 2 and 50 characters",
        ),
        (
            json!({"email": "a@b.org", "password": "Secret123", "name": "A".repeat(51)}),
            "name",
            "Name must be between 2 and 50 characters",
        ),
        (
            json!({"email": "a@b.org", "password": "Secret123", "name": "Ann", "age": 0}),
            "age",
            "Age must be between 1 and 120",
        ),
        (
            json!({"email": "a@b.org", "password": "Secret123", "name": "Ann", "age": 121}),
            "age",
            "Age must be between 1 and 120",
        ),
        (
            json!({"email": format!("{}@example.org", "a".repeat(300)), "password": "Secret123", "name": "Ann"}),
            "email",
            "Invalid email",
        ),
        (
            json!({"email": "a@b.org", "password": format!("Secret1{}", "x".repeat(200)), "name": "Ann"}),
            "password",
            "Password must be at most 128 characters",
        ),
    ];
    for (body, field, message) in cases {
        let (status, response) = register(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            messages(&response).contains(&(field.into(), message.into())),
            "{message} for {body}: {response}"
        );
    }
    assert_nothing_written(&app).await;
}

async fn wrong_types_and_malformed_json_are_400(app: TestApp) {
    let (status, body) = register(
        &app,
        json!({"email": 42, "password": "Secret123", "name": "Ann"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed"))
    );
    assert_eq!(body["details"][0]["field"], "email");
    let (status, body) = register(
        &app,
        json!({"email": "a@b.org", "password": "Secret123", "name": "Ann", "age": "old"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed"))
    );
    assert_eq!(body["details"][0]["field"], "age");

    let response = app
        .client
        .post(app.url("/api/users"))
        .header("content-type", "application/json")
        .body("{\"email\": \"a@b.org\",")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "invalid_json"
    );

    let response = app
        .client
        .post(app.url("/api/users"))
        .body("email=a@b.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_nothing_written(&app).await;
}

async fn a_taken_email_is_409_whatever_its_case(app: TestApp) {
    let body = json!({"email": "taken@example.org", "password": "Secret123", "name": "First"});
    assert_eq!(register(&app, body).await.0, 201);
    app.drain_outbox().await;
    let outbox_before = app.count("outbox").await;

    let (status, body) = register(
        &app,
        json!({"email": "  TAKEN@example.org", "password": "Secret123", "name": "Second"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "email_taken");
    assert_eq!(body["error"], "Email already registered");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(
        app.count("outbox").await,
        outbox_before,
        "the failed registration queued nothing"
    );
}

async fn only_an_admin_may_register_an_admin(app: TestApp) {
    let body = json!({"email": "boss@example.org", "password": "Secret123", "name": "Boss", "role": "admin"});
    let (status, response) = register(&app, body.clone()).await;
    assert_eq!(
        (status, response["code"].as_str()),
        (403, Some("insufficient_permissions"))
    );
    assert_nothing_written(&app).await;

    let admin = app.admin_token().await;
    let response = app.post("/api/users", Some(&admin), &body).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["role"], "admin");

    let (status, _) = register(
        &app,
        json!({"email": "x@example.org", "password": "Secret123", "name": "X", "role": "root"}),
    )
    .await;
    assert_eq!(status, 400);
}

async fn a_registration_queues_exactly_one_mail_and_one_event(app: TestApp) {
    let (status, user) = register(
        &app,
        json!({"email": "one@example.org", "password": "Secret123", "name": "One"}),
    )
    .await;
    assert_eq!(status, 201);
    assert!(user.get("password").is_none() && user.get("passwordHash").is_none());
    app.drain_outbox().await;
    assert_eq!(app.mail_count("one@example.org").await, 1);
    let events = app.bus.published_of("user.created");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].data,
        json!({"id": user["id"], "email": "one@example.org"})
    );
    assert_eq!(
        events[0].aggregate_id.to_string(),
        user["id"].as_str().unwrap()
    );
}

both_backends!(
    missing_fields_are_each_reported,
    each_rule_has_its_message,
    wrong_types_and_malformed_json_are_400,
    a_taken_email_is_409_whatever_its_case,
    only_an_admin_may_register_an_admin,
    a_registration_queues_exactly_one_mail_and_one_event,
);

/// With `identity.registration_conceal_taken`, a taken email answers 201 with the same body
/// shape as a new account, and the owner gets a mail instead of the visitor learning anything.
async fn concealed_registration(backend: Backend) {
    let spawn = Spawn {
        configure: Some(Box::new(|config| {
            config.set_section(
                "identity",
                serde_json::json!({ "registration_conceal_taken": true }),
            );
        })),
        ..Default::default()
    };
    let app = spawn_app_with(backend, spawn).await;
    let body = serde_json::json!({
        "email": "owner@example.org", "password": "Secret123", "name": "Olive Owner"
    });
    let first = app.post("/api/users", None, &body).await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = app.post("/api/users", None, &body).await;
    assert_eq!(again.status(), 201);
    let again: serde_json::Value = again.json().await.unwrap();
    let keys = |v: &serde_json::Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&again), keys(&first));
    assert_ne!(again["id"], first["id"]);
    assert_eq!(again["isVerified"], false);
    assert_eq!(app.count("users").await, 1);
    app.wait_for_mail(
        "owner@example.org",
        "Someone tried to register with your address",
    )
    .await;
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn concealed_registration_with_a_taken_email_answers_201_and_mails_the_owner_sqlite() {
    concealed_registration(Backend::Sqlite).await;
}

#[tokio::test]
async fn concealed_registration_with_a_taken_email_answers_201_and_mails_the_owner_postgres() {
    concealed_registration(Backend::Postgres).await;
}
