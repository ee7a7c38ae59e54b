//! Webhooks: administration, the fan-out consumer and the dispatcher (API.md "Platform",
//! ADR 0019). A subscribed event becomes one message per endpoint, written in the consumer's
//! inbox transaction; the dispatcher sends each message (same `webhook-id` on every attempt) and
//! retries it on the configured schedule, then gives up ("dead" in the delivery log).

mod admin;

use std::{sync::Arc, time::Duration};

use agora_domain::{
    event::EventEnvelope,
    ports::{BusError, EventHandler, SendOutcome, Tx, WebhookSender, WebhookStore},
    webhooks::{WebhookAttempt, WEBHOOK_EVENTS},
};
use async_trait::async_trait;
use chrono::Utc;

pub use admin::{NewWebhookInput, WebhookChange, Webhooks};

use crate::AppError;

/// What the dispatcher needs to know.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Delays between attempts: `[5s, 5m, 30m, 2h, 5h, 10h]` means 7 attempts in all.
    pub retry_schedule: Vec<Duration>,
    /// Networks endpoints may reach although internal (`webhooks.allowed_networks`).
    pub allowed_networks: Vec<ipnet::IpNet>,
}

/// The message body: `{type, timestamp, data}` (Standard Webhooks' recommended shape).
pub fn message_body(event: &EventEnvelope) -> String {
    serde_json::json!({
        "type": event.event_type,
        "timestamp": event.occurred_at,
        "data": event.data,
    })
    .to_string()
}

/// The `webhooks` consumer: queues a message for every enabled endpoint subscribed to the event.
pub struct WebhookFanOut {
    store: Arc<dyn WebhookStore>,
}

impl WebhookFanOut {
    /// The consumer over `store`.
    pub fn new(store: Arc<dyn WebhookStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EventHandler for WebhookFanOut {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn event_types(&self) -> &'static [&'static str] {
        WEBHOOK_EVENTS
    }

    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError> {
        let failed = |e: agora_domain::ports::StoreError| BusError(e.to_string());
        let body = message_body(event);
        for webhook in self
            .store
            .subscribed(tx, &event.event_type)
            .await
            .map_err(failed)?
        {
            self.store
                .enqueue(tx, webhook.id, &event.event_type, &body)
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// Sends due messages.
#[derive(Clone)]
pub struct WebhookDispatcher {
    store: Arc<dyn WebhookStore>,
    sender: Arc<dyn WebhookSender>,
    schedule: Vec<Duration>,
}

impl WebhookDispatcher {
    /// Wires the dispatcher.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        sender: Arc<dyn WebhookSender>,
        schedule: Vec<Duration>,
    ) -> Self {
        Self {
            store,
            sender,
            schedule,
        }
    }

    /// Claims and sends one batch; returns how many messages it attempted.
    pub async fn dispatch_batch(&self, limit: u32) -> Result<usize, AppError> {
        // A lease longer than one attempt (5 s timeout) with room to spare.
        let due = self
            .store
            .claim_due(limit, chrono::Duration::seconds(60))
            .await?;
        for message in &due {
            let Some(webhook) = self.store.get(message.webhook_id).await? else {
                continue; // deleted meanwhile: its messages went with it
            };
            let started = std::time::Instant::now();
            let outcome = if webhook.enabled {
                self.sender
                    .send(&webhook.url, message.id, &message.body, &webhook.secret)
                    .await
            } else {
                SendOutcome::Failed("the endpoint is disabled".into())
            };
            let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let (response_code, error) = match &outcome {
                SendOutcome::Answered(code) if (200..300).contains(code) => (Some(*code), None),
                SendOutcome::Answered(code) => (Some(*code), Some(format!("answered {code}"))),
                SendOutcome::Failed(reason) => (None, Some(reason.clone())),
            };
            let retry = match (&error, webhook.enabled) {
                (Some(_), true) => usize::try_from(message.attempts)
                    .ok()
                    .and_then(|n| self.schedule.get(n.saturating_sub(1)))
                    .copied(),
                _ => None,
            };
            let status = match (&error, retry) {
                (None, _) => "succeeded",
                (Some(_), Some(_)) => "failed",
                (Some(_), None) => "dead",
            };
            metrics::counter!("webhook_attempts_total", "status" => status).increment(1);
            let attempt = WebhookAttempt {
                message_id: message.id,
                event_type: message.event_type.clone(),
                attempt: message.attempts,
                status: status.to_owned(),
                response_code,
                duration_ms,
                error,
                at: Utc::now(),
            };
            let retry_at = retry.map(|delay| {
                Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
            });
            self.store.record(webhook.id, &attempt, retry_at).await?;
        }
        Ok(due.len())
    }
}
