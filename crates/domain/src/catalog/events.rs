//! The catalog context's events (API.md "Events").

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DomainEvent;

/// Facts of the catalog context, published through the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum CatalogEvent {
    /// A reservation took a product's stock from at or above the low-stock threshold to below it
    /// (once per crossing, not on every sale below it).
    #[serde(rename = "product.stock_low")]
    StockLow {
        /// The product.
        product_id: Uuid,
        /// Units left.
        stock: u32,
        /// The configured threshold (`catalog.stock_low_threshold`).
        threshold: u32,
    },
}

impl DomainEvent for CatalogEvent {
    fn version(&self) -> u32 {
        1
    }

    fn aggregate_id(&self) -> Uuid {
        match self {
            Self::StockLow { product_id, .. } => *product_id,
        }
    }
}
