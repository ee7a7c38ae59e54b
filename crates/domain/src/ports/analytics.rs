use async_trait::async_trait;
use chrono::NaiveDate;

use super::{StoreError, Tx};
use crate::analytics::{PlacedOrder, Stats};

/// The analytics counters, written by the analytics consumer inside its inbox transaction.
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Counts a new user on `day`.
    async fn user_created(&self, tx: &mut Tx, day: NaiveDate) -> Result<(), StoreError>;
    /// Counts an order (and its revenue and products) on `day`.
    async fn order_placed(
        &self,
        tx: &mut Tx,
        day: NaiveDate,
        order: &PlacedOrder,
    ) -> Result<(), StoreError>;
    /// The numbers from `since` (inclusive) on; at most `top` products.
    async fn stats(&self, since: NaiveDate, top: u32) -> Result<Stats, StoreError>;
}
