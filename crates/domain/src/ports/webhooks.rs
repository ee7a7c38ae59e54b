use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreError, Tx};
use crate::{
    paging::{Page, PageRequest},
    webhooks::{DueMessage, Webhook, WebhookAttempt},
};

/// Webhook endpoints, their queued messages and the delivery log.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new endpoint.
    async fn create(&self, webhook: &Webhook) -> Result<(), StoreError>;
    /// Endpoints, newest first.
    async fn list(&self, page: PageRequest) -> Result<Page<Webhook>, StoreError>;
    /// One endpoint.
    async fn get(&self, id: Uuid) -> Result<Option<Webhook>, StoreError>;
    /// Replaces an endpoint's settings; `false` when it does not exist.
    async fn update(&self, webhook: &Webhook) -> Result<bool, StoreError>;
    /// Deletes an endpoint with its messages and log; `false` when it does not exist.
    async fn delete(&self, id: Uuid) -> Result<bool, StoreError>;
    /// Enabled endpoints subscribed to `event_type` (inside the fan-out's transaction).
    async fn subscribed(&self, tx: &mut Tx, event_type: &str) -> Result<Vec<Webhook>, StoreError>;
    /// Queues a message for an endpoint inside `tx`, due now.
    async fn enqueue(
        &self,
        tx: &mut Tx,
        webhook_id: Uuid,
        event_type: &str,
        body: &str,
    ) -> Result<Uuid, StoreError>;
    /// Claims up to `limit` due messages for `lease`, counting the attempt.
    async fn claim_due(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<DueMessage>, StoreError>;
    /// Logs an attempt; the message is due again at `retry_at`, or finished when `None`.
    async fn record(
        &self,
        webhook_id: Uuid,
        attempt: &WebhookAttempt,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// An endpoint's delivery log, newest first.
    async fn attempts(
        &self,
        webhook_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<WebhookAttempt>, StoreError>;
}

/// The outcome of one HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver answered with this status.
    Answered(u16),
    /// No answer: refused target, connection error, timeout (the reason).
    Failed(String),
}

/// Sends one signed message (Standard Webhooks headers) to an endpoint.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `body` to `url` as message `id`, signed with `secret` (`whsec_…`).
    async fn send(&self, url: &str, id: Uuid, body: &str, secret: &str) -> SendOutcome;
}
