//! The cart (current names and prices, one currency, quantities 1–99), totals from cart to
//! order, and order history.

use agora_domain::{orders::OrderStatus, paging::PageRequest, ports::OrderSort};
use proptest::prelude::*;

use super::{admin, buyer, conflict, invalid, pending_order, place, product, put};
use crate::{catalog::ProductChange, orders::AdminOrderQuery, testing, AppError};

#[tokio::test]
async fn the_cart_shows_current_prices_and_flags_withdrawn_products_unavailable() {
    let h = testing::orders();
    let buyer = buyer();
    let anvil = product(&h, 1250, "EUR", 3).await;
    let bell = product(&h, 100, "EUR", 3).await;
    put(&h, &buyer, anvil.id, 2).await;
    put(&h, &buyer, bell.id, 1).await;
    let change = ProductChange {
        version: Some(anvil.version),
        price_amount: Some(1000),
        ..ProductChange::default()
    };
    h.catalog.update(&admin(), anvil.id, change).await.unwrap();
    h.catalog.deactivate(&admin(), bell.id).await.unwrap();

    let cart = h.orders.cart(&buyer).await.unwrap();
    let first = &cart.items[0];
    assert_eq!(first.unit_price.unwrap().amount, 1000, "the current price");
    assert_eq!(first.line_total.unwrap().amount, 2000);
    assert!(first.available);
    let second = &cart.items[1];
    assert!(!second.available);
    assert_eq!(second.line_total, None);
    assert_eq!(
        cart.total.unwrap().amount,
        2000,
        "unavailable lines are not totalled"
    );
}

#[tokio::test]
async fn quantities_outside_one_to_ninety_nine_and_unknown_or_withdrawn_products_are_refused() {
    let h = testing::orders();
    let buyer = buyer();
    let item = product(&h, 100, "EUR", 3).await;
    for quantity in [0, 100, -1] {
        let error = h
            .orders
            .put_item(&buyer, item.id, quantity)
            .await
            .unwrap_err();
        assert_eq!(invalid(error), ["quantity"], "{quantity}");
    }
    let unknown = h
        .orders
        .put_item(&buyer, uuid::Uuid::now_v7(), 1)
        .await
        .unwrap_err();
    assert!(matches!(unknown, AppError::NotFound));
    h.catalog.deactivate(&admin(), item.id).await.unwrap();
    let withdrawn = h.orders.put_item(&buyer, item.id, 1).await.unwrap_err();
    assert!(matches!(withdrawn, AppError::NotFound));
    assert!(h.db.committed().cart_items.is_empty());
    let missing = h.orders.remove_item(&buyer, item.id).await.unwrap_err();
    assert!(matches!(missing, AppError::NotFound));
}

#[tokio::test]
async fn a_cart_holds_one_currency() {
    let h = testing::orders();
    let buyer = buyer();
    let euro = product(&h, 100, "EUR", 3).await;
    let dollar = product(&h, 100, "USD", 3).await;
    put(&h, &buyer, euro.id, 1).await;
    let error = h.orders.put_item(&buyer, dollar.id, 1).await.unwrap_err();
    let (code, message, fields) = conflict(error);
    assert_eq!(
        (code, fields.as_slice()),
        ("conflict", ["productId".to_owned()].as_slice())
    );
    assert!(
        message.contains("EUR") && message.contains("USD"),
        "{message}"
    );
    h.orders.remove_item(&buyer, euro.id).await.unwrap();
    put(&h, &buyer, dollar.id, 1).await;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the cart, the cart total, the order total and every order line agree with
    /// price × quantity summed.
    #[test]
    fn cart_and_order_totals_are_the_sum_of_price_times_quantity(
        lines in prop::collection::vec((0..=1_000_000_i64, 1..=99_i64), 1..6)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let h = testing::orders();
            let buyer = buyer();
            for (price, quantity) in &lines {
                let item = product(&h, *price, "EUR", 99).await;
                put(&h, &buyer, item.id, *quantity).await;
            }
            let expected: i64 = lines.iter().map(|(p, q)| p * q).sum();
            let cart = h.orders.cart(&buyer).await.unwrap();
            assert_eq!(cart.total.unwrap().amount, expected);
            let order = place(&h, &buyer).await;
            assert_eq!(order.total.amount, expected);
            for (item, (price, quantity)) in order.items.iter().zip(&lines) {
                assert_eq!(
                    (item.unit_price.amount, item.line_total.amount),
                    (*price, price * quantity)
                );
            }
        });
    }
}

#[tokio::test]
async fn history_is_the_buyers_own_newest_first_and_admins_filter_every_order() {
    let h = testing::orders();
    let (ann, bob) = (buyer(), buyer());
    let first = pending_order(&h, &ann, 100).await;
    let second = pending_order(&h, &ann, 300).await;
    let bobs = pending_order(&h, &bob, 200).await;
    h.orders.pay(&ann, second.id).await.unwrap();

    let page = PageRequest::default();
    let own = h.orders.history(&ann, page).await.unwrap();
    let ids: Vec<_> = own.items.iter().map(|o| o.id).collect();
    assert_eq!(ids, [second.id, first.id]);
    let foreign = h.orders.order(&ann, bobs.id).await.unwrap_err();
    assert!(matches!(foreign, AppError::NotFound));
    assert_eq!(h.orders.order(&admin(), bobs.id).await.unwrap().id, bobs.id);

    let query = AdminOrderQuery {
        status: Some("pending".into()),
        ..AdminOrderQuery::default()
    };
    let pending = h
        .orders
        .admin_list(&admin(), query, OrderSort::Total, true, page)
        .await
        .unwrap();
    let listed: Vec<_> = pending.items.iter().map(|o| (o.id, o.status)).collect();
    assert_eq!(
        listed,
        [
            (bobs.id, OrderStatus::Pending),
            (first.id, OrderStatus::Pending)
        ]
    );
    let bad = AdminOrderQuery {
        status: Some("lost".into()),
        user_id: Some("me".into()),
        from: Some("yesterday".into()),
        to: None,
    };
    let error = h
        .orders
        .admin_list(&admin(), bad, OrderSort::CreatedAt, false, page)
        .await
        .unwrap_err();
    assert_eq!(invalid(error), ["status", "userId", "from"]);
    let refused = h
        .orders
        .admin_list(
            &ann,
            AdminOrderQuery::default(),
            OrderSort::CreatedAt,
            false,
            page,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::InsufficientPermissions));
}
