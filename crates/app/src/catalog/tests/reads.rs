//! Who sees which products.

use agora_domain::catalog::ProductScope;

use super::{admin, change, new_product, user};
use crate::{catalog::ProductListInput, testing, AppError};

#[tokio::test]
async fn an_inactive_product_is_hidden_from_everyone_but_admins() {
    let t = testing::catalog();
    let product = t
        .catalog
        .create(&admin(), new_product("HID-1", "Hidden", 100))
        .await
        .unwrap();
    let mut deactivate = change(1);
    deactivate.active = Some(false);
    t.catalog
        .update(&admin(), product.id, deactivate)
        .await
        .unwrap();

    for caller in [None, Some(user())] {
        assert!(matches!(
            t.catalog.product(caller.as_ref(), product.id).await,
            Err(AppError::NotFound)
        ));
    }
    let seen = t.catalog.product(Some(&admin()), product.id).await.unwrap();
    assert!(!seen.active);
}

#[tokio::test]
async fn lists_show_non_admins_only_active_products_and_admins_everything() {
    let t = testing::catalog();
    for sku in ["LST-1", "LST-2"] {
        t.catalog
            .create(&admin(), new_product(sku, "Lamp", 100))
            .await
            .unwrap();
    }
    let first = t.db.committed().products[0].id;
    t.catalog.deactivate(&admin(), first).await.unwrap();

    let visitor = t
        .catalog
        .list(None, ProductListInput::default())
        .await
        .unwrap();
    assert_eq!(visitor.total, 1);
    assert!(t
        .cache
        .last_query_key
        .lock()
        .unwrap()
        .as_deref()
        .is_some_and(|key| key.starts_with(&format!("{:?}", [ProductScope::Active]))));
    let everything = t
        .catalog
        .list(Some(&admin()), ProductListInput::default())
        .await
        .unwrap();
    assert_eq!(everything.total, 2);
}

#[tokio::test]
async fn a_missing_product_is_not_found() {
    let t = testing::catalog();
    assert!(matches!(
        t.catalog
            .product(Some(&admin()), uuid::Uuid::now_v7())
            .await,
        Err(AppError::NotFound)
    ));
}
