//! Orders and the event backbone end to end: a real checkout and a real admin transition (not
//! synthetic events) reach the analytics counters and mail the buyer, once each.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::{
    both_backends,
    orders_support::{checkout, product, put},
    support::TestApp,
};

async fn a_checkout_and_a_transition_reach_analytics_and_the_buyers_mailbox(app: TestApp) {
    let admin = app.admin_token().await;
    let email = "events-buyer@example.org";
    app.create_user(email, "BuyerPass1", Role::User, Tier::Enterprise)
        .await;
    let token = app.login(email, "BuyerPass1").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let item = product(&app, &admin, 1250, "EUR", 5).await;
    let name: Value = app
        .get(&format!("/api/products/{item}"))
        .await
        .json()
        .await
        .unwrap();
    put(&app, &token, &item, json!(2)).await;
    let placed = checkout(&app, &token, Some("events-1"), "").await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    let path = format!(
        "/api/admin/orders/{}/transition",
        order["id"].as_str().unwrap()
    );
    let paid = app
        .post(&path, Some(&admin), &json!({ "to": "paid" }))
        .await;
    assert_eq!(paid.status(), 200);

    let confirmed = app.wait_for_mail(email, "Order confirmed").await;
    assert!(confirmed.text.contains("25.00 EUR"), "{}", confirmed.text);
    app.wait_for_mail(email, "Your order is paid").await;
    app.drain_outbox().await;
    assert_eq!(app.mail_count(email).await, 2, "one mail per event");

    let stats: Value = app
        .get_as(&admin, "/api/admin/stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["topProducts"],
        json!([{ "productId": item, "name": name["name"], "quantity": 2 }]),
        "{stats}"
    );
    assert_eq!(
        stats["ordersByDay"][0]["revenue"],
        json!({ "amount": 2500, "currency": "EUR" }),
        "{stats}"
    );
    assert_eq!(app.count("event_failures").await, 0);
}

both_backends!(a_checkout_and_a_transition_reach_analytics_and_the_buyers_mailbox);
