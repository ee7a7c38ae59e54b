//! Domain events and their envelope (ARCHITECTURE §8). Events are facts that already happened; they
//! are written to the outbox in the same transaction as the change they describe.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
