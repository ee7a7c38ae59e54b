//! Paying through the provider: captured once, declines leave the order pending, and a crash
//! between the capture and the status write is recovered by a retry without a second charge.

use std::sync::atomic::Ordering;

use agora_domain::{
    identity::Principal,
    orders::OrderStatus,
    ports::{PaymentAttempt, PaymentStatus},
};
use uuid::Uuid;

use super::{admin, buyer, conflict, moves, pending_order, stored};
use crate::{testing, AppError};

fn attempts(h: &testing::OrdersHarness, order: Uuid) -> Vec<PaymentAttempt> {
    h.db.committed()
        .payments
        .iter()
        .filter(|p| p.order_id == order)
        .cloned()
        .collect()
}

#[tokio::test]
async fn paying_captures_once_and_records_the_move_with_the_buyer_as_actor() {
    let h = testing::orders();
    let buyer = buyer();
    let order = pending_order(&h, &buyer, 500).await;
    let paid = h.orders.pay(&buyer, order.id).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    assert_eq!(stored(&h, order.id).status, OrderStatus::Paid);
    assert_eq!(h.provider.captures(), 1);
    let attempt = &attempts(&h, order.id)[0];
    assert_eq!(attempt.status, PaymentStatus::Captured);
    assert_eq!(attempt.amount.amount, 500);
    assert!(attempt.provider_ref.is_some());
    assert_eq!(
        moves(&h, order.id),
        [(OrderStatus::Pending, OrderStatus::Paid, buyer.user_id)]
    );

    let (code, message, _) = conflict(h.orders.pay(&buyer, order.id).await.unwrap_err());
    assert_eq!(
        (code, message.as_str()),
        ("conflict", "An order cannot move from paid to paid")
    );
    assert_eq!(h.provider.captures(), 1, "paying twice never charges twice");
}

#[tokio::test]
async fn a_declined_payment_leaves_the_order_pending_and_a_later_attempt_may_succeed() {
    let h = testing::orders();
    let buyer = buyer();
    *h.provider.decline_amount.lock().unwrap() = Some(1313);
    let order = pending_order(&h, &buyer, 1313).await;
    let error = h.orders.pay(&buyer, order.id).await.unwrap_err();
    assert!(matches!(error, AppError::PaymentDeclined), "{error:?}");
    assert_eq!(stored(&h, order.id).status, OrderStatus::Pending);
    assert_eq!(h.provider.captures(), 0);
    assert_eq!(attempts(&h, order.id)[0].status, PaymentStatus::Declined);
    assert!(moves(&h, order.id).is_empty());

    *h.provider.decline_amount.lock().unwrap() = None;
    let paid = h.orders.pay(&buyer, order.id).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    let keys: Vec<String> = attempts(&h, order.id).into_iter().map(|a| a.key).collect();
    assert_eq!(
        keys,
        [format!("{}-1", order.id), format!("{}-2", order.id)],
        "a new attempt, with a new provider key"
    );
}

/// The writes after the capture, in its one transaction: the attempt's status, the order's,
/// the event. (`commit` is left out: it would fail the attempt's own write first, before the
/// provider is called.)
const AFTER_CAPTURE: [&str; 3] = [
    "payments.set_status",
    "orders.change_status",
    "outbox.enqueue",
];

#[tokio::test]
async fn a_crash_between_capture_and_status_write_is_recovered_without_a_second_charge() {
    for step in AFTER_CAPTURE {
        let h = testing::orders();
        let buyer = buyer();
        let order = pending_order(&h, &buyer, 500).await;
        h.db.fail_on(step);
        let error = h.orders.pay(&buyer, order.id).await.unwrap_err();
        assert!(
            matches!(error, AppError::Unavailable(_)),
            "{step}: {error:?}"
        );
        assert_eq!(h.provider.captures(), 1, "{step}: the money was taken");
        assert_eq!(stored(&h, order.id).status, OrderStatus::Pending, "{step}");
        let left = attempts(&h, order.id);
        assert_eq!(left.len(), 1, "{step}");
        assert_eq!(
            left[0].status,
            PaymentStatus::Started,
            "{step}: recorded first"
        );

        h.db.heal(step);
        let paid = h.orders.pay(&buyer, order.id).await.unwrap();
        assert_eq!(paid.status, OrderStatus::Paid, "{step}");
        assert_eq!(h.provider.captures(), 1, "{step}: no second charge");
        let after = attempts(&h, order.id);
        assert_eq!(after.len(), 1, "{step}: the same attempt resumed");
        assert_eq!(after[0].status, PaymentStatus::Captured, "{step}");
        let key = &after[0].key;
        assert_eq!(
            h.provider.calls(),
            [
                format!("authorize {key}"),
                format!("capture {key}"),
                format!("authorize {key}"),
                format!("capture {key}"),
            ],
            "{step}: the retry used the first attempt's key"
        );
        assert_eq!(moves(&h, order.id).len(), 1, "{step}");
    }
}

#[tokio::test]
async fn an_unreachable_provider_is_503_and_the_attempt_is_resumed_once_it_is_back() {
    let h = testing::orders();
    let buyer = buyer();
    let order = pending_order(&h, &buyer, 500).await;
    h.provider.down.store(true, Ordering::SeqCst);
    let error = h.orders.pay(&buyer, order.id).await.unwrap_err();
    assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
    assert_eq!(attempts(&h, order.id)[0].status, PaymentStatus::Started);
    assert_eq!(stored(&h, order.id).status, OrderStatus::Pending);

    h.provider.down.store(false, Ordering::SeqCst);
    h.orders.pay(&buyer, order.id).await.unwrap();
    assert_eq!(attempts(&h, order.id).len(), 1);
    assert_eq!(h.provider.captures(), 1);
}

#[tokio::test]
async fn only_the_verified_buyer_pays_their_own_pending_order() {
    let h = testing::orders();
    let buyer = buyer();
    let order = pending_order(&h, &buyer, 500).await;
    for stranger in [super::buyer(), admin()] {
        let error = h.orders.pay(&stranger, order.id).await.unwrap_err();
        assert!(matches!(error, AppError::NotFound), "{error:?}");
    }
    let unverified = Principal {
        email_verified: false,
        ..buyer.clone()
    };
    let error = h.orders.pay(&unverified, order.id).await.unwrap_err();
    assert!(matches!(error, AppError::EmailNotVerified), "{error:?}");
    let unknown = h.orders.pay(&buyer, Uuid::now_v7()).await.unwrap_err();
    assert!(matches!(unknown, AppError::NotFound));

    h.orders.cancel(&buyer, order.id).await.unwrap();
    let (_, message, _) = conflict(h.orders.pay(&buyer, order.id).await.unwrap_err());
    assert_eq!(message, "An order cannot move from cancelled to paid");
    assert!(
        h.provider.calls().is_empty(),
        "the provider was never asked"
    );
}
