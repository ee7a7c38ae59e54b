//! The state machine applied: cancel (stock back, refund when paid), admin transitions (every
//! illegal one a conflict naming from and to; the actor in the event), refunds.

use agora_domain::{
    identity::Principal,
    orders::{Order, OrderStatus},
    ports::PaymentStatus,
};

use super::{
    admin, buyer, conflict, invalid, moves, pending_order, place, product, put, stock, stored,
};
use crate::{testing, AppError};

#[tokio::test]
async fn cancelling_a_pending_order_gives_its_stock_back_in_the_same_transaction() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 5).await;
    put(&h, &buyer, item.id, 3).await;
    let order = place(&h, &buyer).await;
    assert_eq!(stock(&h, item.id), 2);

    let cancelled = h.orders.cancel(&buyer, order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(stock(&h, item.id), 5);
    assert!(
        h.db.committed().reservations.iter().all(|r| r.3),
        "released"
    );
    assert_eq!(
        moves(&h, order.id),
        [(OrderStatus::Pending, OrderStatus::Cancelled, buyer.user_id)]
    );
    let history = stored(&h, order.id).history;
    assert_eq!(history.last().unwrap().actor, buyer.user_id);
    assert!(h.provider.calls().is_empty(), "nothing to refund");

    let (_, message, _) = conflict(h.orders.cancel(&buyer, order.id).await.unwrap_err());
    assert_eq!(message, "An order cannot move from cancelled to cancelled");
    assert_eq!(stock(&h, item.id), 5, "released once");
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_it_once_and_gives_the_stock_back() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 5).await;
    put(&h, &buyer, item.id, 1).await;
    let order = place(&h, &buyer).await;
    h.orders.pay(&buyer, order.id).await.unwrap();

    h.orders.cancel(&buyer, order.id).await.unwrap();
    assert_eq!(h.provider.refunds(), 1);
    assert_eq!(stock(&h, item.id), 5);
    let payments = h.db.committed().payments.clone();
    assert_eq!(payments[0].status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn cancelling_an_order_whose_payment_crashed_after_capture_refunds_the_money() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 5).await;
    put(&h, &buyer, item.id, 1).await;
    let order = place(&h, &buyer).await;
    h.db.fail_on("payments.set_status");
    assert!(h.orders.pay(&buyer, order.id).await.is_err());
    h.db.heal("payments.set_status");
    assert_eq!(
        (stored(&h, order.id).status, h.provider.captures()),
        (OrderStatus::Pending, 1),
        "the money was taken, the order does not know"
    );

    let cancelled = h.orders.cancel(&buyer, order.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!((h.provider.captures(), h.provider.refunds()), (1, 1));
    assert_eq!(h.db.committed().payments[0].status, PaymentStatus::Refunded);
    assert_eq!(stock(&h, item.id), 5);
    use OrderStatus::*;
    assert_eq!(
        moves(&h, order.id),
        [
            (Pending, Paid, buyer.user_id),
            (Paid, Cancelled, buyer.user_id)
        ],
        "the interrupted payment is finished, then refunded"
    );
}

#[tokio::test]
async fn a_cancel_that_fails_to_write_changes_nothing_and_can_be_retried() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 500, "EUR", 5).await;
    put(&h, &buyer, item.id, 1).await;
    let order = place(&h, &buyer).await;
    for step in [
        "orders.change_status",
        "stock.release",
        "outbox.enqueue",
        "commit",
    ] {
        h.db.fail_on(step);
        assert!(h.orders.cancel(&buyer, order.id).await.is_err(), "{step}");
        assert_eq!(stored(&h, order.id).status, OrderStatus::Pending, "{step}");
        assert_eq!(stock(&h, item.id), 4, "{step}: still reserved");
        h.db.heal(step);
    }
    h.orders.cancel(&buyer, order.id).await.unwrap();
    assert_eq!(stock(&h, item.id), 5);
}

#[tokio::test]
async fn buyers_cancel_only_their_own_orders() {
    let h = testing::orders();
    let buyer = buyer();
    let order = pending_order(&h, &buyer, 500).await;
    for other in [super::buyer(), admin()] {
        let error = h.orders.cancel(&other, order.id).await.unwrap_err();
        assert!(matches!(error, AppError::NotFound), "{error:?}");
    }
    assert_eq!(stored(&h, order.id).status, OrderStatus::Pending);
}

