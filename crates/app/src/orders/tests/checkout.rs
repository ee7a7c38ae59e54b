//! PlaceOrder: the cart becomes an order in one transaction, or nothing changes at all.

use agora_domain::{identity::Principal, orders::OrderStatus, ports::IdempotencyState};

use super::{
    admin, buyer, checkout, conflict, events, invalid, place, product, put, render, request, stock,
};
use crate::{testing, AppError};

#[tokio::test]
async fn a_checkout_reserves_stock_snapshots_the_cart_into_an_order_and_empties_it() {
    let h = testing::orders();
    let buyer = buyer();
    let anvil = product(&h, 1250, "EUR", 3).await;
    let bell = product(&h, 99, "EUR", 50).await;
    put(&h, &buyer, anvil.id, 2).await;
    put(&h, &buyer, bell.id, 3).await;

    let order = place(&h, &buyer).await;

    assert_eq!(order.status, OrderStatus::Pending);
    assert_eq!(order.user_id, buyer.user_id);
    assert_eq!(order.total.amount, 2 * 1250 + 3 * 99);
    let lines: Vec<_> = order
        .items
        .iter()
        .map(|i| {
            (
                i.product_id,
                i.name.as_str(),
                i.unit_price.amount,
                i.line_total.amount,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (anvil.id, anvil.name.as_str(), 1250, 2500),
            (bell.id, bell.name.as_str(), 99, 297)
        ]
    );
    assert_eq!(order.history.len(), 1);
    assert_eq!(
        (order.history[0].from, order.history[0].actor),
        (None, buyer.user_id)
    );
    assert_eq!((stock(&h, anvil.id), stock(&h, bell.id)), (1, 47));
    assert!(h.orders.cart(&buyer).await.unwrap().items.is_empty());
    let placed = events(&h, "order.placed");
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].aggregate_id, order.id);
    assert_eq!(placed[0].data["items"][0]["quantity"], 2);
    // 3 -> 1 crosses catalog's threshold of 2 (in the same transaction); 50 -> 47 does not.
    let low = events(&h, "product.stock_low");
    assert_eq!(low.len(), 1);
    assert_eq!(low[0].aggregate_id, anvil.id);
    let keys = h.db.committed().idempotency_keys.clone();
    assert!(
        matches!(&keys[0].2.state, IdempotencyState::Done { status: 201, body } if *body == render(&order))
    );
}

/// Every step of PlaceOrder that can fail, from the reads before the transaction to its commit.
const STEPS: [&str; 11] = [
    "idempotency.claim",
    "carts.lines",
    "products.get_many",
    "begin",
    "stock.reserve",
    "orders.insert",
    "carts.remove_lines",
    "outbox.enqueue",
    "idempotency.attach_order",
    "idempotency.complete",
    "commit",
];

#[tokio::test]
async fn a_checkout_failing_at_any_step_changes_nothing_and_frees_its_key() {
    for step in STEPS {
        let h = testing::orders();
        let buyer = buyer();
        let item = product(&h, 700, "EUR", 3).await;
        put(&h, &buyer, item.id, 2).await;
        let outbox = h.db.committed().outbox.len();
        h.db.fail_on(step);

        let error = checkout(&h, &buyer, "k").await.unwrap_err();
        assert!(
            matches!(error, AppError::Unavailable(_)),
            "{step}: {error:?}"
        );
        {
            let tables = h.db.committed();
            assert_eq!(tables.products[0].stock, 3, "{step}: stock");
            assert!(tables.reservations.is_empty(), "{step}: reservation");
            assert!(tables.orders.is_empty(), "{step}: order");
            assert_eq!(tables.outbox.len(), outbox, "{step}: events");
            assert_eq!(tables.cart_items.len(), 1, "{step}: cart");
            assert!(tables.idempotency_keys.is_empty(), "{step}: key kept");
        }

        h.db.heal(step);
        let retried = checkout(&h, &buyer, "k").await.unwrap();
        assert_eq!((retried.status, retried.replayed), (201, false), "{step}");
        assert_eq!(stock(&h, item.id), 1, "{step}");
    }
}

