use std::sync::Arc;

use agora_adapters::{analytics::SqlAnalytics, store::Database};
use agora_app::analytics::{Analytics, AnalyticsConsumer};
use agora_domain::ports::AnalyticsStore;
use async_trait::async_trait;

use super::{Context, Module, Registry};
use crate::config::Config;

/// The analytics context: counters fed by events, read at `GET /api/admin/stats`.
pub struct AnalyticsContext;

impl Context for AnalyticsContext {
    fn name(&self) -> &'static str {
        "analytics"
    }

    fn description(&self) -> &'static str {
        "counters fed by events (users, orders, revenue per day, top products), admin stats"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        // Its consumer needs the outbox's bus and the consumers' inbox.
        &["platform"]
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::analytics::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::analytics::api().into_openapi()
    }

    fn module(&self, _: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(AnalyticsModule))
    }
}

struct AnalyticsModule;

#[async_trait]
impl Module for AnalyticsModule {
    fn name(&self) -> &'static str {
        "analytics"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let store = Arc::new(SqlAnalytics::new(db)) as Arc<dyn AnalyticsStore>;
        let analytics = Analytics::new(store.clone());
        registry.routes(agora_http::analytics::api().with_state(analytics.clone()));
        registry.provide(analytics);
        registry.on_event(AnalyticsConsumer::new(store));
        Ok(())
    }
}
