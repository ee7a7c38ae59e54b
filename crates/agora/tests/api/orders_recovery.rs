//! Orders over HTTP when things go wrong or cross a line: a crash between the provider's capture
//! and the status write is recovered by paying again without a second charge; a checkout that
//! takes a product under `catalog.stock_low_threshold` publishes `product.stock_low` once; another
//! buyer's order cannot be paid or cancelled. Both backends.

use agora_adapters::{orders::FakePaymentProvider, store::Database};
use serde_json::{json, Value};

use crate::{
    both_backends,
    orders_support::{buyer, checkout, error_code, execute, product, put, stock},
    support::{spawn_app_with, Backend, Spawn, TestApp},
};

/// Places a one-unit order of `item` for `token`; its id.
async fn order_of(app: &TestApp, token: &str, item: &str, quantity: u32) -> String {
    assert_eq!(put(app, token, item, json!(quantity)).await.status(), 200);
    let key = uuid::Uuid::now_v7().to_string();
    let response = checkout(app, token, Some(&key), "").await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn order_status(app: &TestApp, token: &str, id: &str) -> Value {
    let order: Value = app
        .get_as(token, &format!("/api/orders/{id}"))
        .await
        .json()
        .await
        .unwrap();
    order["status"].clone()
}

async fn a_crash_after_capture_is_recovered_by_paying_again_without_a_second_charge(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let item = product(&app, &admin, 800, "EUR", 5).await;
    let id = order_of(&app, &token, &item, 1).await;
    let provider: FakePaymentProvider = app.service();
    // Fault injection in the store: the write that records the capture fails, as if the
    // process died after the provider took the money and before the database heard of it.
    match app.db_of("orders") {
        Database::Sqlite(_) => {
            execute(&app, &["CREATE TRIGGER payments_crash BEFORE UPDATE ON payments \
                WHEN NEW.status = 'captured' BEGIN SELECT RAISE(ABORT, 'injected crash'); END"])
            .await
        }
        Database::Postgres(_) => {
            execute(&app, &[
                "CREATE FUNCTION payments_crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected crash'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER payments_crash BEFORE UPDATE ON payments FOR EACH ROW \
                 WHEN (NEW.status = 'captured') EXECUTE FUNCTION payments_crash()",
            ]).await
        }
    }
    let pay = format!("/api/orders/{id}/pay");
    let crashed = error_code(app.post(&pay, Some(&token), &json!({})).await, 500).await;
    assert_eq!(crashed["code"], "internal");
    assert_eq!(provider.captures(), 1, "the provider took the money");
    assert_eq!(order_status(&app, &token, &id).await, "pending");
    assert_eq!(
        app.count("payments").await,
        1,
        "the attempt was recorded first"
    );

    let drop = match app.db_of("orders") {
        Database::Sqlite(_) => "DROP TRIGGER payments_crash",
        Database::Postgres(_) => "DROP TRIGGER payments_crash ON payments",
    };
    execute(&app, &[drop]).await;
    let paid = app.post(&pay, Some(&token), &json!({})).await;
    assert_eq!(paid.status(), 200);
    assert_eq!(paid.json::<Value>().await.unwrap()["status"], "paid");
    assert_eq!(
        provider.captures(),
        1,
        "the retry resumed the attempt: no second charge"
    );
    assert_eq!(app.count("payments").await, 1);
    app.drain_outbox().await;
    assert_eq!(app.bus.published_of("order.status_changed").len(), 1);
}

async fn someone_elses_order_cannot_be_paid_or_cancelled(app: TestApp) {
    let admin = app.admin_token().await;
    let (owner, _) = buyer(&app).await;
    let (stranger, _) = buyer(&app).await;
    let item = product(&app, &admin, 800, "EUR", 5).await;
    let id = order_of(&app, &owner, &item, 2).await;
    for action in ["pay", "cancel"] {
        let path = format!("/api/orders/{id}/{action}");
        let response = app.post(&path, Some(&stranger), &json!({})).await;
        assert_eq!(
            error_code(response, 404).await["code"],
            "not_found",
            "{action}"
        );
    }
    let unknown = uuid::Uuid::now_v7();
    let path = format!("/api/admin/orders/{unknown}/transition");
    let response = app
        .post(&path, Some(&admin), &json!({"to": "shipped"}))
        .await;
    assert_eq!(error_code(response, 404).await["code"], "not_found");
    assert_eq!(order_status(&app, &owner, &id).await, "pending");
    assert_eq!(stock(&app, &admin, &item).await, 3);
}

both_backends!(
    a_crash_after_capture_is_recovered_by_paying_again_without_a_second_charge,
    someone_elses_order_cannot_be_paid_or_cancelled,
);

/// With `catalog.stock_low_threshold = 3`: 6 → 4 stays above, 4 → 2 crosses (one event),
/// 2 → 1 is already below (none), and a cancel putting stock back is no crossing downwards.
async fn checkouts_crossing_the_stock_low_threshold_publish_it_once(backend: Backend) {
    let spawn = Spawn {
        configure: Some(Box::new(|c| {
            c.set_section("catalog", json!({"stock_low_threshold": 3}))
        })),
        ..Default::default()
    };
    let app = spawn_app_with(backend, spawn).await;
    let admin = app.admin_token().await;
    let item = product(&app, &admin, 300, "EUR", 6).await;
    let mut orders = Vec::new();
    for quantity in [2, 2, 1] {
        let (token, _) = buyer(&app).await;
        orders.push((order_of(&app, &token, &item, quantity).await, token));
    }
    assert_eq!(stock(&app, &admin, &item).await, 1);
    let (id, token) = &orders[1];
    let cancelled = app
        .post(&format!("/api/orders/{id}/cancel"), Some(token), &json!({}))
        .await;
    assert_eq!(cancelled.status(), 200);

    app.drain_outbox().await;
    let low = app.bus.published_of("product.stock_low");
    assert_eq!(low.len(), 1, "{low:?}");
    assert_eq!(low[0].aggregate_id.to_string(), item);
    assert_eq!(
        (&low[0].data["stock"], &low[0].data["threshold"]),
        (&json!(2), &json!(3))
    );
}

mod stock_low {
    use crate::support::Backend;

    #[tokio::test]
    async fn sqlite() {
        super::checkouts_crossing_the_stock_low_threshold_publish_it_once(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        super::checkouts_crossing_the_stock_low_threshold_publish_it_once(Backend::Postgres).await;
    }
}
