//! The catalog bounded context: products, their prices and stock, categories, and the composable
//! query scopes that list them.

mod events;
mod money;
mod product;
mod query;

pub use events::CatalogEvent;
pub use money::{Currency, Money, CURRENCIES};
pub use product::{Category, Description, Product, ProductName, Sku};
pub use query::{ProductQuery, ProductScope, ProductSort};
