//! The module manager (modelled on dskit's) and the bounded contexts it runs. Contexts declare
//! dependencies, start in dependency order, stop in reverse, and together decide readiness. A
//! target names the contexts one process runs; `all` is the monolith.
//!
//! Adding a bounded context: its folders (`domain/`, `app/`, `adapters/` with its migrations,
//! `http/`, and `modules/<context>.rs` implementing [`Context`]) plus one line in [`CONTEXTS`].
//! See `docs/how-to-add-a-module.md`.

mod analytics;
mod catalog;
mod content;
mod context;
mod flags;
#[cfg(feature = "graphql")]
pub(crate) mod graphql;
mod http;
mod identity;
mod identity_store;
mod keys;
mod manager;
mod orders;
mod platform;
mod registry;
mod remote;
mod store;
mod targets;
mod verifier;
mod webhooks;
mod worker;

pub use context::{Context, DeliveryGate, SeedStep};
pub use http::rate_limit_settings;
pub use http::{HttpModule, HttpStopped, LocalAddr, PreBound};
pub use identity::{argon2_params, identity_services, IdentityServices};
pub use keys::{configured_key, retirement_grace};
pub use manager::{ModuleManager, StartError};
pub use platform::{BusOverride, MailerOverride};
pub use registry::Registry;
pub use remote::{service_client, service_key, CatalogRemote, IdentityRemote};
pub use store::{db_options, StoreModule};
pub use targets::{
    context, resolve, targets, Contexts, Target, UnknownTarget, GATEWAY, HTTP, STORE,
};

use std::time::Duration;

use agora_http::Check;
use async_trait::async_trait;

/// Every bounded context of the binary, in the monolith's start order (dependencies still come
/// first). The one registration line of a new context goes here.
pub static CONTEXTS: &[&dyn Context] = &[
    &flags::FlagsContext,
    &catalog::CatalogContext,
    &platform::PlatformContext,
    &identity::IdentityContext,
    &orders::OrdersContext,
    &content::ContentContext,
    #[cfg(feature = "graphql")]
    &graphql::GraphqlContext,
    &analytics::AnalyticsContext,
    &webhooks::WebhooksContext,
    &worker::WorkerContext,
];

/// The migrations of the built-in contexts in `modules` (a target's start order).
pub fn migrations_of(
    modules: &[&str],
) -> Vec<&'static agora_adapters::store::migrations::Migration> {
    Contexts::builtin().migrations_of(modules)
}

/// Every built-in context's migrations, in the monolith's order.
pub fn all_migrations() -> Vec<&'static agora_adapters::store::migrations::Migration> {
    migrations_of(&resolve("all").expect("`all` is always a target"))
}

/// The OpenAPI document of everything `target` of the built-in contexts serves.
pub fn openapi(target: &str) -> Result<agora_http::openapi::Document, UnknownTarget> {
    Contexts::builtin().openapi(target)
}

/// Connects a stand-alone Redis connection, naming the URL (without password) when it fails.
/// For tests and tools; the server's modules share the store module's `RedisManager`.
pub async fn connect_redis(url: &str) -> anyhow::Result<redis::aio::ConnectionManager> {
    let shown = agora_adapters::store::redact_url(url);
    let client = redis::Client::open(url)
        .map_err(|e| anyhow::anyhow!("invalid `redis_url` {shown}: {e}"))?;
    tokio::time::timeout(
        Duration::from_secs(5),
        // Bounded waits: a test or tool facing a dead Redis fails instead of hanging on
        // reconnect attempts.
        redis::aio::ConnectionManager::new_with_config(
            client,
            redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Duration::from_millis(500))
                .set_response_timeout(Duration::from_millis(500))
                .set_number_of_retries(1)
                .set_max_delay(200),
        ),
    )
    .await
    .map_err(|_| anyhow::anyhow!("cannot connect to Redis at {shown}: no answer within 5 s"))?
    .map_err(|e| anyhow::anyhow!("cannot connect to Redis at {shown}: {e}"))
}

