//! Orders under concurrency and failure: contention for the last units, one Idempotency-Key
//! raced by parallel requests, a crash between reservation and order insert, and the
//! `new-checkout-flow` canary. Both backends.

use agora_adapters::store::Database;
use serde_json::{json, Value};

use crate::{
    both_backends,
    orders_support::{buyer, checkout, error_code, execute, product, put, stock},
    support::TestApp,
};

/// Sends the checkouts of `tokens` (key `key`) all at once; the answers in the same order.
async fn parallel_checkouts(app: &TestApp, tokens: Vec<String>, key: &str) -> Vec<(u16, Vec<u8>)> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, token) in tokens.into_iter().enumerate() {
        let (client, url, key) = (app.client.clone(), app.url("/api/orders"), key.to_owned());
        tasks.spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", key)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            (
                index,
                status,
                response.bytes().await.expect("body").to_vec(),
            )
        });
    }
    let mut answers: Vec<(usize, u16, Vec<u8>)> = tasks.join_all().await;
    answers.sort_by_key(|a| a.0);
    answers
        .into_iter()
        .map(|(_, status, body)| (status, body))
        .collect()
}

async fn two_hundred_buyers_race_for_ten_units(app: TestApp) {
    let admin = app.admin_token().await;
    let item = product(&app, &admin, 700, "EUR", 10).await;
    let mut tokens = Vec::new();
    for _ in 0..200 {
        let (token, _) = buyer(&app).await;
        assert_eq!(put(&app, &token, &item, json!(1)).await.status(), 200);
        tokens.push(token);
    }
    let answers = parallel_checkouts(&app, tokens, "race").await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    for (status, body) in &answers {
        if *status == 409 {
            let body: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(body["code"], "out_of_stock");
        }
    }
    let placed = statuses.iter().filter(|s| **s == 201).count();
    let short = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((placed, short), (10, 190), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s < 500));
    assert_eq!(stock(&app, &admin, &item).await, 0);
    assert_eq!(app.count("orders").await, 10);
}

async fn one_key_raced_by_twenty_requests_places_one_order(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let item = product(&app, &admin, 700, "EUR", 10).await;
    put(&app, &token, &item, json!(2)).await;
    let answers = parallel_checkouts(&app, vec![token.clone(); 20], "same").await;
    let mut bodies = Vec::new();
    for (status, body) in answers {
        match status {
            201 => bodies.push(body),
            409 => {
                let body: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(body["code"], "conflict");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(!bodies.is_empty());
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every 201 is the same order"
    );
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(stock(&app, &admin, &item).await, 8);
    for _ in 0..3 {
        let replay = checkout(&app, &token, Some("same"), "").await;
        assert_eq!(replay.status(), 201);
        assert_eq!(replay.bytes().await.unwrap().to_vec(), bodies[0]);
    }
}

async fn a_crash_between_reservation_and_order_insert_leaves_nothing(app: TestApp) {
    let admin = app.admin_token().await;
    let (token, _) = buyer(&app).await;
    let item = product(&app, &admin, 700, "EUR", 4).await;
    put(&app, &token, &item, json!(3)).await;
    // Fault injection in the store itself: the order insert fails after the stock was reserved
    // in the same transaction.
    match app.db_of("orders") {
        Database::Sqlite(_) => {
            execute(&app, &["CREATE TRIGGER orders_crash BEFORE INSERT ON orders \
                BEGIN SELECT RAISE(ABORT, 'injected crash'); END"]).await
        }
        Database::Postgres(_) => {
            execute(&app, &[
                "CREATE FUNCTION orders_crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected crash'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER orders_crash BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_crash()",
            ]).await
        }
    }
    let crashed = error_code(checkout(&app, &token, Some("c"), "").await, 500).await;
    assert_eq!(crashed["code"], "internal");
    assert_eq!(
        stock(&app, &admin, &item).await,
        4,
        "the reservation rolled back"
    );
    assert_eq!(app.count("stock_reservations").await, 0);
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("idempotency_keys").await, 0);
    let cart: Value = app.get_as(&token, "/api/cart").await.json().await.unwrap();
    assert_eq!(cart["items"][0]["quantity"], 3, "the cart is intact");
    let drop = match app.db_of("orders") {
        Database::Sqlite(_) => "DROP TRIGGER orders_crash",
        Database::Postgres(_) => "DROP TRIGGER orders_crash ON orders",
    };
    execute(&app, &[drop]).await;
    assert_eq!(
        checkout(&app, &token, Some("c"), "").await.status(),
        201,
        "the same key works after"
    );
    assert_eq!(stock(&app, &admin, &item).await, 1);
}

async fn the_canary_decides_per_user_between_one_and_two_steps(app: TestApp) {
    let admin = app.admin_token().await;
    let (canary, canary_id) = buyer(&app).await;
    let (regular, _) = buyer(&app).await;
    let flag = json!({"key": "new-checkout-flow", "enabled": true, "rolloutPercent": 0, "userIds": [canary_id]});
    assert_eq!(
        app.post("/api/admin/flags", Some(&admin), &flag)
            .await
            .status(),
        201
    );
    let item = product(&app, &admin, 900, "EUR", 10).await;
    for token in [&canary, &regular] {
        put(&app, token, &item, json!(1)).await;
    }
    let one_step: Value = checkout(&app, &canary, Some("a"), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        one_step["status"], "paid",
        "flag on: placed and paid in one call"
    );
    let two_step: Value = checkout(&app, &regular, Some("a"), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(two_step["status"], "pending", "flag off: place, then pay");
    let id = two_step["id"].as_str().unwrap();
    let paid: Value = app
        .post(&format!("/api/orders/{id}/pay"), Some(&regular), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paid["status"], "paid");
    let replay: Value = checkout(&app, &canary, Some("a"), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replay, one_step);
}

both_backends!(
    two_hundred_buyers_race_for_ten_units,
    one_key_raced_by_twenty_requests_places_one_order,
    a_crash_between_reservation_and_order_insert_leaves_nothing;
        mono_only = "the monolith's one-transaction checkout; the split compensates (saga.rs)",
    the_canary_decides_per_user_between_one_and_two_steps,
);
