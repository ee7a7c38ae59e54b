//! Domain events and their envelope (ARCHITECTURE §8). Events are facts that already happened; they
//! are written to the outbox in the same transaction as the change they describe.

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

/// The wire envelope every event travels in, whatever the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope {
    /// Unique, time-ordered (UUID v7) so consumers can de-duplicate and sort.
    pub id: Uuid,
    /// Dotted event name, e.g. `user.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version of `data`, bumped on incompatible changes.
    pub version: u32,
    /// When the fact happened (not when it was published).
    pub occurred_at: DateTime<Utc>,
    /// The aggregate the event belongs to; consumers partition and order by it.
    pub aggregate_id: Uuid,
    /// The event's payload.
    pub data: serde_json::Value,
}

impl EventEnvelope {
    /// Wraps a payload in a fresh envelope stamped now.
    pub fn new(event_type: &str, aggregate_id: Uuid, data: serde_json::Value) -> Self {
        Self {
            id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            version: 1,
            occurred_at: Utc::now(),
            aggregate_id,
            data,
        }
    }
}

/// A typed domain event: an enum of one context's facts, serialised by serde as
/// `{"type": "<dotted name>", "data": {…}}` (adjacently tagged), so its `type` and `data` are
/// exactly the envelope's. Declaring events as types (not `json!` at each call site) pins their
/// wire shape in one place, and consumers decode them with [`EventEnvelope::decode`].
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// Schema version of this event's `data`; bump it (and keep decoding the old one, or add a
    /// new variant) on an incompatible change.
    fn version(&self) -> u32;
    /// The aggregate the event belongs to.
    fn aggregate_id(&self) -> Uuid;
}

/// An envelope did not hold the expected event.
#[derive(Debug, thiserror::Error)]
pub enum EventDecodeError {
    /// Unknown `type` or `data` of the wrong shape.
    #[error("event does not decode: {0}")]
    Shape(#[from] serde_json::Error),
    /// The payload has a schema version this code does not read.
    #[error("event `{event_type}` has version {found}, expected {expected}")]
    Version {
        /// The envelope's type.
        event_type: String,
        /// The envelope's version.
        found: u32,
        /// The version this code reads.
        expected: u32,
    },
}

impl EventEnvelope {
    /// Wraps a typed event in a fresh envelope stamped now.
    pub fn wrap<E: DomainEvent>(event: &E) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Tagged {
            #[serde(rename = "type")]
            event_type: String,
            data: serde_json::Value,
        }
        let Tagged { event_type, data } = serde_json::from_value(serde_json::to_value(event)?)?;
        Ok(Self {
            version: event.version(),
            ..Self::new(&event_type, event.aggregate_id(), data)
        })
    }

    /// The typed event this envelope carries.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, EventDecodeError> {
        let event: E = serde_json::from_value(serde_json::json!({
            "type": self.event_type,
            "data": self.data,
        }))?;
        if event.version() != self.version {
            return Err(EventDecodeError::Version {
                event_type: self.event_type.clone(),
                found: self.version,
                expected: event.version(),
            });
        }
        Ok(event)
    }
}
