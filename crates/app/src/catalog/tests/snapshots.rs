//! The published `ProductCatalog`, answered by `Catalog` over the fakes.

use agora_domain::ports::{PortError, ProductCatalog, ProductSnapshot};
use uuid::Uuid;

use super::{admin, change, new_product};
use crate::testing;

#[tokio::test]
async fn a_batch_of_snapshots_is_one_read_with_inactive_included_and_unknown_absent() {
    let t = testing::catalog();
    let tea = t
        .catalog
        .create(&admin(), new_product("TEA-1", "Tea", 450))
        .await
        .unwrap();
    let old = t
        .catalog
        .create(&admin(), new_product("OLD-1", "Old", 990))
        .await
        .unwrap();
    let mut withdraw = change(1);
    withdraw.active = Some(false);
    t.catalog.update(&admin(), old.id, withdraw).await.unwrap();

    let mut snapshots = t
        .catalog
        .snapshots(&[old.id, Uuid::now_v7(), tea.id, old.id])
        .await
        .unwrap();
    snapshots.sort_by_key(|s| s.id);

    assert_eq!(
        snapshots,
        vec![
            ProductSnapshot {
                id: tea.id,
                sku: tea.sku.clone(),
                name: tea.name.clone(),
                price: tea.price,
                stock: 3,
                active: true,
            },
            ProductSnapshot {
                active: false,
                ..ProductSnapshot::from(&old)
            },
        ]
    );
    assert_eq!(t.db.calls("products.get_many"), 1);
}

#[tokio::test]
async fn cached_products_cost_no_read_and_only_misses_are_queried() {
    let t = testing::catalog();
    let tea = t
        .catalog
        .create(&admin(), new_product("TEA-1", "Tea", 450))
        .await
        .unwrap();
    let gone = Uuid::now_v7();
    *t.cache.held.lock().unwrap() = vec![(tea.id, Some(tea.clone())), (gone, None)];

    let hits = t.catalog.snapshots(&[tea.id, gone]).await.unwrap();
    assert_eq!(hits, vec![ProductSnapshot::from(&tea)]);
    assert_eq!(
        t.db.calls("products.get_many"),
        0,
        "all answered by the cache"
    );

    let coffee = t
        .catalog
        .create(&admin(), new_product("COF-1", "Coffee", 500))
        .await
        .unwrap();
    let mut mixed = t.catalog.snapshots(&[coffee.id, tea.id]).await.unwrap();
    mixed.sort_by_key(|s| s.id);
    assert_eq!(
        mixed,
        vec![ProductSnapshot::from(&tea), ProductSnapshot::from(&coffee)]
    );
    assert_eq!(
        t.db.calls("products.get_many"),
        1,
        "one read for the misses"
    );
}

#[tokio::test]
async fn no_ids_need_no_read() {
    let t = testing::catalog();
    assert!(t.catalog.snapshots(&[]).await.unwrap().is_empty());
    assert_eq!(t.db.calls("products.get_many"), 0);
}

#[tokio::test]
async fn a_store_outage_is_unavailable() {
    let t = testing::catalog();
    t.db.fail_on("products.get_many");
    let error = t.catalog.snapshots(&[Uuid::now_v7()]).await.unwrap_err();
    assert!(matches!(error, PortError::Unavailable(_)), "{error:?}");
}