/// The rate-limit counter: Redis when configured (shared by replicas) with the in-process
/// counter taking over while Redis cannot answer (never open, ADR 0018); otherwise in-process.
pub fn rate_limiter(
    redis: Option<agora_adapters::redis::RedisManager>,
) -> std::sync::Arc<dyn agora_domain::ports::RateLimiter> {
    use agora_adapters::ratelimit::{FailoverRateLimiter, MemoryRateLimiter, RedisRateLimiter};
    match redis {
        Some(redis) => std::sync::Arc::new(FailoverRateLimiter::new(std::sync::Arc::new(
            RedisRateLimiter::new(redis.commands(), redis.prefix()),
        ))),
        None => std::sync::Arc::new(MemoryRateLimiter::new()),
    }
}

/// Present in the registry when modules run for a CLI command: no background delivery.
#[derive(Clone, Copy, Debug)]
pub struct Headless;

/// Present in the registry when the process answers Lambda invocations instead of listening:
/// the HTTP module publishes its [`AppRouter`] rather than serving it.
#[derive(Clone, Copy, Debug)]
pub struct Serverless;

/// The application's router with every middleware, as the HTTP module built it.
#[derive(Clone)]
pub struct AppRouter(pub axum::Router);

/// A router a module provides for the HTTP module to serve instead of the application's (the
/// gateway: its own edge, no module routes).
#[derive(Clone)]
pub struct EdgeRouter(pub axum::Router);

/// Verifies identity's tokens in a process without identity (its JWKS at `identity_url`, or
/// its database when shared), as split targets and the gateway do.
pub async fn token_authenticator(
    config: &crate::config::Config,
    registry: &Registry,
) -> anyhow::Result<agora_http::SharedAuthenticator> {
    verifier::Verifier::new(config)
        .authenticator(registry)
        .await
}

/// A unit of the system with a lifecycle.
#[async_trait]
pub trait Module: Send + Sync {
    /// Stable name used in `agora targets`, `/ready` and logs.
    fn name(&self) -> &'static str;

    /// Starts the module. Everything it depends on has started and published its services in
    /// `registry`; the module publishes its own there for later modules.
    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()>;

    /// Stops background work and releases resources; called in reverse start order.
    async fn stop(&self) -> anyhow::Result<()> {
        Ok(())
    }

    /// Readiness of the module and each dependency it reaches.
    async fn checks(&self) -> Vec<Check> {
        vec![Check {
            name: self.name().to_owned(),
            status: agora_http::CheckStatus::Up,
            latency_ms: None,
            reason: None,
        }]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use agora_adapters::store::migrations::migrations_dir;

    use super::*;

    /// A migration directory that no context contributes would silently never run.
    #[test]
    fn every_migration_directory_is_contributed_by_its_context() {
        let mut on_disk = BTreeSet::new();
        for module in std::fs::read_dir(migrations_dir()).unwrap() {
            let module = module.unwrap();
            for step in std::fs::read_dir(module.path()).unwrap() {
                let step = step.unwrap().file_name().into_string().unwrap();
                on_disk.insert(format!("{}/{}", module.file_name().to_string_lossy(), step));
            }
        }
        let contributed: BTreeSet<String> = all_migrations().iter().map(|m| m.id()).collect();
        assert_eq!(on_disk, contributed);
    }

    #[test]
    fn each_context_migrates_only_its_own_tables_with_gapless_versions() {
        let mut expected: HashMap<&str, i64> = HashMap::new();
        for context in CONTEXTS {
            for migration in context.migrations() {
                assert_eq!(migration.module, context.name(), "{}", migration.id());
                let prefix: i64 = migration.name[..4].parse().unwrap();
                assert_eq!(prefix, migration.version, "{}", migration.id());
                let next = expected.entry(migration.module).or_insert(1);
                assert_eq!(migration.version, *next, "{}", migration.id());
                *next += 1;
            }
        }
    }
}
