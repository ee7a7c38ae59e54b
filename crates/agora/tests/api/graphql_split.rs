//! The GraphQL ports a split service answers for a gateway (ADR 0035): signed like every
//! internal call, the caller being the forwarded bearer token as this service verifies it, and
//! refusals answered with the codes the monolith's GraphQL reports.

use agora_domain::{
    identity::Role,
    service_auth::{ServiceKey, HEADER},
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    saga::{Split, SECRET},
    support::Backend,
    targets::{assert_error, Service},
};

/// A GraphQL operation sent to `service` as the gateway sends it, signed or not.
async fn operation(
    service: &Service,
    context: &str,
    call: &Value,
    token: Option<&str>,
    signed: bool,
) -> reqwest::Response {
    let path = format!("/internal/graphql/{context}");
    let body = serde_json::to_vec(call).unwrap();
    let mut request = service
        .client()
        .post(service.url(&path))
        .header("content-type", "application/json")
        .body(body.clone());
    if signed {
        let now = chrono::Utc::now().timestamp();
        request = request.header(
            HEADER,
            ServiceKey::new(SECRET).sign("POST", &path, now, &body),
        );
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn answer(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn graphql_ports_are_signed_and_verify_the_forwarded_token() {
    let split = Split::start(Backend::Sqlite).await;
    let token = split.identity.account(Role::User).await;
    let me = json!({"op": "me"});

    let unsigned = operation(&split.identity, "identity", &me, Some(&token), false).await;
    assert_error(unsigned, 401, "not_authenticated").await;

    let found = answer(operation(&split.identity, "identity", &me, Some(&token), true).await).await;
    assert!(
        found["ok"]["private"]["email"]
            .as_str()
            .is_some_and(|e| e.ends_with("@example.org")),
        "{found}"
    );
    // The caller is what this service makes of the token, not what the gateway says.
    let anonymous = answer(operation(&split.identity, "identity", &me, None, true).await).await;
    assert_eq!(anonymous["err"]["code"], "not_authenticated", "{anonymous}");
    let forged =
        answer(operation(&split.identity, "identity", &me, Some("x.y.z"), true).await).await;
    assert_eq!(forged["err"]["code"], "authentication_failed", "{forged}");

    // Refusals are answers with the use case's code, not transport errors.
    let product = json!({"op": "product", "id": Uuid::now_v7()});
    let missing = answer(operation(&split.catalog, "catalog", &product, None, true).await).await;
    assert_eq!(missing["err"]["code"], "not_found", "{missing}");
    let batch = json!({"op": "snapshots", "ids": [Uuid::now_v7()]});
    let none = answer(operation(&split.catalog, "catalog", &batch, None, true).await).await;
    assert_eq!(none, json!({"ok": []}));
    // A context the service does not run has no endpoint there.
    let elsewhere = operation(&split.catalog, "identity", &me, Some(&token), true).await;
    assert_error(elsewhere, 404, "not_found").await;
}
