//! `agora lambda` driven through the Lambda runtime API (an emulator in the test) with real API
//! Gateway REST (v1) and HTTP API (v2) events: the identity contract on DynamoDB, malformed
//! events, and the per-function handlers (ADR 0022).

use serde_json::{json, Value};

use crate::{
    dynamodb_support::fresh_table,
    lambda_support::{event, lambda_command, Gateway, LambdaRuntime, Outcome},
};

/// A function on a fresh table with its data directory (the relational outbox) in `dir`.
async fn function(dir: &std::path::Path, args: &[&str], table: &(String, String)) -> LambdaRuntime {
    let mut runtime = LambdaRuntime::start().await;
    runtime.launch(
        dir,
        args,
        &[
            ("AGORA_DYNAMODB_ENDPOINT", table.0.clone()),
            ("AGORA_DYNAMODB_TABLE", table.1.clone()),
        ],
    );
    runtime
}

/// Register, a taken email, login, me, a missing token, bad JSON: what the HTTP identity tests
/// check, through `gateway`'s events.
async fn the_identity_contract_holds_through(gateway: Gateway) {
    let dir = tempfile::tempdir().unwrap();
    let table = fresh_table().await;
    let lambda = function(dir.path(), &[], &table).await;
    let ann = json!({"email": "ann@example.org", "password": "Secret123", "name": "Ann Lambda"});

    let (status, headers, user) = lambda
        .http(event(gateway, "POST", "/api/users", None, Some(&ann)))
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["email"], "ann@example.org");
    assert_eq!(user["isVerified"], false);
    assert!(headers["x-request-id"].is_string(), "{headers}");

    let (status, _, error) = lambda
        .http(event(gateway, "POST", "/api/users", None, Some(&ann)))
        .await;
    assert_eq!((status, error["code"].as_str()), (409, Some("email_taken")));
    assert_eq!(error["error"], "Email already registered");
    assert!(error["requestId"].is_string());

    let login = json!({"email": "ann@example.org", "password": "Secret123"});
    let (status, _, session) = lambda
        .http(event(
            gateway,
            "POST",
            "/api/auth/login",
            None,
            Some(&login),
        ))
        .await;
    assert_eq!(status, 200, "{session}");
    let token = session["accessToken"].as_str().unwrap();
    assert_eq!(session["tokenType"], "Bearer");

    let (status, _, me) = lambda
        .http(event(gateway, "GET", "/api/users/me", Some(token), None))
        .await;
    assert_eq!((status, me["name"].as_str()), (200, Some("Ann Lambda")));

    let (status, _, error) = lambda
        .http(event(gateway, "GET", "/api/users/me", None, None))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("not_authenticated"))
    );

    let wrong = json!({"email": "ann@example.org", "password": "Wrong1234"});
    let (status, _, error) = lambda
        .http(event(
            gateway,
            "POST",
            "/api/auth/login",
            None,
            Some(&wrong),
        ))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("authentication_failed"))
    );

    let mut broken = event(gateway, "POST", "/api/users", None, None);
    broken["headers"]["content-type"] = "application/json".into();
    broken["body"] = "{\"email\":".into();
    let (status, _, error) = lambda.http(broken).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("invalid_json"))
    );
}

#[tokio::test]
async fn the_identity_contract_holds_through_rest_api_v1_events() {
    the_identity_contract_holds_through(Gateway::V1).await;
}

#[tokio::test]
async fn the_identity_contract_holds_through_http_api_v2_events() {
    the_identity_contract_holds_through(Gateway::V2).await;
}

/// An event that is no API Gateway event is reported to the runtime's `error` endpoint, and the
/// function goes on answering the next invocation.
#[tokio::test]
async fn a_malformed_event_is_an_invocation_error_and_the_function_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let table = fresh_table().await;
    let lambda = function(dir.path(), &[], &table).await;
    for malformed in [json!({"hello": "world"}), json!([1, 2, 3]), json!("text")] {
        match lambda.invoke(malformed.clone()).await {
            Outcome::Error(report) => {
                assert!(report["errorType"].is_string(), "{report}");
            }
            Outcome::Response(response) => panic!("{malformed} answered {response}"),
        }
    }
    let (status, _, health) = lambda
        .http(event(Gateway::V2, "GET", "/health", None, None))
        .await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}

/// The per-function handlers of the seed's `serverless.yml`: `POST /users` creates through
/// registration's use case, `GET /users` lists through the admin list's; each answers only its
/// own operation.
#[tokio::test]
async fn per_function_handlers_share_the_use_cases() {
    let dir = tempfile::tempdir().unwrap();
    let table = fresh_table().await;
    let create = function(dir.path(), &["--function", "users-create"], &table).await;
    let bob = json!({"email": "bob@example.org", "password": "Secret123", "name": "Bob Function"});
    let (status, _, user) = create
        .http(event(Gateway::V2, "POST", "/users", None, Some(&bob)))
        .await;
    assert_eq!(
        (status, user["email"].as_str()),
        (201, Some("bob@example.org"))
    );
    let (status, _, error) = create
        .http(event(Gateway::V2, "POST", "/users", None, Some(&bob)))
        .await;
    assert_eq!((status, error["code"].as_str()), (409, Some("email_taken")));
    let (status, _, error) = create
        .http(event(Gateway::V2, "GET", "/api/users/me", None, None))
        .await;
    assert_eq!((status, error["code"].as_str()), (404, Some("not_found")));

    // An administrator, made by the CLI on the same table.
    let mut admin = lambda_command(dir.path(), "127.0.0.1:9");
    let made = admin
        .args([
            "user",
            "create",
            "--email",
            "root@example.org",
            "--name",
            "Root Admin",
        ])
        .args(["--admin", "--password-stdin"])
        .env("AGORA_DYNAMODB_ENDPOINT", &table.0)
        .env("AGORA_DYNAMODB_TABLE", &table.1)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    let mut made = made;
    made.stdin
        .take()
        .unwrap()
        .write_all(b"AdminPass1\n")
        .unwrap();
    assert!(made.wait().unwrap().success(), "agora user create failed");

    let api = function(dir.path(), &[], &table).await;
    let login = json!({"email": "root@example.org", "password": "AdminPass1"});
    let (_, _, session) = api
        .http(event(
            Gateway::V1,
            "POST",
            "/api/auth/login",
            None,
            Some(&login),
        ))
        .await;
    let token = session["accessToken"].as_str().expect("admin token");

    let list = function(dir.path(), &["--function", "users-list"], &table).await;
    let (status, _, page) = list
        .http(event(
            Gateway::V1,
            "GET",
            "/users?sort=email",
            Some(token),
            None,
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    let emails: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert_eq!(emails, ["bob@example.org", "root@example.org"]);
    assert_eq!(page["meta"]["total"], Value::from(2));
    let (status, _, error) = list
        .http(event(Gateway::V1, "GET", "/users", None, None))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("not_authenticated"))
    );
}
