//! Identity on DynamoDB (ADR 0022): the same HTTP contract with accounts, tokens and sessions
//! in a table of moto's local DynamoDB, and the outbox and audit log in the relational store
//! (SQLite or PostgreSQL). Also how DynamoDB's failures reach the client.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use agora_domain::identity::{Role, Tier};
use axum::{http::StatusCode, routing::post, Router};
use serde_json::{json, Value};

use crate::{
    dynamodb_support::{fresh_table, start_fake},
    support::{spawn_app_with, token_from, Backend, Spawn, TestApp},
};

async fn on_dynamodb(backend: Backend, endpoint: String, table: String) -> TestApp {
    spawn_app_with(
        backend,
        Spawn {
            configure: Some(Box::new(move |config| {
                config.dynamodb_endpoint = Some(endpoint);
                config.dynamodb_table = Some(table);
            })),
            ..Default::default()
        },
    )
    .await
}

async fn app_on_fresh_table(backend: Backend) -> TestApp {
    let (endpoint, table) = fresh_table().await;
    on_dynamodb(backend, endpoint, table).await
}

async fn error_code(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON error body");
    assert!(body["requestId"].is_string(), "error shape: {body}");
    (status, body)
}

/// Register, verify, log in, read and change the profile, rotate, reuse, log out: the identity
/// journey with every account and token in DynamoDB and none in the relational tables.
async fn the_identity_journey_runs_on_dynamodb(backend: Backend) {
    let app = app_on_fresh_table(backend).await;
    let mail = app.register_for_mail("dyn@example.org").await;
    let again = json!({"email": "DYN@example.org", "password": "Secret123", "name": "Dup"});
    let (status, body) = error_code(app.post("/api/users", None, &again).await).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("email_taken")));

    let verified = app
        .post(
            "/api/auth/verify-email",
            None,
            &json!({"token": token_from(&mail)}),
        )
        .await;
    assert_eq!(verified.status(), 200);
    let reused = app
        .post(
            "/api/auth/verify-email",
            None,
            &json!({"token": token_from(&mail)}),
        )
        .await;
    assert_eq!(reused.status(), 400, "a verification token is single use");

    let session = app.login("dyn@example.org", "Secret123").await;
    let access = session["accessToken"].as_str().unwrap();
    let me: Value = app
        .get_as(access, "/api/users/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "dyn@example.org");
    assert_eq!(me["isVerified"], true);
    let renamed = app
        .patch("/api/users/me", access, &json!({"name": "Dee Dynamo"}))
        .await;
    assert_eq!(renamed.status(), 200);

    let refresh = session["refreshToken"].as_str().unwrap();
    let rotated = app
        .post("/api/auth/refresh", None, &json!({"refreshToken": refresh}))
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new_access = rotated["accessToken"].as_str().unwrap();
    assert_eq!(app.get_as(new_access, "/api/users/me").await.status(), 200);

    let logout = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(new_access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let (status, body) = error_code(app.get_as(new_access, "/api/users/me").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );

    let wrong = app
        .post(
            "/api/auth/login",
            None,
            &json!({"email": "dyn@example.org", "password": "Wrong1234"}),
        )
        .await;
    assert_eq!(error_code(wrong).await.0, 401);
    assert_eq!(app.count("users").await, 0, "accounts live in DynamoDB");
    assert_eq!(
        app.count("refresh_tokens").await,
        0,
        "sessions live in DynamoDB"
    );
    app.shutdown().await.expect("clean shutdown");
}

/// Password reset ends every session: `revoke_user` finds a user's families in DynamoDB.
async fn a_password_reset_revokes_every_session_on_dynamodb(backend: Backend) {
    let app = app_on_fresh_table(backend).await;
    app.create_user("reset@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let first = app.login("reset@example.org", "Secret123").await;
    let second = app.login("reset@example.org", "Secret123").await;
    let forgot = app
        .post(
            "/api/auth/forgot-password",
            None,
            &json!({"email": "reset@example.org"}),
        )
        .await;
    assert_eq!(forgot.status(), 202);
    let mail = app
        .wait_for_mail("reset@example.org", "Reset your password")
        .await;
    let reset = app
        .post(
            "/api/auth/reset-password",
            None,
            &json!({"token": token_from(&mail), "password": "Changed123"}),
        )
        .await;
    assert_eq!(reset.status(), 204);
    for session in [first, second] {
        let access = session["accessToken"].as_str().unwrap();
        assert_eq!(app.get_as(access, "/api/users/me").await.status(), 401);
    }
    app.login("reset@example.org", "Changed123").await;
    app.shutdown().await.expect("clean shutdown");
}

/// Concurrent registrations of one address: the email claim's conditional write lets exactly
/// one through; the others are 409 `email_taken` (from the read or from the cancelled
/// transaction), never a 500.
async fn racing_registrations_of_one_email_give_one_account(backend: Backend) {
    let app = Arc::new(app_on_fresh_table(backend).await);
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..6 {
        let app = app.clone();
        attempts.spawn(async move {
            let body = json!({"email": "race@example.org", "password": "Secret123", "name": format!("Racer {i}")});
            app.post("/api/users", None, &body).await.status().as_u16()
        });
    }
    let mut statuses = attempts.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
}

/// Rotating one refresh token twice at once: one exchange wins; the other is refused (a
/// grace re-issue or `token_revoked`), never a 500 and never two live successors.
async fn racing_refreshes_never_fail_with_a_500(backend: Backend) {
    let app = Arc::new(app_on_fresh_table(backend).await);
    app.create_user("twice@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let session = app.login("twice@example.org", "Secret123").await;
    let refresh = session["refreshToken"].as_str().unwrap().to_owned();
    let mut exchanges = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let app = app.clone();
        let refresh = refresh.clone();
        exchanges.spawn(async move {
            app.post("/api/auth/refresh", None, &json!({"refreshToken": refresh}))
                .await
                .status()
                .as_u16()
        });
    }
    let statuses = exchanges.join_all().await;
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

crate::dynamodb_backends!(
    the_identity_journey_runs_on_dynamodb,
    a_password_reset_revokes_every_session_on_dynamodb,
    racing_registrations_of_one_email_give_one_account,
    racing_refreshes_never_fail_with_a_500,
);

/// A DynamoDB that throttles every request: the client retries (3 attempts per call, like the
/// AWS SDKs), then the request is answered 503 `unavailable` in the error shape.
#[tokio::test]
async fn throttling_is_retried_then_answered_503() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let throttle = Router::new().route(
        "/",
        post(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                (
                    StatusCode::BAD_REQUEST,
                    [("content-type", "application/x-amz-json-1.0")],
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#,
                )
            }
        }),
    );
    let endpoint = start_fake(throttle).await;
    let app = on_dynamodb(Backend::Sqlite, endpoint, "throttled".into()).await;
    let body = json!({"email": "slow@example.org", "password": "Secret123", "name": "Slow"});
    let (status, error) = error_code(app.post("/api/users", None, &body).await).await;
    assert_eq!((status, error["code"].as_str()), (503, Some("unavailable")));
    assert_eq!(error["error"], "Service unavailable");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "one call, three attempts");
}

