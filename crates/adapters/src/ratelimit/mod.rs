//! Rate limiter adapters: in-process (one replica) and Redis (shared by replicas). Both run the
//! same GCRA ([`agora_domain::ratelimit::gcra`]); Redis runs it as an atomic Lua script.

mod memory;
mod redis_gcra;

pub use memory::MemoryRateLimiter;
pub use redis_gcra::RedisRateLimiter;
