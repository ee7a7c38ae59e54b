use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use agora_adapters::{
    flags::{LocalFlagChangeNotifier, RedisFlagChangeNotifier, SqlFlagRepository},
    store::{redact_url, Database},
};
use agora_app::flags::{Flags, FlagsDeps, FlagsSettings, SeedOutcome};
use agora_domain::ports::{FlagChangeNotifier, UnitOfWork};
use async_trait::async_trait;

use super::{connect_redis, Context, Headless, Module, Registry, SeedStep};
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
/// `is_enabled(key, &subject)` — and the flag routes. With Redis configured, flag changes are
/// broadcast on `<redis_prefix>flags:changed` so every replica drops its cached flags at once.
pub struct FlagsModule {
    config: Config,
    settings: FlagsConfig,
    notifier: Mutex<Option<Arc<dyn FlagChangeNotifier>>>,
}

impl FlagsModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            config: config.clone(),
            settings: config.section("flags")?,
            notifier: Mutex::new(None),
        })
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
            cache_ttl: self.settings.cache_ttl,
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
        registry.routes(agora_http::flags::api().with_state(flags.clone()));
        registry.seed(FlagsSeed(flags.clone()));
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
