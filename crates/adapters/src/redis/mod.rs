//! Redis plumbing shared by every Redis adapter (denylist, rate limiter, caches).

mod breaker;
mod manager;
#[cfg(test)]
pub(crate) mod tests;

pub use breaker::{BreakerState, CircuitBreaker, GuardedConnection};
#[cfg(any(test, feature = "test-hooks"))]
pub use manager::HeldBack;
pub use manager::{Commands, Handler, PubSubEvent, PubSubState, RedisHealth, RedisManager};
