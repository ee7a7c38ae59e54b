//! The event bus adapter, chosen by configuration (`bus`, `AGORA_BUS`).

use agora_adapters::memory::MemoryBus;
use serde::{Deserialize, Serialize};

/// Which event bus the outbox relay publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BusKind {
    /// In process: consumers of this process only (the embedded default).
    #[default]
    Memory,
    /// Redis Streams (not implemented yet).
    Redis,
    /// NATS JetStream (not implemented yet).
    Nats,
}

impl BusKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Redis => "redis",
            Self::Nats => "nats",
        }
    }
}

/// Builds the configured bus. Selecting an adapter that does not exist yet is a start error
/// rather than a silent fallback to memory: a deployment that asked for a shared bus and got a
/// per-process one would lose events between replicas without anyone noticing.
pub fn build_bus(kind: BusKind) -> anyhow::Result<MemoryBus> {
    match kind {
        BusKind::Memory => Ok(MemoryBus::new()),
        BusKind::Redis | BusKind::Nats => anyhow::bail!(
            "`bus` (AGORA_BUS) = `{}` is not yet available; only `memory` is implemented",
            kind.as_str()
        ),
    }
}

#[cfg(test)]
// figment's `Jail` closures return its large error type; nothing to box in a test.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;
    use crate::config::{Config, Overrides};

    #[test]
    fn the_bus_defaults_to_memory_and_is_read_from_agora_bus() {
        Jail::expect_with(|jail| {
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.bus, BusKind::Memory);
            jail.set_env("AGORA_BUS", "nats");
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.bus, BusKind::Nats);
            Ok(())
        });
    }

    #[test]
    fn buses_not_implemented_yet_fail_naming_the_key() {
        assert!(build_bus(BusKind::Memory).is_ok());
        for kind in [BusKind::Redis, BusKind::Nats] {
            let error = build_bus(kind).expect_err("not available").to_string();
            assert!(error.contains("AGORA_BUS"), "{error}");
            assert!(error.contains("not yet available"), "{error}");
        }
    }

    #[tokio::test]
    async fn the_application_refuses_to_start_with_a_bus_not_yet_available() {
        let mut config = Config::default();
        config.bus = BusKind::Nats;
        let error = crate::Application::start(&config, "all", crate::Wiring::default())
            .await
            .err()
            .expect("start fails")
            .to_string();
        assert!(error.contains("AGORA_BUS"), "{error}");
    }
}
