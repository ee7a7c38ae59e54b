//! Admin writes: validation, optimistic concurrency, unique SKUs, cache invalidation.

use agora_domain::catalog::Category;
use uuid::Uuid;

use super::{admin, change, fields, new_product, user};
use crate::{catalog::NewProductInput, testing, AppError};

#[tokio::test]
async fn only_admins_write_products() {
    let t = testing::catalog();
    assert!(matches!(
        t.catalog
            .create(&user(), new_product("USR-1", "Mug", 100))
            .await,
        Err(AppError::InsufficientPermissions)
    ));
    assert!(matches!(
        t.catalog.deactivate(&user(), Uuid::now_v7()).await,
        Err(AppError::InsufficientPermissions)
    ));
    assert!(t.db.committed().products.is_empty());
}

#[tokio::test]
async fn a_new_product_starts_at_version_1_and_is_invalidated_after_commit() {
    let t = testing::catalog();
    let product = t
        .catalog
        .create(&admin(), new_product("NEW-1", "Kettle", 2500))
        .await
        .unwrap();
    assert_eq!((product.version, product.active), (1, true));
    assert_eq!(t.db.committed().products, std::slice::from_ref(&product));
    assert_eq!(t.cache.invalidated(), [(product.id, Some(1))]);
}

#[tokio::test]
async fn a_new_product_reports_every_broken_rule() {
    let t = testing::catalog();
    let bad = NewProductInput {
        sku: Some("a b".into()),
        name: Some(String::new()),
        price_amount: Some(-1),
        price_currency: Some("XYZ".into()),
        stock: Some(-1),
        ..NewProductInput::default()
    };
    let fields = fields(t.catalog.create(&admin(), bad).await.unwrap_err());
    for field in ["sku", "name", "price.currency", "stock"] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    assert!(t.db.committed().products.is_empty());
}

#[tokio::test]
async fn a_duplicate_sku_is_a_conflict_naming_the_sku() {
    let t = testing::catalog();
    t.catalog
        .create(&admin(), new_product("DUP-1", "First", 100))
        .await
        .unwrap();
    let error = t
        .catalog
        .create(&admin(), new_product("DUP-1", "Second", 200))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "conflict");
    assert_eq!(error.details()[0].field, "sku");
    assert_eq!(t.db.committed().products.len(), 1);
    assert_eq!(t.cache.invalidated().len(), 1, "only the first write");
}

#[tokio::test]
async fn a_product_in_an_unknown_category_is_rejected() {
    let t = testing::catalog();
    let mut input = new_product("CAT-1", "Pan", 100);
    input.category_id = Some(Uuid::now_v7());
    assert_eq!(
        fields(t.catalog.create(&admin(), input).await.unwrap_err()),
        ["categoryId"]
    );

    let kitchen = Category {
        id: Uuid::now_v7(),
        slug: "kitchen".into(),
        name: "Kitchen".into(),
    };
    t.db.committed().categories.push(kitchen.clone());
    let mut input = new_product("CAT-2", "Pot", 100);
    input.category_id = Some(kitchen.id);
    let product = t.catalog.create(&admin(), input).await.unwrap();
    assert_eq!(product.category_id, Some(kitchen.id));
}

#[tokio::test]
async fn an_update_bumps_the_version_and_is_invalidated_after_commit() {
    let t = testing::catalog();
    let product = t
        .catalog
        .create(&admin(), new_product("UPD-1", "Lamp", 1000))
        .await
        .unwrap();
    let mut rename = change(1);
    rename.name = Some("Desk Lamp".into());
    rename.price_amount = Some(1200);
    let updated = t
        .catalog
        .update(&admin(), product.id, rename)
        .await
        .unwrap();
    assert_eq!(
        (updated.version, updated.name.as_str(), updated.price.amount),
        (2, "Desk Lamp", 1200)
    );
    assert_eq!(t.db.committed().products, [updated]);
    assert_eq!(t.cache.invalidated().last(), Some(&(product.id, Some(2))));
}

#[tokio::test]
async fn an_update_from_a_stale_version_is_a_conflict_and_changes_nothing() {
    let t = testing::catalog();
    let product = t
        .catalog
        .create(&admin(), new_product("OCC-1", "Chair", 5000))
        .await
        .unwrap();
    t.catalog
        .update(&admin(), product.id, change(1))
        .await
        .unwrap();
    let mut late = change(1);
    late.stock = Some(99);
    let error = t
        .catalog
        .update(&admin(), product.id, late)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "conflict");
    assert_eq!(error.details()[0].field, "version");
    let stored = t.db.committed().products[0].clone();
    assert_eq!((stored.version, stored.stock), (2, 3));
    assert_eq!(
        t.cache.invalidated().len(),
        2,
        "create and the first update"
    );
}

#[tokio::test]
async fn an_update_without_a_version_is_rejected() {
    let t = testing::catalog();
    let error = t
        .catalog
        .update(
            &admin(),
            Uuid::now_v7(),
            crate::catalog::ProductChange::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(fields(error), ["version"]);
}

#[tokio::test]
async fn a_write_that_fails_to_commit_is_not_invalidated() {
    let t = testing::catalog();
    t.db.fail_on("commit");
    assert!(matches!(
        t.catalog
            .create(&admin(), new_product("FAIL-1", "Rug", 100))
            .await,
        Err(AppError::Unavailable(_))
    ));
    assert!(t.db.committed().products.is_empty());
    assert!(t.cache.invalidated().is_empty());
}

#[tokio::test]
async fn deactivating_is_a_soft_delete_and_idempotent() {
    let t = testing::catalog();
    let product = t
        .catalog
        .create(&admin(), new_product("DEL-1", "Vase", 100))
        .await
        .unwrap();
    t.catalog.deactivate(&admin(), product.id).await.unwrap();
    t.catalog.deactivate(&admin(), product.id).await.unwrap();
    let stored = t.db.committed().products[0].clone();
    assert_eq!((stored.active, stored.version), (false, 2));
    assert_eq!(t.cache.invalidated().last(), Some(&(product.id, Some(2))));
}
