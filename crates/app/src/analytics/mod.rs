//! Analytics: the consumer that counts users and orders per day and products ordered, and the
//! admin's stats (API.md "Platform", `GET /api/admin/stats`).

use std::sync::Arc;

use agora_domain::{
    analytics::{PlacedOrder, Stats},
    event::EventEnvelope,
    identity::Principal,
    ports::{AnalyticsStore, BusError, EventHandler, Tx},
};
use async_trait::async_trait;

use crate::AppError;

/// Days the stats cover, today included.
pub const STATS_DAYS: i64 = 30;

/// Products in the stats' top list.
pub const TOP_PRODUCTS: u32 = 10;

/// Counts `user.created` and `order.placed` by the day they happened (`occurredAt`, UTC). Runs
/// as the idempotent consumer `analytics`: a redelivered event is not counted twice.
pub struct AnalyticsConsumer {
    store: Arc<dyn AnalyticsStore>,
}

impl AnalyticsConsumer {
    /// The consumer over `store`.
    pub fn new(store: Arc<dyn AnalyticsStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EventHandler for AnalyticsConsumer {
    fn name(&self) -> &'static str {
        "analytics"
    }

    fn event_types(&self) -> &'static [&'static str] {
        &["user.created", "order.placed"]
    }

    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError> {
        let day = event.occurred_at.date_naive();
        let written = match event.event_type.as_str() {
            "user.created" => self.store.user_created(tx, day).await,
            "order.placed" => {
                let order = PlacedOrder::from_payload(&event.data);
                self.store.order_placed(tx, day, &order).await
            }
            _ => Ok(()),
        };
        written.map_err(|e| BusError(e.to_string()))
    }
}

/// The admin's stats.
#[derive(Clone)]
pub struct Analytics {
    store: Arc<dyn AnalyticsStore>,
}

impl Analytics {
    /// Wraps the store.
    pub fn new(store: Arc<dyn AnalyticsStore>) -> Self {
        Self { store }
    }

    /// The last [`STATS_DAYS`] days (admins only).
    pub async fn stats(&self, principal: &Principal) -> Result<Stats, AppError> {
        crate::require_admin(principal)?;
        let since = chrono::Utc::now().date_naive() - chrono::Duration::days(STATS_DAYS - 1);
        Ok(self.store.stats(since, TOP_PRODUCTS).await?)
    }
}
