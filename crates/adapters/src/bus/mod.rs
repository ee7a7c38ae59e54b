//! Event bus adapters beyond the in-process one (`memory::MemoryBus`): Redis Streams and NATS
//! JetStream, chosen by configuration (`bus`, ADR 0019).

#[cfg(feature = "nats")]
mod nats;
mod redis_streams;

#[cfg(feature = "nats")]
pub use nats::NatsBus;
pub use redis_streams::RedisStreamsBus;
