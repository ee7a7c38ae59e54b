//! Tables that grow with use are pruned: expired tokens, long-delivered outbox messages.

use agora_adapters::platform::SqlOutbox;
use agora_app::identity::Identity;
use agora_domain::ports::Outbox;
use chrono::{Duration, Utc};
use serde_json::json;

use crate::{both_backends, support::TestApp};

async fn expired_tokens_and_old_deliveries_are_purged(app: TestApp) {
    let body = json!({"email": "tidy@example.org", "password": "Secret123", "name": "Ty Dee"});
    assert_eq!(app.post("/api/users", None, &body).await.status(), 201);
    app.login("tidy@example.org", "Secret123").await;
    app.login("tidy@example.org", "Secret123").await;
    app.drain_outbox().await;
    assert_eq!(app.count("refresh_tokens").await, 2);
    assert_eq!(app.count("email_tokens").await, 1);

    // Nothing is old enough yet.
    assert_eq!(
        app.service::<Identity>()
            .purge_expired_tokens()
            .await
            .unwrap(),
        0
    );
    let outbox = SqlOutbox::new(app.db.clone());
    assert_eq!(
        outbox
            .purge_delivered(Utc::now() - Duration::days(7))
            .await
            .unwrap(),
        0
    );

    let long_ago = Utc::now() - Duration::days(8);
    app.execute_at("UPDATE refresh_tokens SET expires_at = $1", long_ago)
        .await;
    app.execute_at("UPDATE email_tokens SET expires_at = $1", long_ago)
        .await;
    app.execute_at("UPDATE outbox SET sent_at = $1", long_ago)
        .await;
    assert_eq!(
        app.service::<Identity>()
            .purge_expired_tokens()
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        app.count("refresh_tokens").await + app.count("email_tokens").await,
        0
    );
    let delivered = app.count("outbox").await as u64;
    assert_eq!(
        outbox
            .purge_delivered(Utc::now() - Duration::days(7))
            .await
            .unwrap(),
        delivered
    );
    assert_eq!(app.count("outbox").await, 0);
    assert_eq!(app.count("users").await, 1, "accounts are never touched");
}

both_backends!(expired_tokens_and_old_deliveries_are_purged);
