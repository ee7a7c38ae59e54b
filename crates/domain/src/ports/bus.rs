use std::time::Duration;

use async_trait::async_trait;

use super::Tx;
use crate::event::EventEnvelope;

/// Publishing or consuming failed; the outbox keeps the event and the relay retries, or the bus
/// redelivers an unacknowledged one.
#[derive(Debug, thiserror::Error)]
#[error("event publish failed: {0}")]
pub struct BusError(pub String);

/// Publishes committed events to the bus (memory, Redis Streams, NATS JetStream).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event; at-least-once, so consumers must be idempotent.
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError>;

    /// Publishes a batch, in order; one result per event (the relay marks the published ones
    /// and retries the rest). Adapters pipeline the batch; the default publishes one by one.
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), BusError>> {
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            results.push(self.publish(event).await);
        }
        results
    }

    /// Whether the bus answers (for `/ready`); an in-process bus always does.
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// Reacts to published events: contributed by a bounded context (`Registry::on_event`), run by
/// the core as a *consumer* named [`name`](EventHandler::name) (a consumer group / durable
/// consumer on a shared bus, so several workers share its load).
///
/// The core calls [`handle`](EventHandler::handle) inside a transaction that also records
/// `(consumer, event id)` in the inbox, so an effect written through `tx` happens once per
/// event however often the bus redelivers it. Effects outside the database go through the
/// outbox in the same `tx` (a mail) or a table of their own (webhook deliveries).
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Names the consumer: in logs, the inbox, dead letters, and the bus's consumer group.
    fn name(&self) -> &'static str;

    /// The event types (`user.created`, …) this consumer wants.
    fn event_types(&self) -> &'static [&'static str];

    /// Applies the event inside `tx`; an error rolls it back and the event is retried with
    /// backoff, then dead-lettered.
    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError>;

    /// Whether events of this type are for this handler.
    fn wants(&self, event_type: &str) -> bool {
        self.event_types().contains(&event_type)
    }
}

/// One consumer's handling of events, whatever the bus: the core wraps each [`EventHandler`]
/// (inbox, retries, dead letters) in one and registers it with the bus.
#[async_trait]
pub trait EventConsumer: Send + Sync {
    /// The consumer's name.
    fn name(&self) -> &str;

    /// The event types it wants.
    fn event_types(&self) -> Vec<String>;

    /// Handles one delivery to completion: applied, already applied, or dead-lettered. An error
    /// means "not handled" (its store is unreachable): the bus must deliver it again.
    async fn consume(&self, event: &EventEnvelope) -> Result<(), BusError>;

    /// Handles a batch, in order, with the same outcome as [`consume`](Self::consume) on each;
    /// implementations apply it in fewer transactions.
    async fn consume_batch(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        for event in events {
            self.consume(event).await?;
        }
        Ok(())
    }
}

/// The consuming side of a shared bus: durable subscriptions that survive restarts and share
/// their messages among every process subscribed under the same consumer name.
#[async_trait]
pub trait EventSource: Send + Sync {
    /// Joins (creating it if needed) the durable subscription of `consumer` to `event_types`.
    async fn subscribe(
        &self,
        consumer: &str,
        event_types: &[String],
    ) -> Result<Box<dyn Subscription>, BusError>;
}

/// A durable subscription: fetch, handle, acknowledge. Unacknowledged messages are delivered
/// again (to this or another member) after the bus's redelivery timeout.
#[async_trait]
pub trait Subscription: Send {
    /// Up to `max` messages, waiting at most `wait` for the first.
    async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError>;
}

/// A message handed to one member of a subscription.
pub struct Delivery {
    /// The event.
    pub event: EventEnvelope,
    /// Acknowledges it (never delivered to this subscription again).
    pub ack: Box<dyn Ack>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event.id)
            .finish_non_exhaustive()
    }
}

/// Acknowledges one delivery.
#[async_trait]
pub trait Ack: Send {
    /// Done with the message.
    async fn ack(self: Box<Self>) -> Result<(), BusError>;
}

/// The stream (Redis) / JetStream stream an event type belongs to: its family, the part before
/// the first dot (`user.created` → `user`), so each family is ordered and retained on its own.
pub fn event_family(event_type: &str) -> &str {
    event_type.split('.').next().unwrap_or(event_type)
}
