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

/// Reacts to published events: contributed by a bounded context (`Registry::on_event`), run by
/// the core for every event it [`wants`](EventHandler::wants). Delivery is at least once — a
/// failing handler makes the relay publish the event again, to every handler — so a handler must
/// be idempotent (by event id).
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Names the handler in logs.
    fn name(&self) -> &'static str;

    /// Whether events of this type (`user.created`, …) are for this handler.
    fn wants(&self, event_type: &str) -> bool;

    /// Applies the event; an error is retried with the event.
    async fn handle(&self, event: &EventEnvelope) -> Result<(), BusError>;
}
