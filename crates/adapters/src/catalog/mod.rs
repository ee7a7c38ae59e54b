//! Catalog adapters: products and categories in SQL (scopes rendered per dialect, full-text search
//! with SQLite FTS5 or Postgres tsvector), and the layered cache.

mod cache;
mod categories;
mod products;
mod scopes;
mod stock;

pub use cache::{LayeredCatalogCache, NoCatalogCache, L1_TTL, L2_TTL};
pub use categories::SqlCategoryRepository;
pub use products::SqlProductRepository;
pub use stock::SqlStockRepository;

use crate::store::migrations::{migration, Migration};

/// The catalog context's schema, oldest first (`migrations/catalog/`).
pub static MIGRATIONS: &[Migration] = &[
    migration!("catalog", 1, "0001_create_catalog"),
    migration!("catalog", 2, "0002_stock_reservations"),
    migration!("catalog", 3, "0003_list_indexes"),
    migration!("catalog", 4, "0004_reservation_expiry"),
];
