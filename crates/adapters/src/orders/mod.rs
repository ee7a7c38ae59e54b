//! Orders adapters: carts, orders (with items and history), idempotency keys and payment
//! attempts in SQL for both dialects, and the built-in fake payment provider.

mod carts;
mod idempotency;
mod payments;
mod provider;
mod repository;

pub use carts::SqlCartRepository;
pub use idempotency::SqlIdempotencyStore;
pub use payments::SqlPaymentRepository;
pub use provider::FakePaymentProvider;
pub use repository::SqlOrderRepository;

use crate::store::migrations::{migration, Migration};

/// The orders context's schema, oldest first (`migrations/orders/`).
pub static MIGRATIONS: &[Migration] = &[
    migration!("orders", 1, "0001_create_orders"),
    migration!("orders", 2, "0002_list_indexes"),
    migration!("orders", 3, "0003_unconfirmed_reservations"),
    migration!("orders", 4, "0004_unreleased_reservations"),
];

fn corrupt(what: impl std::fmt::Display) -> agora_domain::ports::StoreError {
    agora_domain::ports::StoreError::Other(format!("corrupt orders row: {what}").into())
}
