//! Catalog use cases against in-memory fakes of their ports.

mod inventory;
mod list;
mod reads;
mod snapshots;
mod writes;

use agora_domain::identity::Role;

use super::{NewProductInput, ProductChange};
use crate::{testing, AppError};

/// A valid new product.
fn new_product(sku: &str, name: &str, amount: i64) -> NewProductInput {
    NewProductInput {
        sku: Some(sku.into()),
        name: Some(name.into()),
        description: Some(format!("All about {name}.")),
        price_amount: Some(amount),
        price_currency: Some("EUR".into()),
        stock: Some(3),
        category_id: None,
    }
}

/// A change to apply on top of `version`.
fn change(version: i64) -> ProductChange {
    ProductChange {
        version: Some(version),
        ..ProductChange::default()
    }
}

/// The fields a validation error names, in order.
fn fields(error: AppError) -> Vec<String> {
    match error {
        AppError::Validation(errors) => errors.errors().iter().map(|e| e.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn admin() -> agora_domain::identity::Principal {
    testing::principal(Role::Admin)
}

fn user() -> agora_domain::identity::Principal {
    testing::principal(Role::User)
}
