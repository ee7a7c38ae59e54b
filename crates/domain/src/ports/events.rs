use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreError, Tx};
use crate::{
    event::EventEnvelope,
    paging::{Page, PageRequest},
};

/// An event one consumer gave up on after its maximum attempts, kept for inspection and replay.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Id of the dead letter (not of the event).
    pub id: Uuid,
    /// The consumer that failed.
    pub consumer: String,
    /// The event.
    pub event: EventEnvelope,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: String,
    /// When it was given up on.
    pub dead_at: DateTime<Utc>,
}

/// What consumers remember about events: the inbox of applied ones (the idempotency record) and
/// the failed ones (attempt counts, dead letters).
#[async_trait]
pub trait ConsumerLedger: Send + Sync {
    /// Records inside `tx` that `consumer` applied `event_id`; `false` when it already had (the
    /// caller then skips the effect). Also forgets earlier failed attempts of the pair.
    async fn record(&self, tx: &mut Tx, consumer: &str, event_id: Uuid)
        -> Result<bool, StoreError>;

    /// Counts a failed attempt (outside the rolled-back transaction); returns attempts so far.
    async fn failed(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        error: &str,
    ) -> Result<u32, StoreError>;

    /// Gives up on the pair: it becomes a dead letter.
    async fn bury(&self, consumer: &str, event_id: Uuid) -> Result<(), StoreError>;

    /// Dead letters, newest first.
    async fn dead_letters(&self, page: PageRequest) -> Result<Page<DeadLetter>, StoreError>;

    /// Removes a dead letter inside `tx` (which republishes its event); `None` when there is none
    /// with that id (never was, or already replayed).
    async fn take_dead_letter(
        &self,
        tx: &mut Tx,
        id: Uuid,
    ) -> Result<Option<DeadLetter>, StoreError>;
}