#[tokio::test]
async fn short_stock_is_out_of_stock_naming_each_short_product_and_nothing_is_reserved() {
    let h = testing::orders();
    let buyer = buyer();
    let scarce = product(&h, 100, "EUR", 1).await;
    let plenty = product(&h, 100, "EUR", 50).await;
    let sold_out = product(&h, 100, "EUR", 0).await;
    put(&h, &buyer, scarce.id, 2).await;
    put(&h, &buyer, plenty.id, 5).await;
    put(&h, &buyer, sold_out.id, 3).await;

    let (code, message, mut fields) = conflict(checkout(&h, &buyer, "k").await.unwrap_err());
    assert_eq!((code, message.as_str()), ("out_of_stock", "Out of stock"));
    fields.sort();
    let mut short = vec![scarce.id.to_string(), sold_out.id.to_string()];
    short.sort();
    assert_eq!(fields, short);
    let details = match checkout(&h, &buyer, "k2").await.unwrap_err() {
        AppError::Conflict { details, .. } => details,
        other => panic!("{other:?}"),
    };
    let scarce_detail = details
        .iter()
        .find(|d| d.field == scarce.id.to_string())
        .unwrap();
    assert_eq!(scarce_detail.message, "Only 1 in stock, 2 requested");

    assert_eq!(
        (
            stock(&h, scarce.id),
            stock(&h, plenty.id),
            stock(&h, sold_out.id)
        ),
        (1, 50, 0)
    );
    let tables = h.db.committed();
    assert!(tables.orders.is_empty() && tables.reservations.is_empty());
    assert_eq!(tables.cart_items.len(), 3, "the cart is kept");
    assert!(
        tables.idempotency_keys.is_empty(),
        "a refused checkout frees its key"
    );
}

#[tokio::test]
async fn an_unverified_buyer_cannot_check_out_and_claims_no_key() {
    let h = testing::orders();
    let unverified = Principal {
        email_verified: false,
        ..buyer()
    };
    let item = product(&h, 100, "EUR", 5).await;
    put(&h, &unverified, item.id, 1).await;
    let error = checkout(&h, &unverified, "k").await.unwrap_err();
    assert!(matches!(error, AppError::EmailNotVerified), "{error:?}");
    assert!(h.db.committed().idempotency_keys.is_empty());
    assert_eq!(stock(&h, item.id), 5);
}

#[tokio::test]
async fn an_empty_cart_or_a_withdrawn_product_is_refused_by_name() {
    let h = testing::orders();
    let buyer = buyer();
    let (code, message, _) = conflict(checkout(&h, &buyer, "k").await.unwrap_err());
    assert_eq!(code, "conflict");
    assert!(message.contains("empty"), "{message}");

    let item = product(&h, 100, "EUR", 5).await;
    put(&h, &buyer, item.id, 1).await;
    h.catalog.deactivate(&admin(), item.id).await.unwrap();
    let (code, message, fields) = conflict(checkout(&h, &buyer, "k").await.unwrap_err());
    assert_eq!(code, "conflict");
    assert!(message.contains("no longer available"), "{message}");
    assert_eq!(fields, [item.id.to_string()]);
    assert!(h.db.committed().idempotency_keys.is_empty());
}

#[tokio::test]
async fn a_note_over_500_characters_is_refused() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 100, "EUR", 5).await;
    put(&h, &buyer, item.id, 1).await;
    let mut long = request("k", "{}");
    long.note = Some("n".repeat(501));
    let error = h.orders.checkout(&buyer, long, &render).await.unwrap_err();
    assert_eq!(invalid(error), ["note"]);
    let mut fits = request("k", "{}");
    fits.note = Some("n".repeat(500));
    assert!(h.orders.checkout(&buyer, fits, &render).await.is_ok());
}

#[tokio::test]
async fn the_canary_pays_in_the_same_call_and_a_decline_there_leaves_the_order_pending() {
    let h = testing::orders();
    let (canary, regular, declined) = (buyer(), buyer(), buyer());
    for user in [&canary, &declined] {
        h.gate.enable_for(user.user_id);
    }
    let item = product(&h, 900, "EUR", 10).await;
    let pricey = product(&h, 1313, "EUR", 10).await;
    put(&h, &canary, item.id, 1).await;
    put(&h, &regular, item.id, 1).await;
    put(&h, &declined, pricey.id, 1).await;
    *h.provider.decline_amount.lock().unwrap() = Some(1313);

    assert_eq!(place(&h, &canary).await.status, OrderStatus::Paid);
    assert_eq!(place(&h, &regular).await.status, OrderStatus::Pending);
    let response = checkout(&h, &declined, "d").await.unwrap();
    assert_eq!(response.status, 201, "placed, though not paid");
    let order: agora_domain::orders::Order = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(order.status, OrderStatus::Pending);
    assert_eq!(h.provider.captures(), 1, "only the canary paid");
    let replay = checkout(&h, &declined, "d").await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.body, response.body);
}
