//! The schema over remote ports: one request per DataLoader batch, reads retryable and
//! mutations not, and the services' refusals and transport failures reported with the codes
//! the monolith reports.

use std::sync::{Arc, Mutex};

use agora_domain::{paging::Page, ports::PortError};
use async_trait::async_trait;
use axum::{body::Body, http::Request};
use chrono::Utc;
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

use super::{
    ports::{AuthorView, Failure, FieldDetail, PostView, Scope},
    wire::{Answer, ContentCall, Transport},
    GraphqlLimits, GraphqlServices,
};

/// What a fake content service was asked: `(operation, idempotent)`.
type Calls = Arc<Mutex<Vec<(String, bool)>>>;

/// A content service answering from memory; `fail` replaces every answer.
struct FakeContent {
    posts: Vec<PostView>,
    calls: Calls,
    fail: Option<Result<Failure, String>>,
}

fn post(author: Uuid) -> PostView {
    PostView {
        id: Uuid::now_v7(),
        author_id: author,
        title: "T".into(),
        body: "B".into(),
        tags: Vec::new(),
        published: true,
        comment_count: 0,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[async_trait]
impl Transport for FakeContent {
    async fn send(
        &self,
        path: &str,
        _scope: &Scope,
        body: Value,
        idempotent: bool,
    ) -> Result<Answer, PortError> {
        let op = body["op"].as_str().unwrap_or_default().to_owned();
        self.calls.lock().unwrap().push((op, idempotent));
        match &self.fail {
            Some(Ok(failure)) => return Ok(Answer::Err(failure.clone())),
            Some(Err(reason)) => return Err(PortError::Unavailable(reason.clone())),
            None => {}
        }
        assert_eq!(path, "/internal/graphql/content");
        let call: ContentCall = serde_json::from_value(body).expect("a content call");
        let value = match call {
            ContentCall::Posts { .. } => json!(Page {
                items: self.posts.clone(),
                total: self.posts.len() as u64,
            }),
            ContentCall::Authors { ids } => json!(ids
                .iter()
                .map(|id| AuthorView {
                    id: *id,
                    name: format!("author {id}"),
                })
                .collect::<Vec<_>>()),
            ContentCall::CommentsOf { .. } => json!({}),
            ContentCall::CreatePost { .. } => json!(self.posts[0]),
            other => panic!("unexpected call {other:?}"),
        };
        Ok(Answer::Ok(value))
    }
}

async fn run(transport: FakeContent, query: &str) -> Value {
    run_on(
        GraphqlServices::remote(None, None, None, Some(Arc::new(transport))),
        query,
    )
    .await
}

async fn run_on(services: GraphqlServices, query: &str) -> Value {
    let app = super::router(services, GraphqlLimits::default());
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "query": query }).to_string()))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn fake(posts: Vec<PostView>, fail: Option<Result<Failure, String>>) -> (FakeContent, Calls) {
    let calls = Calls::default();
    let transport = FakeContent {
        posts,
        calls: calls.clone(),
        fail,
    };
    (transport, calls)
}

#[tokio::test]
async fn a_page_of_posts_with_authors_and_comments_is_one_request_per_level() {
    let posts: Vec<PostView> = (0..7).map(|_| post(Uuid::now_v7())).collect();
    let (transport, calls) = fake(posts.clone(), None);
    let answer = run(
        transport,
        "{ posts(limit: 7) { items { id author { id name } comments { body } } } }",
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let items = answer["data"]["posts"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    for (item, post) in items.iter().zip(&posts) {
        assert_eq!(item["author"]["name"], format!("author {}", post.author_id));
    }
    let calls = calls.lock().unwrap().clone();
    let ops: Vec<&str> = calls.iter().map(|(op, _)| op.as_str()).collect();
    // One list, then ONE batch per loader for all seven posts — not seven of each.
    assert_eq!(ops.len(), 3, "{ops:?}");
    assert_eq!(ops[0], "posts");
    assert!(
        ops.contains(&"authors") && ops.contains(&"commentsOf"),
        "{ops:?}"
    );
    assert!(
        calls.iter().all(|(_, idempotent)| *idempotent),
        "reads are retryable"
    );
}

#[tokio::test]
async fn a_refusal_keeps_the_services_code_message_and_details() {
    let failure = Failure {
        code: "validation_failed".into(),
        message: "Validation failed".into(),
        details: vec![FieldDetail {
            field: "limit".into(),
            message: "too big".into(),
        }],
    };
    let (transport, _) = fake(Vec::new(), Some(Ok(failure)));
    let answer = run(transport, "{ posts { meta { total } } }").await;
    let error = &answer["errors"][0];
    assert_eq!(error["message"], "Validation failed");
    assert_eq!(error["extensions"]["code"], "validation_failed");
    assert_eq!(
        error["extensions"]["details"],
        json!([{"field": "limit", "message": "too big"}])
    );

    let not_found = Failure {
        code: "not_found".into(),
        message: "Not found".into(),
        details: Vec::new(),
    };
    let (transport, _) = fake(Vec::new(), Some(Ok(not_found)));
    let id = Uuid::now_v7();
    let answer = run(transport, &format!("{{ post(id: \"{id}\") {{ title }} }}")).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "not_found");
    assert!(answer["errors"][0]["extensions"].get("details").is_none());
}

#[tokio::test]
async fn an_unreachable_service_is_unavailable_without_its_reason() {
    let (transport, _) = fake(Vec::new(), Some(Err("content: connection refused".into())));
    let answer = run(transport, "{ posts { meta { total } } }").await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "unavailable");
    assert!(
        !answer.to_string().contains("connection refused"),
        "internal detail leaked: {answer}"
    );
}

#[tokio::test]
async fn a_context_no_one_answers_is_unavailable_and_is_not_called() {
    let (transport, calls) = fake(vec![post(Uuid::now_v7())], None);
    let answer = run(transport, "{ products { meta { total } } }").await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "unavailable");
    assert!(calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_mutation_is_sent_once_and_its_refusal_keeps_the_code() {
    let taken = Failure {
        code: "email_taken".into(),
        message: "Email already registered".into(),
        details: Vec::new(),
    };
    let (transport, calls) = fake(Vec::new(), Some(Ok(taken)));
    let services = GraphqlServices::remote(Some(Arc::new(transport)), None, None, None);
    let answer = run_on(
        services,
        r#"mutation { register(input: {email: "a@b.c", password: "Passw0rd!", name: "A"}) { id } }"#,
    )
    .await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "email_taken");
    assert_eq!(
        calls.lock().unwrap().clone(),
        vec![("register".to_owned(), false)],
        "a mutation is not retryable"
    );
}
