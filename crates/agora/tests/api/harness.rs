//! The harness itself: the fakes a test injects are the ones the running modules use.

use std::{sync::Arc, time::Duration};

use agora_adapters::memory::RecordingMailer;
use serde_json::json;

use crate::support::{eventually, spawn_app_with, Backend, Spawn};

#[tokio::test]
async fn an_injected_mailer_and_the_memory_bus_receive_what_the_app_sends() {
    let mailer = RecordingMailer::new();
    let spawn = Spawn {
        mailer: Some(Arc::new(mailer.clone())),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let response = app
        .client
        .post(app.url("/api/users"))
        .json(&json!({"email": "fake@example.org", "password": "Secret123", "name": "Fay Fake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    eventually(Duration::from_secs(5), || {
        !mailer.sent_to("fake@example.org").is_empty()
    })
    .await;
    eventually(Duration::from_secs(5), || {
        !app.bus.published_of("user.created").is_empty()
    })
    .await;
}
