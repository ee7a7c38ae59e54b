//! Fixtures of the content tests: authors (verified or not) and posts written over HTTP.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::support::TestApp;

/// A verified author: `(token, user id)`. The name is "Fixture User".
pub async fn author(app: &TestApp) -> (String, String) {
    let email = format!("author-{}@example.org", uuid::Uuid::new_v4().simple());
    app.create_user(&email, "AuthorPass1", Role::User, Tier::Enterprise)
        .await;
    let session = app.login(&email, "AuthorPass1").await;
    (
        session["accessToken"].as_str().unwrap().to_owned(),
        session["user"]["id"].as_str().unwrap().to_owned(),
    )
}

/// A registered account whose email is not verified yet: its token.
pub async fn unverified(app: &TestApp) -> String {
    let email = format!("new-{}@example.org", uuid::Uuid::new_v4().simple());
    app.register_for_mail(&email).await;
    app.login(&email, "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Writes a post (201 asserted) and returns it.
pub async fn write_post(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post("/api/posts", Some(token), &body).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

/// A published post titled `title` with `tags`: its id.
pub async fn published(app: &TestApp, token: &str, title: &str, tags: &[&str]) -> String {
    let post = write_post(
        app,
        token,
        json!({"title": title, "body": format!("About *{title}*."), "tags": tags, "published": true}),
    )
    .await;
    post["id"].as_str().unwrap().to_owned()
}

/// Comments on a post (201 asserted).
pub async fn comment(app: &TestApp, token: &str, post: &str, body: &str) -> Value {
    let response = app
        .post(
            &format!("/api/posts/{post}/comments"),
            Some(token),
            &json!({"body": body}),
        )
        .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

/// Asserts `response` has `status` and the documented error shape; returns the body.
pub async fn error(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].is_string() && body["requestId"].is_string(),
        "{body}"
    );
    body
}

/// DELETE with a bearer token.
pub async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}
