use std::sync::{Arc, Mutex};

use agora_adapters::{
    catalog::{LayeredCatalogCache, NoCatalogCache, SqlCategoryRepository, SqlProductRepository},
    redis::RedisManager,
    store::Database,
};
use agora_app::catalog::{Catalog, CatalogDeps};
use agora_domain::ports::{CatalogCache, UnitOfWork};
use agora_http::{Check, CheckStatus};
use async_trait::async_trait;

use super::{Module, Registry};
use crate::config::Config;

/// Products and categories. Owns `products`, `categories` (and SQLite's `products_fts`).
pub struct CatalogModule {
    enabled: bool,
    redis_configured: bool,
    cache: Mutex<Option<Arc<LayeredCatalogCache>>>,
}

impl CatalogModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            enabled: config.catalog_cache,
            redis_configured: config.redis_url.is_some(),
            cache: Mutex::new(None),
        }
    }
}

#[async_trait]
impl Module for CatalogModule {
    fn name(&self) -> &'static str {
        "catalog"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let uow: Arc<dyn UnitOfWork> = registry.get()?;
        let cache: Arc<dyn CatalogCache> = if !self.enabled {
            tracing::warn!(
                "catalog cache disabled (catalog_cache = false): every read hits the database"
            );
            Arc::new(NoCatalogCache)
        } else {
            let layered = Arc::new(match registry.get::<RedisManager>() {
                Ok(redis) => {
                    tracing::info!("catalog cache: L1 in process + L2 in Redis");
                    LayeredCatalogCache::with_redis(&redis).await
                }
                Err(_) => LayeredCatalogCache::in_process(),
            });
            *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some(layered.clone());
            layered
        };
        let catalog = Catalog::new(CatalogDeps {
            uow,
            products: Arc::new(SqlProductRepository::new(db.clone())),
            categories: Arc::new(SqlCategoryRepository::new(db)),
            cache,
        });
        registry.append(agora_http::catalog::routes(catalog.clone()));
        registry.provide(catalog);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        // The cache's subscription lives in the process's Redis manager, stopped with the store.
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).take();
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        let l1 = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|c| c.l1_active());
        let reason = (!l1 && self.redis_configured).then(|| {
            "cache invalidation channel down: serving without L1 (slower, still correct)".to_owned()
        });
        // Degraded but correct: reads still work, so the module stays ready.
        vec![Check {
            name: "catalog".into(),
            status: CheckStatus::Up,
            latency_ms: None,
            reason,
        }]
    }
}
