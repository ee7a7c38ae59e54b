use std::sync::{Arc, Mutex};

use agora_adapters::{
    flags::{LocalFlagChangeNotifier, RedisFlagChangeNotifier, SqlFlagRepository},
    store::{redact_url, Database},
};
use agora_app::flags::{Flags, FlagsDeps, FlagsSettings};
use agora_domain::ports::{FlagChangeNotifier, UnitOfWork};
use async_trait::async_trait;

use super::{connect_redis, Headless, Module, Registry};
use crate::config::Config;

/// Feature flags. Owns `feature_flags`; publishes the [`Flags`] service — other modules ask it
/// `is_enabled(key, &subject)` — and the flag routes. With Redis configured, flag changes are
/// broadcast on `<redis_prefix>flags:changed` so every replica drops its cached flags at once.
pub struct FlagsModule {
    config: Config,
    notifier: Mutex<Option<Arc<dyn FlagChangeNotifier>>>,
}

impl FlagsModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            config: config.clone(),
            notifier: Mutex::new(None),
        }
    }

    async fn notifier(&self) -> anyhow::Result<Arc<dyn FlagChangeNotifier>> {
        let Some(url) = &self.config.redis_url else {
            return Ok(Arc::new(LocalFlagChangeNotifier));
        };
        let client = redis::Client::open(url.expose().as_str()).map_err(|e| {
            anyhow::anyhow!("invalid `redis_url` {}: {e}", redact_url(url.expose()))
        })?;
        let publisher = connect_redis(url.expose()).await?;
        tracing::info!("flag changes broadcast over Redis pub/sub");
        Ok(Arc::new(RedisFlagChangeNotifier::new(
            client,
            publisher,
            &self.config.redis_prefix,
        )))
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
        let notifier = self.notifier().await?;
        let deps = FlagsDeps {
            uow,
            flags: Arc::new(SqlFlagRepository::new(db)),
            notifier: notifier.clone(),
        };
        let settings = FlagsSettings {
            cache_ttl: self.config.flag_cache_ttl,
        };
        let flags = Flags::new(deps, settings);
        // A CLI command evaluates nothing, so it has no cache to keep fresh; it still publishes
        // its changes (the seed) to running servers.
        if registry.get::<Headless>().is_err() {
            notifier
                .subscribe(Arc::new(flags.clone()))
                .await
                .map_err(|e| anyhow::anyhow!("cannot subscribe to flag changes: {e}"))?;
        }
        *self.notifier.lock().unwrap_or_else(|p| p.into_inner()) = Some(notifier);
        registry.append(agora_http::flags::routes(flags.clone()));
        registry.provide(flags);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        let notifier = self
            .notifier
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(notifier) = notifier {
            notifier.close().await;
        }
        Ok(())
    }
}
