//! The event bus, chosen by configuration (`bus`, `AGORA_BUS`; ADR 0019): in process, Redis
//! Streams or NATS JetStream; and the consumers that run every contributed event handler on it.

use std::{sync::Arc, time::Duration};

#[cfg(feature = "nats")]
use agora_adapters::bus::NatsBus;
use agora_adapters::{bus::RedisStreamsBus, memory::MemoryBus, redis::RedisManager};
use agora_app::platform::{pump, ConsumerPolicy};
use agora_domain::ports::{EventConsumer, EventPublisher, EventSource};
use serde::{Deserialize, Serialize};

use crate::{config::Config, supervisor::Supervisor};

/// Which event bus the outbox relay publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BusKind {
    /// In process: consumers of this process only (the embedded default).
    Memory,
    /// Redis Streams (needs `redis_url`).
    Redis,
    /// NATS JetStream (needs `nats_url`).
    Nats,
}

/// `[events]` / `AGORA_EVENTS__*`: how consumers retry and when the bus redelivers.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default)]
pub struct EventsConfig {
    /// Attempts of a consumer on one event before it becomes a dead letter.
    pub max_attempts: u32,
    /// Wait after a consumer's first failure (doubling, with jitter).
    #[serde(with = "humantime_serde")]
    pub retry_base: Duration,
    /// Longest wait between attempts.
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// How long a message read by a worker that never acknowledged it (it crashed) waits before
    /// another worker gets it (Redis `XAUTOCLAIM` idle time, JetStream `ack_wait`).
    #[serde(with = "humantime_serde")]
    pub redelivery_timeout: Duration,
    /// Outbox messages the relay claims and publishes per batch.
    pub relay_batch: u32,
}

impl Default for EventsConfig {
    fn default() -> Self {
        let policy = ConsumerPolicy::default();
        Self {
            max_attempts: policy.max_attempts,
            retry_base: policy.base,
            retry_max: policy.max,
            redelivery_timeout: Duration::from_secs(30),
            relay_batch: 200,
        }
    }
}

impl EventsConfig {
    /// The consumers' retry policy.
    pub fn policy(&self) -> ConsumerPolicy {
        ConsumerPolicy {
            max_attempts: self.max_attempts,
            base: self.retry_base,
            max: self.retry_max,
        }
    }
}

impl Config {
    /// The bus in effect: `bus` if set, otherwise `nats` when `nats_url` is set, else `memory`.
    pub fn bus_kind(&self) -> BusKind {
        self.bus.unwrap_or(if self.nats_url.is_some() {
            BusKind::Nats
        } else {
            BusKind::Memory
        })
    }
}

/// Load-time checks of the bus settings.
pub fn validate(config: &Config) -> Result<(), String> {
    match config.bus_kind() {
        BusKind::Redis if config.redis_url.is_none() => {
            return Err("`bus` (AGORA_BUS) = `redis` needs `redis_url` (AGORA_REDIS_URL)".into())
        }
        // The lean Lambda build (ADR 0022) has no NATS client: say so at load, not at start.
        BusKind::Nats if cfg!(not(feature = "nats")) => {
            return Err(
                "`bus` (AGORA_BUS) = `nats`: this binary was built without NATS (feature `nats`)"
                    .into(),
            )
        }
        BusKind::Nats if config.nats_url.is_none() => {
            return Err("`bus` (AGORA_BUS) = `nats` needs `nats_url` (AGORA_NATS_URL)".into())
        }
        _ => {}
    }
    if let Some(url) = &config.nats_url {
        if !url.expose().starts_with("nats://") {
            return Err("`nats_url` (AGORA_NATS_URL) must be nats://HOST:PORT".into());
        }
    }
    let prefix = &config.nats_prefix;
    if prefix.is_empty()
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "`nats_prefix` (AGORA_NATS_PREFIX) must be letters, digits, `-` or `_`; got `{prefix}`"
        ));
    }
    if config.events.max_attempts == 0 {
        return Err("`events.max_attempts` (AGORA_EVENTS__MAX_ATTEMPTS) must be at least 1".into());
    }
    if config.events.relay_batch == 0 || config.events.relay_batch > 1000 {
        return Err("`events.relay_batch` (AGORA_EVENTS__RELAY_BATCH) must be 1–1000".into());
    }
    Ok(())
}

/// The bus of this process.
#[derive(Clone)]
pub enum Bus {
    /// In process: consumers run inside `publish`.
    Memory(MemoryBus),
    /// Shared by processes: consumers run as tasks reading durable subscriptions.
    Shared {
        /// Which one.
        kind: BusKind,
        /// Its publishing side.
        publisher: Arc<dyn EventPublisher>,
        /// Its consuming side.
        source: Arc<dyn EventSource>,
    },
}

