//! The consumers the binary ships (ADR 0019): analytics counters behind `/api/admin/stats`, and
//! the welcome mail after verification — each once per event, also when an event is published
//! twice.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use agora_domain::event::EventEnvelope;

use crate::{
    events::commit_events,
    support::{token_from, TestApp},
};

/// The analytics consumer counts registrations and (synthetic, as orders lands separately)
/// `order.placed` events per day, once each even when an event is published twice, and the
/// admin reads them at `/api/admin/stats`.
async fn analytics_counts_users_orders_and_products(app: TestApp) {
    let admin = app.admin_token().await; // `agora user create`-style: counts as a user too
    app.register_for_mail("stats-reader@example.org").await;
    let (tent, mug) = (Uuid::now_v7(), Uuid::now_v7());
    let order = |amount: i64, items: serde_json::Value| {
        EventEnvelope::new(
            "order.placed",
            Uuid::now_v7(),
            json!({"total": {"amount": amount, "currency": "EUR"}, "items": items}),
        )
    };
    let first = order(
        5000,
        json!([{"productId": tent, "name": "Tent", "quantity": 1},
               {"productId": mug, "name": "Mug", "quantity": 3}]),
    );
    let second = order(
        1000,
        json!([{"productId": mug, "name": "Mug", "quantity": 2}]),
    );
    let bare = EventEnvelope::new("order.placed", Uuid::now_v7(), json!({}));
    commit_events(&app, &[first.clone(), second, bare, first]).await;
    app.drain_outbox().await;

    let stats: serde_json::Value = app
        .get_as(&admin, "/api/admin/stats")
        .await
        .json()
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(
        stats["usersByDay"],
        json!([{"day": today, "count": 2}]),
        "{stats}"
    );
    assert_eq!(
        stats["ordersByDay"],
        json!([{"day": today, "count": 1, "revenue": {"amount": 0, "currency": ""}},
               {"day": today, "count": 2, "revenue": {"amount": 6000, "currency": "EUR"}}]),
        "{stats}"
    );
    assert_eq!(
        stats["topProducts"],
        json!([{"productId": mug, "name": "Mug", "quantity": 5},
               {"productId": tent, "name": "Tent", "quantity": 1}]),
        "{stats}"
    );
    let anonymous = app.get("/api/admin/stats").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

crate::both_backends!(analytics_counts_users_orders_and_products);

/// Verifying an address mails "Welcome to Agora" once, even when `user.verified` is published
/// again (a relay that crashed between publish and mark).
async fn verification_sends_one_welcome_mail(app: TestApp) {
    let email = "welcome@example.org";
    let verification = app.register_for_mail(email).await;
    let answer = app
        .post(
            "/api/auth/verify-email",
            None,
            &json!({"token": token_from(&verification)}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let welcome = app.wait_for_mail(email, "Welcome to Agora").await;
    assert!(
        welcome.text.contains("account is ready"),
        "{}",
        welcome.text
    );

    let verified = app.bus.published_of("user.verified");
    assert_eq!(verified.len(), 1);
    commit_events(&app, &verified).await;
    // The consumer writes its mail to the outbox before the event is marked sent: drained
    // means any second welcome mail would have been delivered too.
    app.drain_outbox().await;
    assert_eq!(app.mail_count(email).await, 2, "verification + one welcome");
}

crate::both_backends!(verification_sends_one_welcome_mail);

/// `order.placed` mails the buyer "Order confirmed" with the total, `order.status_changed` "Your
/// order is shipped" — once each although both are published twice; an order event without
/// `userId` mails nobody and is not a failure. (Synthetic events: orders lands separately.)
async fn order_events_mail_the_buyer_once(app: TestApp) {
    let email = "buyer@example.org";
    app.create_user(
        email,
        "BuyerPass1",
        agora_domain::identity::Role::User,
        agora_domain::identity::Tier::Free,
    )
    .await;
    let buyer = app.login(email, "BuyerPass1").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = Uuid::now_v7();
    let placed = EventEnvelope::new(
        "order.placed",
        order,
        json!({"id": order, "userId": buyer, "total": {"amount": 1999, "currency": "EUR"}}),
    );
    let shipped = EventEnvelope::new(
        "order.status_changed",
        order,
        json!({"id": order, "userId": buyer, "from": "paid", "to": "shipped"}),
    );
    let anonymous = EventEnvelope::new("order.placed", Uuid::now_v7(), json!({}));
    commit_events(&app, &[placed.clone(), shipped.clone(), anonymous]).await;
    commit_events(&app, &[placed, shipped]).await;

    let confirmed = app.wait_for_mail(email, "Order confirmed").await;
    assert!(confirmed.text.contains("19.99 EUR"), "{}", confirmed.text);
    assert!(
        confirmed.text.contains(&format!("/orders/{order}")),
        "{}",
        confirmed.text
    );
    app.wait_for_mail(email, "Your order is shipped").await;
    app.drain_outbox().await;
    assert_eq!(app.mail_count(email).await, 2, "one mail per event");
    assert_eq!(app.count("event_failures").await, 0);
}

crate::both_backends!(order_events_mail_the_buyer_once);