/// A table that does not exist: requests are 503 (never a 500 with detail) and `/ready` names
/// the table.
#[tokio::test]
async fn a_missing_table_is_named_by_ready_and_answered_503() {
    let endpoint = crate::dynamodb_support::endpoint();
    let app = on_dynamodb(Backend::Sqlite, endpoint, "no_such_table".into()).await;
    let body = json!({"email": "nobody@example.org", "password": "Secret123", "name": "Nobody"});
    let (status, error) = error_code(app.post("/api/users", None, &body).await).await;
    assert_eq!((status, error["code"].as_str()), (503, Some("unavailable")));
    assert!(
        !error.to_string().contains("no_such_table"),
        "no detail to clients"
    );
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 503);
    let ready = ready.text().await.unwrap();
    assert!(
        ready.contains("DynamoDB table `no_such_table` not found"),
        "{ready}"
    );
}

/// A login's rehash (ADR 0039) on DynamoDB: the condition is checked at commit, so a hash
/// changed since it was read fails that commit and stays; the expected one is replaced, alone.
#[tokio::test]
async fn a_password_hash_is_replaced_only_while_it_is_the_expected_one_on_dynamodb() {
    use agora_adapters::dynamodb::{DynamoUnitOfWork, DynamoUserRepository};
    use agora_domain::{
        identity::{Email, NewUser, PersonName, User},
        ports::{StoreError, UnitOfWork, UserRepository},
    };
    let (endpoint, table) = fresh_table().await;
    let client = crate::dynamodb_support::client(&endpoint, &table);
    let uow = DynamoUnitOfWork::new(client.clone(), None);
    let repo = DynamoUserRepository::new(client);
    let original = NewUser {
        email: Email::parse("rehash@example.org").unwrap(),
        password_hash: "$argon2id$old".into(),
        name: PersonName::parse("Test Person").unwrap(),
        role: Role::User,
        tier: Tier::Free,
        is_verified: false,
    }
    .into_user(chrono::Utc::now());
    let mut tx = uow.begin().await.unwrap();
    repo.insert(&mut tx, &original).await.unwrap();
    tx.commit().await.unwrap();
    let stored = repo.get(original.id).await.unwrap().unwrap();

    let mut tx = uow.begin().await.unwrap();
    repo.replace_password_hash(
        &mut tx,
        original.id,
        "$argon2id$changed-meanwhile",
        "$new-1",
    )
    .await
    .unwrap();
    assert!(matches!(
        tx.commit().await,
        Err(StoreError::Constraint { .. })
    ));
    assert_eq!(repo.get(original.id).await.unwrap().unwrap(), stored);

    let mut tx = uow.begin().await.unwrap();
    repo.replace_password_hash(&mut tx, original.id, "$argon2id$old", "$new-2")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let replaced = repo.get(original.id).await.unwrap().unwrap();
    assert_eq!(replaced.password_hash, "$new-2");
    assert_eq!(
        User {
            password_hash: stored.password_hash.clone(),
            ..replaced
        },
        stored,
        "only the hash changed"
    );
}
