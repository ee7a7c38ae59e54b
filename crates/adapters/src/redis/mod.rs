//! Redis plumbing shared by every Redis adapter (denylist, rate limiter, caches).

mod manager;
#[cfg(test)]
pub(crate) mod tests;

pub use manager::{Handler, PubSubEvent, PubSubState, RedisHealth, RedisManager};
