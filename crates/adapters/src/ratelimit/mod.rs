//! Rate limiter adapters: in-process (one replica) and Redis (shared by replicas). Both run the
//! same GCRA ([`agora_domain::ratelimit::gcra`]); Redis runs it as an atomic Lua script. With
//! Redis, [`FailoverRateLimiter`] puts the in-process one behind it for outages.

mod failover;
mod memory;
mod redis_gcra;

pub use failover::FailoverRateLimiter;
pub use memory::MemoryRateLimiter;
pub use redis_gcra::RedisRateLimiter;
