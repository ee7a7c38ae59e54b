use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreError, Tx};
use crate::{
    event::EventEnvelope,
    mail::OutgoingMail,
    paging::{Page, PageRequest},
};

/// Something to deliver after the transaction that produced it commits.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxMessage {
    /// A mail for the mail transport.
    Mail(OutgoingMail),
    /// An event for the bus.
    Event(EventEnvelope),
    /// Work deferred until after the request that asked for it, run by the relay through the
    /// [`JobHandler`] registered for its kind (at least once, like every outbox message).
    Job(Job),
}

/// A deferred piece of work: what to run (`kind`, e.g. `identity.password_reset`) and with what.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// Names the handler.
    pub kind: String,
    /// The handler's input.
    pub payload: serde_json::Value,
}

/// Runs the jobs of one kind. Delivery is at least once, so a handler must tolerate a rerun.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Runs one job; an error is retried with the outbox's backoff, then dead-lettered.
    async fn run(&self, payload: &serde_json::Value) -> Result<(), String>;
}

/// The "next attempt" of a dead-lettered message: never. Its row stays (for inspection and manual
/// replay: query `next_attempt_at >= '9999-01-01'`) but it is not due again.
pub fn dead_letter_at() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_214_400, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A claimed outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Row id (UUID v7, so claiming in id order is FIFO).
    pub id: Uuid,
    /// Payload.
    pub message: OutboxMessage,
    /// Delivery attempts so far, including this one.
    pub attempts: u32,
    /// When it was enqueued (its transaction's commit, give or take): the relay's lag is
    /// measured from here.
    pub created_at: DateTime<Utc>,
}

/// The transactional outbox: messages are written with the state change, delivered after commit,
/// retried until delivered.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Adds a message inside the caller's transaction.
    async fn enqueue(&self, tx: &mut Tx, message: &OutboxMessage) -> Result<(), StoreError>;
    /// Claims up to `limit` due messages for `lease`; a crashed relay's claims expire. Of each
    /// aggregate's events only the oldest undelivered one is claimable, so several relays never
    /// publish an aggregate's events out of order.
    async fn claim(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxItem>, StoreError>;
    /// Marks a message delivered.
    async fn mark_sent(&self, id: Uuid) -> Result<(), StoreError> {
        self.mark_sent_many(&[id]).await
    }
    /// Marks messages delivered, in one statement per chunk (the relay's batches).
    async fn mark_sent_many(&self, ids: &[Uuid]) -> Result<(), StoreError>;
    /// Records a failed attempt; the message becomes due again at `retry_at`.
    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Deletes messages delivered before `before`; returns how many.
    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Messages not yet delivered (for metrics and tests).
    async fn pending_count(&self) -> Result<u64, StoreError>;
}

/// A delivered mail as kept by the embedded mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// Id.
    pub id: Uuid,
    /// Mail.
    pub mail: OutgoingMail,
    /// Delivery time.
    pub sent_at: DateTime<Utc>,
}

/// The embedded mailbox (development mail transport), readable by admins.
#[async_trait]
pub trait MailboxReader: Send + Sync {
    /// Newest first, optionally only mails to one address.
    async fn list(
        &self,
        to: Option<&str>,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<StoredMail>, StoreError>;
}
