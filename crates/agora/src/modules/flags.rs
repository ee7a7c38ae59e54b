use std::{sync::Arc, time::Duration};

use agora_adapters::{
    cache::{CacheSettings, TwoLevelCache},
    flags::SqlFlagRepository,
    redis::RedisManager,
    store::Database,
};
use agora_app::flags::{FlagSnapshot, Flags, FlagsDeps, SeedOutcome};
use agora_domain::ports::{TaggedCache, UnitOfWork};
use async_trait::async_trait;

use super::{Context, Module, Registry, SeedStep};
use crate::config::{Config, ConfigError};

/// The feature-flags context.
pub struct FlagsContext;

/// `[flags]` (`AGORA_FLAGS__*`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlagsConfig {
    /// How long a replica may answer feature flags from its in-process cache; a change on this
    /// replica (and, with Redis, on any replica) drops the cache at once.
    #[serde(with = "humantime_serde")]
    pub cache_ttl: Duration,
}

impl Default for FlagsConfig {
    fn default() -> Self {
        Self {
            cache_ttl: Duration::from_secs(5),
        }
    }
}

impl Context for FlagsContext {
    fn name(&self) -> &'static str {
        "flags"
    }

    fn description(&self) -> &'static str {
        "feature flags: percentage rollout, targeting, cached evaluation, admin API"
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::flags::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::flags::api().into_openapi()
    }

    fn config_section(&self) -> Option<&'static str> {
        Some("flags")
    }

    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        config.section::<FlagsConfig>("flags").map(drop)
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(FlagsModule::new(config)?))
    }
}

/// Feature flags. Owns `feature_flags`; publishes the [`Flags`] service — other modules ask it
/// `is_enabled(key, &subject)` — and the flag routes. The flag list is cached in process for
/// `flags.cache_ttl`; with Redis configured, changes are broadcast on
/// `<redis_prefix>flags:invalidate` so every replica drops its cached flags at once.
pub struct FlagsModule {
    settings: FlagsConfig,
}

impl FlagsModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            settings: config.section("flags")?,
        })
    }
}

#[async_trait]
impl Module for FlagsModule {
    fn name(&self) -> &'static str {
        "flags"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let uow: Arc<dyn UnitOfWork> = registry.get()?;
        let settings = CacheSettings {
            name: "flags",
            l1_ttl: self.settings.cache_ttl,
            l1_capacity: 1,
        };
        // No L2: the list is tiny and read on every evaluation, so a network hop per read would
        // cost more than the query it saves (ADR 0009); the broadcast alone keeps it fresh.
        let cache: Arc<dyn TaggedCache<FlagSnapshot>> = match registry.get::<RedisManager>() {
            Ok(redis) => {
                tracing::info!("flag changes broadcast over Redis pub/sub");
                Arc::new(TwoLevelCache::replicated(&settings, &redis).await)
            }
            Err(_) => Arc::new(TwoLevelCache::in_process(&settings)),
        };
        let flags = Flags::new(FlagsDeps {
            uow,
            flags: Arc::new(SqlFlagRepository::new(db)),
            cache,
        });
        registry.routes(agora_http::flags::api().with_state(flags.clone()));
        registry.seed(FlagsSeed(flags.clone()));
        registry.provide(flags);
        Ok(())
    }
}

/// The flags the product ships with (`new-checkout-flow`, …), created disabled or as seeded.
struct FlagsSeed(Flags);

#[async_trait]
impl SeedStep for FlagsSeed {
    fn name(&self) -> &'static str {
        "feature flags"
    }

    async fn run(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .0
            .seed()
            .await?
            .into_iter()
            .map(|(flag, outcome)| {
                let what = match outcome {
                    SeedOutcome::Created => "created",
                    SeedOutcome::AlreadyPresent => "exists ",
                };
                let state = if flag.enabled { "enabled" } else { "disabled" };
                format!(
                    "{what} {:<24} {state} for {}% ({})",
                    flag.key, flag.rollout_percent, flag.description
                )
            })
            .collect())
    }
}
