use std::sync::Arc;

use agora_adapters::{
    cache::{CacheSettings, TwoLevelCache},
    flags::SqlFlagRepository,
    redis::RedisManager,
    store::Database,
};
use agora_app::flags::{FlagSnapshot, Flags, FlagsDeps};
use agora_domain::ports::{TaggedCache, UnitOfWork};
use async_trait::async_trait;

use super::{Module, Registry};
use crate::config::Config;

/// Feature flags. Owns `feature_flags`; publishes the [`Flags`] service — other modules ask it
/// `is_enabled(key, &subject)` — and the flag routes. The flag list is cached in process for
/// `flag_cache_ttl`; with Redis configured, changes are broadcast on
/// `<redis_prefix>flags:invalidate` so every replica drops its cached flags at once.
pub struct FlagsModule {
    config: Config,
}

impl FlagsModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            config: config.clone(),
        }
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
            l1_ttl: self.config.flag_cache_ttl,
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
        registry.append(agora_http::flags::routes(flags.clone()));
        registry.provide(flags);
        Ok(())
    }
}
