use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use agora_adapters::{
    redis::{PubSubState, RedisManager},
    store::{
        migrations::{Migration, Migrator},
        Database, DbOptions,
    },
};
use agora_domain::ports::UnitOfWork;
use agora_http::{Check, CheckStatus, MetricsSource};
use async_trait::async_trait;

use super::{Module, Registry};
use crate::{
    config::{Config, Secret},
    supervisor::Supervisor,
};

/// The supervised task that receives Redis pub/sub messages for the whole process.
const REDIS_PUBSUB_TASK: &str = "redis-pubsub";

/// Opens the relational store, applies the target's pending migrations, and publishes the
/// [`Database`] and the [`UnitOfWork`] for the modules that depend on it.
pub struct StoreModule {
    url: Secret<String>,
    options: DbOptions,
    auto_migrate: bool,
    /// Modules of the target, in start order, and their migrations: only those run in this
    /// process, so each split service migrates only the tables it owns.
    modules: Vec<&'static str>,
    migrations: Vec<&'static Migration>,
    db: OnceLock<Database>,
    redis_url: Option<Secret<String>>,
    redis_prefix: String,
    redis: OnceLock<(RedisManager, Supervisor)>,
}

impl StoreModule {
    /// A store module for the given configuration and target modules.
    pub fn new(
        config: &Config,
        modules: Vec<&'static str>,
        migrations: Vec<&'static Migration>,
    ) -> Self {
        Self {
            url: config.database_url(),
            options: db_options(config),
            auto_migrate: config.auto_migrate,
            modules,
            migrations,
            db: OnceLock::new(),
            redis_url: config.redis_url.clone(),
            redis_prefix: config.redis_prefix.clone(),
            redis: OnceLock::new(),
        }
    }
}

/// Pool options from configuration, shared with the CLI commands.
pub fn db_options(config: &Config) -> DbOptions {
    DbOptions {
        max_connections: config.database.max_connections,
        connect_timeout: config.database.connect_timeout,
        busy_timeout: config.database.busy_timeout,
    }
}

#[async_trait]
impl Module for StoreModule {
    fn name(&self) -> &'static str {
        "store"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db = Database::connect(self.url.expose(), &self.options).await?;
        tracing::info!(backend = %db.backend(), "database connected");
        if self.auto_migrate {
            let applied = Migrator::new(&db, self.migrations.iter().copied())
                .up(
                    &self.modules,
                    &mut |m| tracing::info!(migration = %m.id(), "migration applied"),
                )
                .await?;
            tracing::debug!(applied, "migrations up to date");
        }
        registry.provide(db.clone());
        registry.provide(Arc::new(db.clone()) as Arc<dyn UnitOfWork>);
        registry.append(Arc::new(PoolGauge(db.clone())) as Arc<dyn MetricsSource>);
        // Only the first start sets it; a module is started once per process.
        let _ = self.db.set(db);
        if let Some(url) = &self.redis_url {
            // One Redis manager per process: every Redis user takes it from the registry.
            let redis = RedisManager::connect(url.expose(), &self.redis_prefix).await?;
            let supervisor: Supervisor = registry.get()?;
            let pubsub = redis.clone();
            supervisor.spawn(REDIS_PUBSUB_TASK, move |stop| {
                let pubsub = pubsub.clone();
                async move { pubsub.run_pubsub(stop).await }
            });
            registry.provide(redis.clone());
            let _ = self.redis.set((redis, supervisor));
        }
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        if let Some((_, supervisor)) = self.redis.get() {
            supervisor.stop(REDIS_PUBSUB_TASK).await;
        }
        if let Some(db) = self.db.get() {
            db.close().await;
        }
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        let Some(db) = self.db.get() else {
            return vec![down("store", "not started".into())];
        };
        let started = Instant::now();
        let check = match db.ping().await {
            Ok(()) => Check {
                name: "store".into(),
                status: CheckStatus::Up,
                latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                reason: None,
            },
            Err(error) => down("store", format!("{} unreachable: {error}", db.backend())),
        };
        let mut checks = vec![check];
        if let Some((redis, _)) = self.redis.get() {
            checks.push(redis_check(redis).await);
        }
        checks
    }
}

/// What runs in Redis's place while it is down (ADR 0018).
const REDIS_FALLBACKS: &str = "rate limits counted per replica, sessions checked in the \
                               database, caches read through to the database";

/// Redis as one check: the command connection answers `PING` and the pub/sub connection is up.
/// Redis down is *degraded*, not down: every use of it has a fallback, and taking every replica
/// that shares one Redis out of rotation would turn a Redis outage into a full outage.
async fn redis_check(redis: &RedisManager) -> Check {
    let health = redis.health().await;
    match (health.ping, health.pubsub) {
        (Ok(latency), PubSubState::Subscribed) => Check {
            name: "redis".into(),
            status: CheckStatus::Up,
            latency_ms: Some(latency.as_secs_f64() * 1000.0),
            reason: None,
        },
        (Err(reason), _) => Check {
            name: "redis".into(),
            status: CheckStatus::Degraded,
            latency_ms: None,
            reason: Some(format!("{reason}; meanwhile {REDIS_FALLBACKS}")),
        },
        // Correct but slower: caches bypass L1 until resubscribed.
        (Ok(latency), PubSubState::Reconnecting) => Check {
            name: "redis".into(),
            status: CheckStatus::Degraded,
            latency_ms: Some(latency.as_secs_f64() * 1000.0),
            reason: Some("pub/sub reconnecting: caches bypass L1 meanwhile".to_owned()),
        },
    }
}

/// Publishes pool occupancy at scrape time.
struct PoolGauge(Database);

#[async_trait]
impl MetricsSource for PoolGauge {
    async fn refresh(&self) {
        let (in_use, idle) = self.0.pool_usage();
        metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(in_use));
        metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    }
}

fn down(name: &str, reason: String) -> Check {
    Check {
        name: name.into(),
        status: CheckStatus::Down,
        latency_ms: None,
        reason: Some(reason),
    }
}
