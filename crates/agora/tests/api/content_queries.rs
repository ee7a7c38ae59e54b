//! No N+1 in content reads: SQL statements counted from what sqlx itself reports (every
//! statement it runs emits a `sqlx::query` tracing event, from the SQLite worker thread or the
//! Postgres caller), per request, for pages of different sizes.
//!
//! Only statements on content's and identity's tables count (`posts`, `comments`, `users`), so
//! the background relay polling the outbox does not blur the number. The counter must be the
//! process's tracing subscriber: under nextest (one process per test) it always is; otherwise
//! the test says so and fails rather than guess.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, OnceLock,
};

use serde_json::Value;
use tracing_subscriber::{layer::SubscriberExt, Layer};

use crate::{
    both_backends,
    content_support::{author, comment, published},
    support::TestApp,
};

struct CountContentStatements(Arc<AtomicU64>);

#[derive(Default)]
struct Sql(String);

impl tracing::field::Visit for Sql {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if matches!(field.name(), "summary" | "db.statement") {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for CountContentStatements {
    fn enabled(
        &self,
        metadata: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        metadata.target() == "sqlx::query"
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut sql = Sql::default();
        event.record(&mut sql);
        let sql = sql.0.to_lowercase();
        if ["posts", "comments", "from users"]
            .iter()
            .any(|t| sql.contains(t))
        {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn counter() -> &'static Arc<AtomicU64> {
    static COUNT: OnceLock<Arc<AtomicU64>> = OnceLock::new();
    COUNT.get_or_init(|| {
        let count = Arc::new(AtomicU64::new(0));
        let subscriber = tracing_subscriber::registry().with(CountContentStatements(count.clone()));
        tracing::subscriber::set_global_default(subscriber)
            .expect("statement counting needs its own process: run with cargo nextest");
        count
    })
}

/// The statements on content and user tables that `request` ran, and its answer.
pub async fn statements_of<F: std::future::Future<Output = reqwest::Response>>(
    request: F,
) -> (u64, Value) {
    let count = counter();
    let before = count.load(Ordering::SeqCst);
    let response = request.await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (count.load(Ordering::SeqCst) - before, body)
}

/// 30 posts by three authors, each with comments by two others.
pub async fn thirty_commented_posts(app: &TestApp) {
    let authors = [author(app).await, author(app).await, author(app).await];
    for i in 0..30 {
        let (token, _) = &authors[i % 3];
        let post = published(app, token, &format!("Post {i}"), &["bulk"]).await;
        comment(app, &authors[(i + 1) % 3].0, &post, "one").await;
        comment(app, &authors[(i + 2) % 3].0, &post, "two").await;
    }
}

async fn the_rest_post_list_takes_two_statements_whatever_the_page_size(app: TestApp) {
    counter();
    thirty_commented_posts(&app).await;
    let (small, page) = statements_of(app.get("/api/posts?limit=5")).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    assert_eq!(page["data"][0]["commentCount"], 2);
    assert_eq!(page["data"][0]["author"]["name"], "Fixture User");
    let (large, page) = statements_of(app.get("/api/posts?limit=50")).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 30);
    assert_eq!(page["meta"]["total"], 30);
    assert!(small <= 2 && small > 0, "{small} statements for 5 posts");
    assert_eq!(large, small, "statements grow with the page: N+1");
    let id = page["data"][0]["id"].as_str().unwrap();
    let (one, _) = statements_of(app.get(&format!("/api/posts/{id}"))).await;
    assert!(one <= 2, "{one} statements for one post");
}
both_backends!(the_rest_post_list_takes_two_statements_whatever_the_page_size);
