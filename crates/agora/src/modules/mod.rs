//! The module manager (modelled on dskit's): modules declare dependencies, start in dependency
//! order, stop in reverse, and together decide readiness. A target names the modules one process
//! runs; `all` is the monolith.

mod catalog;
mod flags;
mod http;
mod identity;
mod keys;
mod manager;
mod platform;
mod registry;
mod store;
mod targets;
mod verifier;

pub use catalog::CatalogModule;
pub use flags::FlagsModule;
pub use http::{HttpModule, HttpStopped, LocalAddr};
pub use identity::{
    argon2_params, connect_redis, identity_services, IdentityModule, IdentityServices,
};
pub use keys::{configured_key, retirement_grace};
pub use manager::{ModuleManager, StartError};
pub use platform::{MailerOverride, PlatformModule};
pub use registry::Registry;
pub use store::{db_options, StoreModule};
pub use targets::{resolve, Target, UnknownTarget, MODULES, TARGETS};

use agora_http::Check;
use async_trait::async_trait;

/// The rate-limit counter: Redis when configured (shared by replicas), otherwise in-process.
pub async fn rate_limiter(
    redis_url: Option<&crate::config::Secret<String>>,
    redis_prefix: &str,
) -> anyhow::Result<std::sync::Arc<dyn agora_domain::ports::RateLimiter>> {
    Ok(match redis_url {
        Some(url) => std::sync::Arc::new(agora_adapters::ratelimit::RedisRateLimiter::new(
            connect_redis(url.expose()).await?,
            redis_prefix,
        )),
        None => std::sync::Arc::new(agora_adapters::ratelimit::MemoryRateLimiter::new()),
    })
}

/// Present in the registry when modules run for a CLI command: no background delivery.
#[derive(Clone, Copy, Debug)]
pub struct Headless;

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