impl Bus {
    /// Builds the configured bus. `redis` is the process's manager (present when `redis_url` is).
    pub async fn build(config: &Config, redis: Option<&RedisManager>) -> anyhow::Result<Self> {
        let redelivery = config.events.redelivery_timeout;
        Ok(match config.bus_kind() {
            BusKind::Memory => Self::Memory(MemoryBus::new()),
            BusKind::Redis => {
                let redis =
                    redis.ok_or_else(|| anyhow::anyhow!("`bus` = `redis` needs `redis_url`"))?;
                let bus = RedisStreamsBus::new(redis, redelivery);
                Self::Shared {
                    kind: BusKind::Redis,
                    publisher: Arc::new(bus.clone()),
                    source: Arc::new(bus),
                }
            }
            #[cfg(not(feature = "nats"))]
            BusKind::Nats => anyhow::bail!("this binary was built without NATS (feature `nats`)"),
            #[cfg(feature = "nats")]
            BusKind::Nats => {
                let url = config
                    .nats_url
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("`bus` = `nats` needs `nats_url`"))?;
                let bus = NatsBus::connect(url.expose(), &config.nats_prefix, redelivery).await?;
                Self::Shared {
                    kind: BusKind::Nats,
                    publisher: Arc::new(bus.clone()),
                    source: Arc::new(bus),
                }
            }
        })
    }

    /// The publishing side, for the relay.
    pub fn publisher(&self) -> Arc<dyn EventPublisher> {
        match self {
            Self::Memory(bus) => Arc::new(bus.clone()),
            Self::Shared { publisher, .. } => publisher.clone(),
        }
    }

    /// Its name in `/ready` and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Shared {
                kind: BusKind::Redis,
                ..
            } => "redis",
            Self::Shared { .. } => "nats",
        }
    }

    /// Runs `consumers` on this bus: registered with an in-process bus, or each as a supervised
    /// task (`consumer:<name>`) on a durable subscription of a shared one.
    pub fn attach(&self, consumers: Vec<Arc<dyn EventConsumer>>, supervisor: &Supervisor) {
        for consumer in consumers {
            match self {
                Self::Memory(bus) => bus.register(consumer),
                Self::Shared { source, .. } => {
                    let source = source.clone();
                    // Named once per consumer and process: leaking the few names is how the
                    // supervisor's `&'static str` task names fit dynamic consumers.
                    let name: &'static str =
                        Box::leak(format!("consumer:{}", consumer.name()).into_boxed_str());
                    supervisor.spawn(name, move |stop| {
                        consume(source.clone(), consumer.clone(), stop)
                    });
                }
            }
        }
    }
}

/// Reads `consumer`'s subscription until told to stop; an error (bus or store away) ends the
/// task and the supervisor restarts it with backoff, re-subscribing.
async fn consume(
    source: Arc<dyn EventSource>,
    consumer: Arc<dyn EventConsumer>,
    mut stop: crate::supervisor::StopSignal,
) -> anyhow::Result<()> {
    let mut subscription = source
        .subscribe(consumer.name(), &consumer.event_types())
        .await?;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            handled = pump(&mut *subscription, &*consumer, 64, Duration::from_millis(500)) => {
                handled?;
            }
        }
    }
}

#[cfg(test)]
// figment's `Jail` closures return its large error type; nothing to box in a test.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;
    use crate::config::Overrides;

    #[test]
    fn the_bus_defaults_to_memory_or_to_nats_when_nats_is_configured() {
        Jail::expect_with(|jail| {
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.bus_kind(), BusKind::Memory);
            jail.set_env("AGORA_NATS_URL", "nats://127.0.0.1:4222");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.bus_kind(), BusKind::Nats);
            jail.set_env("AGORA_BUS", "memory");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.bus_kind(), BusKind::Memory);
            Ok(())
        });
    }

    #[test]
    fn a_shared_bus_without_its_server_is_refused_naming_the_keys() {
        Jail::expect_with(|jail| {
            jail.set_env("AGORA_BUS", "redis");
            let error = Config::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("AGORA_BUS") && error.contains("AGORA_REDIS_URL"),
                "{error}"
            );
            jail.set_env("AGORA_BUS", "nats");
            let error = Config::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(error.contains("AGORA_NATS_URL"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn events_settings_are_read_from_the_environment() {
        Jail::expect_with(|jail| {
            jail.set_env("AGORA_EVENTS__MAX_ATTEMPTS", "3");
            jail.set_env("AGORA_EVENTS__RETRY_BASE", "10ms");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.events.max_attempts, 3);
            assert_eq!(config.events.policy().base, Duration::from_millis(10));
            jail.set_env("AGORA_EVENTS__MAX_ATTEMPTS", "0");
            let error = Config::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(error.contains("AGORA_EVENTS__MAX_ATTEMPTS"), "{error}");
            Ok(())
        });
    }
}
