//! Orders: cart, checkout with Idempotency-Key, payment, state machine (API.md "Orders"), on
//! both backends.

use serde_json::{json, Value};

use crate::{
    both_backends,
    orders_support::{buyer, checkout, error_code, product, put, stock},
    support::TestApp,
};

async fn checkout_places_one_order_and_replays_it_byte_for_byte(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, user_id) = buyer(&app).await;
    let item = product(&app, &admin, 1250, "EUR", 3).await;
    assert_eq!(put(&app, &token, &item, json!(2)).await.status(), 200);
    let cart: Value = app.get_as(&token, "/api/cart").await.json().await.unwrap();
    assert_eq!(
        cart["items"][0]["lineTotal"],
        json!({"amount": 2500, "currency": "EUR"})
    );
    assert_eq!(cart["total"]["amount"], 2500);

    let first = checkout(&app, &token, Some("order-1"), "{}").await;
    assert_eq!(first.status(), 201);
    let original = first.bytes().await.unwrap();
    let order: Value = serde_json::from_slice(&original).unwrap();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["userId"], user_id.as_str());
    assert_eq!(order["total"]["amount"], 2500);
    assert_eq!(order["items"][0]["quantity"], 2);
    assert_eq!(order["history"][0]["to"], "pending");
    assert_eq!(stock(&app, &admin, &item).await, 1);
    let cart: Value = app.get_as(&token, "/api/cart").await.json().await.unwrap();
    assert_eq!(cart["items"], json!([]));

    let replay = checkout(&app, &token, Some("order-1"), "{}").await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.bytes().await.unwrap(), original);
    let other_body = checkout(&app, &token, Some("order-1"), r#"{"note":"x"}"#).await;
    assert_eq!(
        error_code(other_body, 422).await["code"],
        "idempotency_mismatch"
    );
    assert_eq!(app.count("orders").await, 1);

    let history: Value = app
        .get_as(&token, "/api/orders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["meta"]["total"], 1);
    let id = order["id"].as_str().unwrap();
    let (stranger, _) = buyer(&app).await;
    let foreign = app.get_as(&stranger, &format!("/api/orders/{id}")).await;
    assert_eq!(error_code(foreign, 404).await["code"], "not_found");
    assert_eq!(
        app.get_as(&admin, &format!("/api/orders/{id}"))
            .await
            .status(),
        200
    );

    let cancelled = app
        .post(
            &format!("/api/orders/{id}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        stock(&app, &admin, &item).await,
        3,
        "cancel releases the stock"
    );
    app.drain_outbox().await;
    assert_eq!(app.bus.published_of("order.placed").len(), 1);
    let changes = app.bus.published_of("order.status_changed");
    assert_eq!(changes.len(), 1);
}

async fn paying_and_the_state_machine(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let item = product(&app, &admin, 500, "EUR", 10).await;
    put(&app, &token, &item, json!(1)).await;
    let order: Value = checkout(&app, &token, Some("k"), "")
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    let paid = app
        .post(&format!("/api/orders/{id}/pay"), Some(&token), &json!({}))
        .await;
    assert_eq!(paid.status(), 200);
    assert_eq!(paid.json::<Value>().await.unwrap()["status"], "paid");
    let twice = app
        .post(&format!("/api/orders/{id}/pay"), Some(&token), &json!({}))
        .await;
    let body = error_code(twice, 409).await;
    assert_eq!(body["error"], "An order cannot move from paid to paid");

    let transition = |to: &str| {
        let (app, admin, to) = (&app, &admin, to.to_owned());
        async move {
            app.post(
                &format!("/api/admin/orders/{id}/transition"),
                Some(admin),
                &json!({"to": to}),
            )
            .await
        }
    };
    assert_eq!(
        error_code(transition("lost").await, 400).await["details"][0]["field"],
        "to"
    );
    assert_eq!(transition("shipped").await.status(), 200);
    let cancel = app
        .post(
            &format!("/api/orders/{id}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(
        error_code(cancel, 409).await["error"],
        "An order cannot move from shipped to cancelled"
    );
    assert_eq!(transition("delivered").await.status(), 200);
    let refunded: Value = transition("refunded").await.json().await.unwrap();
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(refunded["history"].as_array().unwrap().len(), 5);
    let listed: Value = app
        .get_as(&admin, "/api/admin/orders?status=refunded&sort=-total")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["meta"]["total"], 1);
    let bad = app
        .get_as(&admin, "/api/admin/orders?status=nope&from=yesterday")
        .await;
    assert_eq!(
        error_code(bad, 400).await["details"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(app.get_as(&token, "/api/admin/orders").await.status(), 403);
}

async fn bad_input_is_refused_in_the_documented_shape(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let item = product(&app, &admin, 100, "EUR", 5).await;
    for quantity in [json!(0), json!(100), json!(-1), json!("x"), json!(1.5)] {
        let body = error_code(put(&app, &token, &item, quantity.clone()).await, 400).await;
        assert_eq!(body["details"][0]["field"], "quantity", "{quantity}");
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(put(&app, &token, &unknown, json!(1)).await.status(), 404);
    let empty = checkout(&app, &token, Some("e"), "").await;
    let empty = error_code(empty, 409).await;
    assert!(
        empty["error"].as_str().unwrap().contains("empty"),
        "{empty}"
    );
    put(&app, &token, &item, json!(1)).await;
    let usd = product(&app, &admin, 100, "USD", 5).await;
    let mixed = error_code(put(&app, &token, &usd, json!(1)).await, 409).await;
    assert!(mixed["error"].as_str().unwrap().contains("EUR"), "{mixed}");
    let missing = error_code(checkout(&app, &token, None, "").await, 400).await;
    assert_eq!(missing["code"], "validation_failed");
    assert_eq!(missing["details"][0]["field"], "Idempotency-Key");
    let long = "k".repeat(256);
    let oversized = error_code(checkout(&app, &token, Some(&long), "").await, 400).await;
    assert_eq!(oversized["details"][0]["field"], "Idempotency-Key");
    let not_json = error_code(checkout(&app, &token, Some("j"), "{").await, 400).await;
    assert_eq!(not_json["code"], "invalid_json");
    for body in [r#"{"note": 5}"#, r#"{"note": "a\u0001b"}"#] {
        let refused = error_code(checkout(&app, &token, Some("n"), body).await, 400).await;
        assert_eq!(refused["details"][0]["field"], "note", "{body}");
    }

    // A product withdrawn after it was put in the cart blocks checkout, named.
    assert_eq!(
        app.client
            .delete(app.url(&format!("/api/products/{item}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let cart: Value = app.get_as(&token, "/api/cart").await.json().await.unwrap();
    assert_eq!(cart["items"][0]["available"], false);
    let blocked = error_code(checkout(&app, &token, Some("w"), "").await, 409).await;
    assert_eq!(blocked["details"][0]["field"], item.as_str());
    assert_eq!(
        put(&app, &token, &item, json!(1)).await.status(),
        404,
        "inactive product"
    );
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(
        app.count("idempotency_keys").await,
        0,
        "failed checkouts forget their key"
    );

    let email = format!("unverified-{}@example.org", uuid::Uuid::new_v4().simple());
    app.register_for_mail(&email).await;
    let session = app.login(&email, "Secret123").await;
    let unverified = session["accessToken"].as_str().unwrap();
    let refused = checkout(&app, unverified, Some("u"), "").await;
    assert_eq!(error_code(refused, 403).await["code"], "email_not_verified");
}

async fn short_stock_is_409_and_changes_nothing(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let plenty = product(&app, &admin, 100, "EUR", 50).await;
    let scarce = product(&app, &admin, 100, "EUR", 1).await;
    put(&app, &token, &plenty, json!(3)).await;
    put(&app, &token, &scarce, json!(2)).await;
    let short = error_code(checkout(&app, &token, Some("s"), "").await, 409).await;
    assert_eq!(short["code"], "out_of_stock");
    assert_eq!(short["error"], "Out of stock");
    assert_eq!(short["details"].as_array().unwrap().len(), 1);
    assert_eq!(short["details"][0]["field"], scarce.as_str());
    assert_eq!(
        (
            stock(&app, &admin, &plenty).await,
            stock(&app, &admin, &scarce).await
        ),
        (50, 1)
    );
    let cart: Value = app.get_as(&token, "/api/cart").await.json().await.unwrap();
    assert_eq!(cart["items"].as_array().unwrap().len(), 2);
    assert_eq!(app.count("stock_reservations").await, 0);
}

async fn a_declined_payment_leaves_the_order_pending(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let item = product(&app, &admin, 1313, "EUR", 5).await;
    put(&app, &token, &item, json!(1)).await;
    let order: Value = checkout(&app, &token, Some("d"), "")
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    let declined = app
        .post(&format!("/api/orders/{id}/pay"), Some(&token), &json!({}))
        .await;
    assert_eq!(error_code(declined, 402).await["code"], "payment_declined");
    let now: Value = app
        .get_as(&token, &format!("/api/orders/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["status"], "pending");
}

both_backends!(
    checkout_places_one_order_and_replays_it_byte_for_byte,
    paying_and_the_state_machine,
    bad_input_is_refused_in_the_documented_shape,
    short_stock_is_409_and_changes_nothing,
);

mod declines {
    use crate::support::{spawn_app_with, Backend, Spawn};

    async fn run(backend: Backend) {
        let spawn = Spawn {
            configure: Some(Box::new(|c| {
                c.set_section(
                    "orders",
                    serde_json::json!({"payment_decline_amount": 1313}),
                )
            })),
            ..Default::default()
        };
        super::a_declined_payment_leaves_the_order_pending(spawn_app_with(backend, spawn).await)
            .await;
    }

    #[tokio::test]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}
