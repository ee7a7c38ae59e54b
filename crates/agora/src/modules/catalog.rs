use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use agora_adapters::{
    catalog::{
        LayeredCatalogCache, NoCatalogCache, SqlCategoryRepository, SqlProductRepository,
        SqlStockRepository,
    },
    redis::RedisManager,
    store::Database,
};
use agora_app::catalog::{Catalog, CatalogDeps};
use agora_domain::ports::{catalog::ProductCatalog, CatalogCache, Inventory, Outbox, UnitOfWork};
use agora_http::{Check, CheckStatus};
use async_trait::async_trait;

use super::{Context, Module, Registry, SeedStep};
use crate::{
    config::{Config, ConfigError},
    supervisor::{ModuleTasks, Supervisor},
};

/// The catalog context: products and categories, search, the layered cache.
pub struct CatalogContext;

/// `[catalog]` (`AGORA_CATALOG__*`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// Cache catalog reads (L1 in process, L2 in Redis when `redis_url` is set); `false` sends
    /// every read to the database (benchmarks).
    pub cache: bool,
    /// How long a replica answers from its in-process cache (L1). A write drops the entries on
    /// every replica when its invalidation arrives; this is the bound when a message is lost on
    /// a connection that stays up (docs/architecture.md, "Catalog").
    #[serde(with = "humantime_serde")]
    pub l1_ttl: Duration,
    /// A reservation taking a product's stock below this emits `product.stock_low`.
    pub stock_low_threshold: u32,
    /// How long a reservation made by another service (pending until it confirms) holds its
    /// units; then the sweeper returns them (ADR 0031).
    #[serde(with = "humantime_serde")]
    pub reservation_ttl: Duration,
    /// How often the sweeper looks for expired reservations.
    #[serde(with = "humantime_serde")]
    pub reservation_sweep_interval: Duration,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            cache: true,
            l1_ttl: agora_adapters::catalog::L1_TTL,
            stock_low_threshold: 5,
            reservation_ttl: Duration::from_secs(300),
            reservation_sweep_interval: Duration::from_secs(10),
        }
    }
}

impl Context for CatalogContext {
    fn name(&self) -> &'static str {
        "catalog"
    }

    fn description(&self) -> &'static str {
        "products and categories, full-text search, L1/L2 cache"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        // The outbox carries `product.stock_low`.
        &["platform"]
    }

    fn standalone(&self) -> bool {
        true
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::catalog::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::catalog::api().into_openapi()
    }

    fn config_section(&self) -> Option<&'static str> {
        Some("catalog")
    }

    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        let settings = config.section::<CatalogSettings>("catalog")?;
        if settings.reservation_ttl.is_zero() || settings.reservation_sweep_interval.is_zero() {
            return Err(ConfigError::Invalid(
                "`catalog.reservation_ttl` and `catalog.reservation_sweep_interval` \
                 (AGORA_CATALOG__RESERVATION_TTL, …_SWEEP_INTERVAL) must be positive durations"
                    .into(),
            ));
        }
        Ok(())
    }

    fn remote(&self) -> Option<&'static dyn Context> {
        Some(&super::CatalogRemote)
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(CatalogModule::new(config)?))
    }
}

/// Products and categories. Owns `products`, `categories` (and SQLite's `products_fts`).
pub struct CatalogModule {
    enabled: bool,
    l1_ttl: Duration,
    stock_low_threshold: u32,
    reservation_ttl: Duration,
    sweep_interval: Duration,
    service_key: Option<agora_domain::service_auth::ServiceKey>,
    redis_configured: bool,
    cache: Mutex<Option<Arc<LayeredCatalogCache>>>,
    tasks: ModuleTasks,
}

const SWEEPER_TASK: &str = "reservation-sweeper";

/// Reservations released per sweep query; the sweeper loops while it finds full batches.
const SWEEP_BATCH: u32 = 100;

impl CatalogModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let settings: CatalogSettings = config.section("catalog")?;
        Ok(Self {
            enabled: settings.cache,
            l1_ttl: settings.l1_ttl,
            stock_low_threshold: settings.stock_low_threshold,
            reservation_ttl: settings.reservation_ttl,
            sweep_interval: settings.reservation_sweep_interval,
            service_key: super::service_key(config),
            redis_configured: config.redis_url.is_some(),
            cache: Mutex::new(None),
            tasks: ModuleTasks::default(),
        })
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
                "catalog cache disabled (catalog.cache = false): every read hits the database"
            );
            Arc::new(NoCatalogCache)
        } else {
            let redis = registry.get::<RedisManager>().ok();
            if redis.is_some() {
                tracing::info!("catalog cache: L1 in process + L2 in Redis");
            }
            let layered = Arc::new(LayeredCatalogCache::new(redis.as_ref(), self.l1_ttl).await);
            *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some(layered.clone());
            layered
        };
        let catalog = Catalog::new(CatalogDeps {
            uow,
            products: Arc::new(SqlProductRepository::new(db.clone())),
            categories: Arc::new(SqlCategoryRepository::new(db.clone())),
            cache,
            stock: Arc::new(SqlStockRepository::new(db)),
            outbox: registry.get::<Arc<dyn Outbox>>()?,
            stock_low_threshold: self.stock_low_threshold,
            reservation_ttl: self.reservation_ttl,
        });
        registry.routes(agora_http::catalog::api().with_state(catalog.clone()));
        registry.seed(CatalogSeed(catalog.clone()));
        registry.provide(Arc::new(catalog.clone()) as Arc<dyn ProductCatalog>);
        registry.provide(Arc::new(catalog.clone()) as Arc<dyn Inventory>);
        // The same ports for split targets (orders) over HTTP (ADR 0030).
        registry.routes(agora_http::internal::catalog_api(
            Arc::new(catalog.clone()),
            Arc::new(catalog.clone()),
            self.service_key.clone(),
        ));
        registry.provide(catalog.clone());
        if registry.get::<super::Headless>().is_err() {
            let supervisor: Supervisor = registry.get()?;
            spawn_sweeper(&supervisor, catalog, self.sweep_interval);
            self.tasks.started(supervisor, &[SWEEPER_TASK]);
        }
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        self.tasks.stop().await;
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

/// Returns the stock of pending reservations whose holder never confirmed them (ADR 0031). In
/// the monolith there are none (reservations join the order's transaction), so it idles.
fn spawn_sweeper(supervisor: &Supervisor, catalog: Catalog, every: Duration) {
    supervisor.spawn_batches(
        SWEEPER_TASK,
        every,
        SWEEP_BATCH,
        "could not sweep expired reservations",
        move |limit| {
            let catalog = catalog.clone();
            async move { catalog.sweep_expired_reservations(limit).await }
        },
    );
}

/// Demo categories and products.
struct CatalogSeed(Catalog);

#[async_trait]
impl SeedStep for CatalogSeed {
    fn name(&self) -> &'static str {
        "catalog"
    }

    async fn run(&self) -> anyhow::Result<Vec<String>> {
        let (categories, products) = agora_app::catalog::seed_catalog(&self.0).await?;
        Ok(vec![if products == 0 {
            format!("exists  ({categories} categories; products already present)")
        } else {
            format!("created {categories} categories and {products} demo products")
        }])
    }
}
