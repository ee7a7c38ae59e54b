//! Redis plumbing shared by every Redis adapter (denylist, rate limiter, caches).

mod manager;
#[cfg(test)]
pub(crate) mod tests;

#[cfg(any(test, feature = "test-hooks"))]
pub use manager::HeldBack;
pub use manager::{Handler, PubSubEvent, PubSubState, RedisHealth, RedisManager};