/// An order of `buyer` brought to `status` the way it happens in life: paid through the
/// provider, moved along by an admin, cancelled or refunded.
async fn order_in(h: &testing::OrdersHarness, buyer: &Principal, status: OrderStatus) -> Order {
    use OrderStatus::*;
    let order = pending_order(h, buyer, 500).await;
    let admin = admin();
    let path: &[OrderStatus] = match status {
        Pending => &[],
        Paid => &[Paid],
        Shipped => &[Paid, Shipped],
        Delivered => &[Paid, Shipped, Delivered],
        Cancelled => &[Cancelled],
        Refunded => &[Paid, Shipped, Delivered, Refunded],
    };
    for step in path {
        match step {
            Paid => h.orders.pay(buyer, order.id).await.unwrap(),
            Cancelled => h.orders.cancel(buyer, order.id).await.unwrap(),
            to => h
                .orders
                .transition(&admin, order.id, to.as_str())
                .await
                .unwrap(),
        };
    }
    stored(h, order.id)
}

#[tokio::test]
async fn every_illegal_admin_transition_is_a_conflict_naming_from_and_to_and_changes_nothing() {
    let h = testing::orders();
    let buyer = buyer();
    let admin = admin();
    let mut refused = 0;
    for from in OrderStatus::ALL {
        let order = order_in(&h, &buyer, from).await;
        assert_eq!(order.status, from);
        for to in OrderStatus::ALL
            .into_iter()
            .filter(|to| !from.can_become(*to))
        {
            let error = h
                .orders
                .transition(&admin, order.id, to.as_str())
                .await
                .unwrap_err();
            let (code, message, fields) = conflict(error);
            assert_eq!(code, "conflict");
            assert_eq!(message, format!("An order cannot move from {from} to {to}"));
            assert_eq!(fields, ["status"]);
            assert_eq!(stored(&h, order.id), order, "{from} -> {to} changed it");
            refused += 1;
        }
    }
    assert_eq!(
        refused,
        36 - 6,
        "six moves are legal, the other thirty are not"
    );
}

#[tokio::test]
async fn admin_transitions_record_the_admin_as_actor_and_a_refund_goes_through_the_provider() {
    let h = testing::orders();
    let buyer = buyer();
    let admin = admin();
    let order = pending_order(&h, &buyer, 500).await;
    h.orders.pay(&buyer, order.id).await.unwrap();
    for to in ["shipped", "delivered", "refunded"] {
        h.orders.transition(&admin, order.id, to).await.unwrap();
    }
    use OrderStatus::*;
    assert_eq!(
        moves(&h, order.id),
        [
            (Pending, Paid, buyer.user_id),
            (Paid, Shipped, admin.user_id),
            (Shipped, Delivered, admin.user_id),
            (Delivered, Refunded, admin.user_id),
        ]
    );
    let history = stored(&h, order.id).history;
    let actors: Vec<_> = history.iter().map(|c| c.actor).collect();
    assert_eq!(
        actors,
        [
            buyer.user_id,
            buyer.user_id,
            admin.user_id,
            admin.user_id,
            admin.user_id
        ]
    );
    assert_eq!((h.provider.captures(), h.provider.refunds()), (1, 1));
    assert_eq!(h.db.committed().payments[0].status, PaymentStatus::Refunded);
}

#[tokio::test]
async fn a_refund_the_provider_cannot_make_leaves_the_order_delivered() {
    let h = testing::orders();
    let buyer = buyer();
    let order = order_in(&h, &buyer, OrderStatus::Delivered).await;
    h.provider
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let error = h
        .orders
        .transition(&admin(), order.id, "refunded")
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
    assert_eq!(stored(&h, order.id).status, OrderStatus::Delivered);
    assert_eq!(h.db.committed().payments[0].status, PaymentStatus::Captured);
}

#[tokio::test]
async fn an_unknown_status_or_a_non_admin_is_refused_before_anything_moves() {
    let h = testing::orders();
    let buyer = buyer();
    let order = pending_order(&h, &buyer, 500).await;
    let error = h
        .orders
        .transition(&admin(), order.id, "lost")
        .await
        .unwrap_err();
    assert_eq!(invalid(error), ["to"]);
    let error = h
        .orders
        .transition(&buyer, order.id, "cancelled")
        .await
        .unwrap_err();
    assert!(
        matches!(error, AppError::InsufficientPermissions),
        "{error:?}"
    );
    let missing = h
        .orders
        .transition(&admin(), uuid::Uuid::now_v7(), "paid")
        .await
        .unwrap_err();
    assert!(matches!(missing, AppError::NotFound));
    assert_eq!(stored(&h, order.id).status, OrderStatus::Pending);
}
