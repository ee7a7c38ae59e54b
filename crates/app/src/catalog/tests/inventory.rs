//! Catalog's Inventory port against the fakes: all or nothing, idempotent by id, caches dropped
//! only after commit, `product.stock_low` on crossing the threshold.

use agora_domain::ports::{Inventory, InventoryError, ReservationLine};
use uuid::Uuid;

use super::{admin, new_product};
use crate::testing;

#[tokio::test]
async fn reservations_are_all_or_nothing_idempotent_and_releasable_once() {
    let h = testing::catalog();
    let a = h
        .catalog
        .create(&admin(), new_product("AAA-1", "Anvil", 100))
        .await
        .unwrap();
    let b = h
        .catalog
        .create(&admin(), new_product("BBB-1", "Bell", 100))
        .await
        .unwrap();
    let id = Uuid::now_v7();
    let too_many = [
        ReservationLine {
            product_id: a.id,
            quantity: 1,
        },
        ReservationLine {
            product_id: b.id,
            quantity: 4,
        },
    ];
    let error = h.catalog.reserve(None, id, &too_many).await.unwrap_err();
    assert!(
        matches!(error, InventoryError::OutOfStock(ref s) if s.len() == 1 && s[0].product_id == b.id)
    );
    let stock = |db: &testing::MemoryDb, id| {
        db.committed()
            .products
            .iter()
            .find(|p| p.id == id)
            .unwrap()
            .stock
    };
    assert_eq!(
        (stock(&h.db, a.id), stock(&h.db, b.id)),
        (3, 3),
        "nothing reserved"
    );

    let fits = [ReservationLine {
        product_id: a.id,
        quantity: 2,
    }];
    h.catalog.reserve(None, id, &fits).await.unwrap();
    h.catalog.reserve(None, id, &fits).await.unwrap();
    assert_eq!(stock(&h.db, a.id), 1, "the same id reserves once");
    let events =
        h.db.committed()
            .events()
            .iter()
            .filter(|e| e.event_type == "product.stock_low")
            .count();
    assert_eq!(events, 1, "3 -> 1 crosses the threshold of 2");
    h.catalog.release(None, id).await.unwrap();
    h.catalog.release(None, id).await.unwrap();
    h.catalog.release(None, Uuid::now_v7()).await.unwrap();
    assert_eq!(
        stock(&h.db, a.id),
        3,
        "released once; unknown ids are no-ops"
    );
}

#[tokio::test]
async fn a_reservation_in_a_rolled_back_transaction_leaves_no_trace_and_no_invalidation() {
    let h = testing::catalog();
    let a = h
        .catalog
        .create(&admin(), new_product("AAA-2", "Anvil", 100))
        .await
        .unwrap();
    let invalidations = h.cache.invalidated().len();
    let mut tx = agora_domain::ports::UnitOfWork::begin(&h.db).await.unwrap();
    let line = [ReservationLine {
        product_id: a.id,
        quantity: 3,
    }];
    h.catalog
        .reserve(Some(&mut tx), Uuid::now_v7(), &line)
        .await
        .unwrap();
    drop(tx);
    assert_eq!(h.db.committed().products[0].stock, 3);
    assert_eq!(
        h.cache.invalidated().len(),
        invalidations,
        "never for a rolled-back change"
    );
}
