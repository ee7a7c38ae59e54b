//! Published ports answered over HTTP by another service (ADR 0030): what a split target uses
//! in place of a context it does not run. Same traits, same contracts as the in-process
//! implementations; failures to reach the service are `PortError::Unavailable` (503).

mod breaker;
mod catalog;
mod client;
mod identity;

pub use breaker::{BreakerState, CircuitBreaker};
#[cfg(feature = "test-hooks")]
pub use catalog::Fault;
pub use catalog::RemoteCatalog;
pub use client::{RemoteSettings, ServiceClient};
pub use identity::RemoteUserDirectory;

/// Ids per request: the same bound as the in-process batch statements.
const BATCH: usize = 1000;
