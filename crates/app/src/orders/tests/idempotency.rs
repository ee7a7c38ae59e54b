//! `Idempotency-Key`: replay, mismatch, in flight, per-user scope, expiry, and the take-over of a
//! key whose holder crashed.

use std::time::Duration;

use agora_domain::{
    orders::{IdempotencyKey, Order, OrderStatus},
    ports::{IdempotencyRecord, IdempotencyState, IdempotencyStore},
};
use chrono::Utc;

use super::{buyer, checkout, conflict, product, put, render, request, stock};
use crate::{
    orders::{idempotency::fingerprint, OrdersSettings},
    testing, AppError,
};

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_answer_byte_for_byte() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 10).await;
    put(&h, &buyer, item.id, 2).await;
    let first = checkout(&h, &buyer, "k").await.unwrap();
    assert!(!first.replayed);
    // The cart is empty now: a second run would be a 400, so a 201 can only be the replay.
    for _ in 0..3 {
        let again = checkout(&h, &buyer, "k").await.unwrap();
        assert!(again.replayed);
        assert_eq!((again.status, &again.body), (201, &first.body));
    }
    assert_eq!(h.db.committed().orders.len(), 1);
    assert_eq!(stock(&h, item.id), 8, "reserved once");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_mismatch_and_places_nothing() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 10).await;
    put(&h, &buyer, item.id, 1).await;
    checkout(&h, &buyer, "k").await.unwrap();
    put(&h, &buyer, item.id, 1).await;
    let other = h
        .orders
        .checkout(&buyer, request("k", r#"{"note":"x"}"#), &render)
        .await
        .unwrap_err();
    assert!(matches!(other, AppError::IdempotencyMismatch), "{other:?}");
    assert_eq!(h.db.committed().orders.len(), 1);
    assert_eq!(stock(&h, item.id), 9);
}

#[tokio::test]
async fn a_key_held_by_a_request_in_flight_is_a_conflict_and_stays_with_its_holder() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 10).await;
    put(&h, &buyer, item.id, 1).await;
    let key = IdempotencyKey::parse(Some("k")).unwrap();
    let now = Utc::now();
    let lease = now + chrono::Duration::seconds(30);
    let claimed =
        h.db.claim(
            buyer.user_id,
            &key,
            &fingerprint(b"{}"),
            lease,
            now + chrono::Duration::hours(24),
        )
        .await
        .unwrap();
    assert!(claimed.is_none(), "the first request holds the key");

    let (code, message, _) = conflict(checkout(&h, &buyer, "k").await.unwrap_err());
    assert_eq!(code, "conflict");
    assert!(message.contains("still being processed"), "{message}");
    let tables = h.db.committed();
    assert!(tables.orders.is_empty());
    assert!(
        matches!(tables.idempotency_keys[0].2.state, IdempotencyState::InFlight { locked_until, .. } if locked_until == lease),
        "the loser does not free the holder's key"
    );
}

#[tokio::test]
async fn keys_are_scoped_per_user() {
    let h = testing::orders();
    let (ann, bob) = (buyer(), buyer());
    let item = product(&h, 500, "EUR", 10).await;
    for user in [&ann, &bob] {
        put(&h, user, item.id, 1).await;
        let placed = checkout(&h, user, "same").await.unwrap();
        assert!(!placed.replayed);
    }
    assert_eq!(h.db.committed().orders.len(), 2);
}

#[tokio::test]
async fn an_expired_key_is_forgotten_and_the_request_runs_afresh_then_purged_keys_go() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 10).await;
    put(&h, &buyer, item.id, 1).await;
    let past = Utc::now() - chrono::Duration::hours(1);
    h.db.commit_now("test", |tables| {
        tables.idempotency_keys.push((
            buyer.user_id,
            "old".into(),
            IdempotencyRecord {
                fingerprint: "another body".into(),
                state: IdempotencyState::Done {
                    status: 201,
                    body: b"stale".to_vec(),
                },
                expires_at: past,
            },
        ));
    })
    .unwrap();
    let fresh = checkout(&h, &buyer, "old").await.unwrap();
    assert!(!fresh.replayed, "not the stale answer, nor a mismatch");
    assert_eq!(h.db.committed().orders.len(), 1);

    h.db.commit_now("test", |tables| {
        tables.idempotency_keys[0].2.expires_at = past
    })
    .unwrap();
    assert_eq!(h.orders.purge_expired_keys().await.unwrap(), 1);
    assert!(h.db.committed().idempotency_keys.is_empty());
}

/// One-step checkouts (canary) whose answer could not be stored after payment: the order exists
/// and is paid, the key is still in flight and names it.
async fn crashed_after_payment(
    lease: Duration,
) -> (testing::OrdersHarness, agora_domain::identity::Principal) {
    let h = testing::orders_with(OrdersSettings {
        idempotency_lease: lease,
        ..OrdersSettings::default()
    });
    let buyer = buyer();
    h.gate.enable_for(buyer.user_id);
    let item = product(&h, 500, "EUR", 10).await;
    put(&h, &buyer, item.id, 1).await;
    h.db.fail_on("idempotency.complete");
    let error = checkout(&h, &buyer, "k").await.unwrap_err();
    assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
    h.db.heal("idempotency.complete");
    let tables = h.db.committed().clone();
    assert_eq!(tables.orders.len(), 1);
    assert_eq!(tables.orders[0].status, OrderStatus::Paid);
    assert!(matches!(
        tables.idempotency_keys[0].2.state,
        IdempotencyState::InFlight { order_id: Some(id), .. } if id == tables.orders[0].id
    ));
    (h, buyer)
}

#[tokio::test]
async fn a_crashed_holder_keeps_its_key_until_its_lease_ends() {
    let (h, buyer) = crashed_after_payment(Duration::from_secs(30)).await;
    let (code, _, _) = conflict(checkout(&h, &buyer, "k").await.unwrap_err());
    assert_eq!(code, "conflict");
}

#[tokio::test]
async fn after_the_lease_a_retry_finishes_the_crashed_checkout_without_a_second_order_or_charge() {
    let (h, buyer) = crashed_after_payment(Duration::ZERO).await;
    let resumed = checkout(&h, &buyer, "k").await.unwrap();
    assert_eq!(resumed.status, 201);
    let order: Order = serde_json::from_slice(&resumed.body).unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.id, h.db.committed().orders[0].id);
    assert_eq!(h.db.committed().orders.len(), 1);
    assert_eq!(h.provider.captures(), 1);
    let replay = checkout(&h, &buyer, "k").await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.body, resumed.body);
}

#[tokio::test]
async fn a_key_that_could_not_be_freed_is_taken_over_after_its_lease_and_runs_afresh() {
    let h = testing::orders_with(OrdersSettings {
        idempotency_lease: Duration::ZERO,
        ..OrdersSettings::default()
    });
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 10).await;
    put(&h, &buyer, item.id, 1).await;
    h.db.fail_on("orders.insert");
    h.db.fail_on("idempotency.forget");
    assert!(checkout(&h, &buyer, "k").await.is_err());
    assert_eq!(h.db.committed().idempotency_keys.len(), 1, "left in flight");
    h.db.heal("orders.insert");
    let placed = checkout(&h, &buyer, "k").await.unwrap();
    assert!(!placed.replayed);
    assert_eq!(h.db.committed().orders.len(), 1);
    assert_eq!(stock(&h, item.id), 9);
}
