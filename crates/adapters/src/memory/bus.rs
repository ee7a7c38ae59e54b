use std::sync::{Arc, Mutex, RwLock};

use agora_domain::{
    event::EventEnvelope,
    ports::{BusError, EventConsumer, EventPublisher},
};
use async_trait::async_trait;
use tokio::sync::broadcast;

/// In-process bus: delivers each event to the registered [`EventConsumer`]s before `publish`
/// returns (so a consumer that could not handle it fails the publish and the relay retries the
/// event; consumers skip what they applied already), and fans it
/// out to live subscribers; a recording bus (tests) also keeps every event for inspection. The
/// serving default does not record, so memory stays flat.
#[derive(Clone)]
pub struct MemoryBus {
    sender: broadcast::Sender<EventEnvelope>,
    published: Option<Arc<Mutex<Vec<EventEnvelope>>>>,
    consumers: Arc<RwLock<Vec<Arc<dyn EventConsumer>>>>,
}

impl std::fmt::Debug for MemoryBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBus")
            .field("recording", &self.published.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBus {
    /// A bus whose subscribers may lag up to 1024 events before they miss some.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self {
            sender,
            published: None,
            consumers: Arc::default(),
        }
    }

    /// Delivers every event published from now on that `consumer` wants.
    pub fn register(&self, consumer: Arc<dyn EventConsumer>) {
        self.consumers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(consumer);
    }

    /// A bus that also remembers every event (tests).
    pub fn recording() -> Self {
        Self {
            published: Some(Arc::default()),
            ..Self::new()
        }
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EventEnvelope> {
        self.sender.subscribe()
    }

    /// Everything published so far, oldest first (empty unless [`MemoryBus::recording`]).
    pub fn published(&self) -> Vec<EventEnvelope> {
        self.published
            .as_ref()
            .map(|p| {
                p.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone()
            })
            .unwrap_or_default()
    }

    /// Events of one type.
    pub fn published_of(&self, event_type: &str) -> Vec<EventEnvelope> {
        self.published()
            .into_iter()
            .filter(|e| e.event_type == event_type)
            .collect()
    }
}

#[async_trait]
impl EventPublisher for MemoryBus {
    /// The batch goes to each consumer as a batch (fewer transactions); all succeed or fail
    /// together, and a failed batch is relayed again (consumers skip what they applied).
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), BusError>> {
        let outcome = self.deliver_batch(events).await;
        events
            .iter()
            .map(|_| outcome.as_ref().copied().map_err(|e| BusError(e.0.clone())))
            .collect()
    }

    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.deliver_batch(std::slice::from_ref(event)).await
    }
}

impl MemoryBus {
    async fn deliver_batch(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        if let Some(published) = &self.published {
            published
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend(events.iter().cloned());
        }
        let consumers: Vec<Arc<dyn EventConsumer>> = self
            .consumers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        for consumer in consumers {
            let types = consumer.event_types();
            let wanted: Vec<EventEnvelope> = events
                .iter()
                .filter(|e| types.contains(&e.event_type))
                .cloned()
                .collect();
            if wanted.is_empty() {
                continue;
            }
            consumer.consume_batch(&wanted).await.map_err(|error| {
                BusError(format!(
                    "consumer `{}` failed: {}",
                    consumer.name(),
                    error.0
                ))
            })?;
        }
        for event in events {
            // No subscriber is not an error.
            let _ = self.sender.send(event.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_and_the_record_both_see_an_event() {
        let bus = MemoryBus::recording();
        let mut rx = bus.subscribe();
        let event = EventEnvelope::new("user.created", uuid::Uuid::now_v7(), serde_json::json!({}));
        bus.publish(&event).await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), event);
        assert_eq!(bus.published_of("user.created"), vec![event.clone()]);
        let plain = MemoryBus::new();
        plain.publish(&event).await.unwrap();
        assert!(
            plain.published().is_empty(),
            "the serving bus keeps nothing"
        );
    }
}
