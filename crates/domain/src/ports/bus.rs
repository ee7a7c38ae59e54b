use async_trait::async_trait;

use crate::event::EventEnvelope;

/// Publishing failed; the outbox keeps the event and the relay retries.
#[derive(Debug, thiserror::Error)]
#[error("event publish failed: {0}")]
pub struct BusError(pub String);

/// Publishes committed events to the bus (memory, Redis Streams, NATS JetStream).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event; at-least-once, so consumers must be idempotent.
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError>;
}
