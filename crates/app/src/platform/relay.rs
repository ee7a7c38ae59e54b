use std::{sync::Arc, time::Duration};

use agora_domain::ports::{EventPublisher, JobHandler, Mailer, Outbox, OutboxItem, OutboxMessage};
use chrono::Utc;

use crate::AppError;

/// Exponential backoff between delivery attempts, capped.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Attempts after which a message is dead-lettered (kept, never retried automatically).
    pub max_attempts: u32,
    /// The "next attempt" time that marks a dead letter.
    pub dead_letter_at: chrono::DateTime<Utc>,
}

impl Default for RetryPolicy {
    /// 1 s doubling to 5 min; 300 attempts is about a day of retries.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(300),
            max_attempts: 300,
            dead_letter_at: agora_domain::ports::dead_letter_at(),
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempts + 1`.
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(16));
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// The job handlers of this process, by job kind. The platform module creates it empty and the
/// relay reads it; contexts register their handlers when they start (after platform).
#[derive(Clone, Default)]
pub struct Jobs(Arc<std::sync::RwLock<std::collections::HashMap<String, Arc<dyn JobHandler>>>>);

impl Jobs {
    /// Runs jobs of `kind` with `handler` from now on.
    pub fn register(&self, kind: &str, handler: Arc<dyn JobHandler>) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(kind.to_owned(), handler);
    }

    /// The handler of `kind`, if one is registered.
    pub fn handler(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(kind)
            .cloned()
    }
}

/// Delivers committed outbox messages: mails to the mail transport, events to the bus. A failed
/// delivery stays in the outbox and is retried with backoff, so nothing is lost; delivery is
/// at-least-once, so consumers de-duplicate by event id.
#[derive(Clone)]
pub struct OutboxRelay {
    outbox: Arc<dyn Outbox>,
    mailer: Arc<dyn Mailer>,
    bus: Arc<dyn EventPublisher>,
    jobs: Jobs,
    retry: RetryPolicy,
}

/// How long a claim protects a message from other relays; longer than any one delivery.
const LEASE_SECS: i64 = 60;

impl OutboxRelay {
    /// Wires the relay.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        mailer: Arc<dyn Mailer>,
        bus: Arc<dyn EventPublisher>,
        jobs: Jobs,
        retry: RetryPolicy,
    ) -> Self {
        Self {
            outbox,
            mailer,
            bus,
            jobs,
            retry,
        }
    }

    /// Claims and delivers one batch; returns how many messages were handled (sent or failed).
    /// Events are published as one batch (pipelined by the bus) and then marked sent together:
    /// publish-then-mark, so a crash in between publishes them again (at least once; consumers
    /// skip what their inbox has seen).
    pub async fn relay_batch(&self, limit: u32) -> Result<usize, AppError> {
        let items = self
            .outbox
            .claim(limit, chrono::Duration::seconds(LEASE_SECS))
            .await?;
        let (events, others): (Vec<&OutboxItem>, Vec<&OutboxItem>) = items
            .iter()
            .partition(|item| matches!(item.message, OutboxMessage::Event(_)));
        let mut sent = Vec::with_capacity(items.len());
        if !events.is_empty() {
            let envelopes: Vec<_> = events
                .iter()
                .filter_map(|item| match &item.message {
                    OutboxMessage::Event(event) => Some(event.clone()),
                    _ => None,
                })
                .collect();
            let results = self.bus.publish_batch(&envelopes).await;
            let now = Utc::now();
            for (item, result) in events.iter().zip(results) {
                match result {
                    Ok(()) => {
                        let lag = (now - item.created_at).to_std().unwrap_or_default();
                        metrics::histogram!("outbox_relay_lag_seconds").record(lag.as_secs_f64());
                        sent.push(item.id);
                    }
                    Err(error) => {
                        metrics::counter!("outbox_publish_errors_total").increment(1);
                        self.failed(item, error.to_string()).await?;
                    }
                }
            }
        }
        self.outbox.mark_sent_many(&sent).await?;
        // Mails and jobs are slow one by one (SMTP): each is marked as soon as it is done, so a
        // crash repeats at most the one in flight.
        for item in others {
            match self.deliver(item).await {
                Ok(()) => self.outbox.mark_sent(item.id).await?,
                Err(error) => self.failed(item, error).await?,
            }
        }
        Ok(items.len())
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), String> {
        match &item.message {
            OutboxMessage::Mail(mail) => self.mailer.send(mail).await.map_err(|e| e.to_string()),
            OutboxMessage::Event(event) => self.bus.publish(event).await.map_err(|e| e.to_string()),
            // A job nobody here handles (a replica without that context) waits for a relay
            // that has the handler, with the usual backoff.
            OutboxMessage::Job(job) => match self.jobs.handler(&job.kind) {
                Some(handler) => handler.run(&job.payload).await,
                None => Err(format!("no handler for job kind `{}`", job.kind)),
            },
        }
    }

    async fn failed(&self, item: &OutboxItem, error: String) -> Result<(), AppError> {
        if item.attempts >= self.retry.max_attempts {
            // Days of retries did not help: park it rather than retry forever.
            tracing::error!(id = %item.id, attempts = item.attempts, %error, "outbox delivery keeps failing; dead-lettered");
            self.outbox
                .mark_failed(item.id, &error, self.retry.dead_letter_at)
                .await?;
        } else {
            let delay = self.retry.delay(item.attempts);
            tracing::warn!(id = %item.id, attempts = item.attempts, retry_in = ?delay, %error, "outbox delivery failed");
            let retry_at =
                Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            self.outbox.mark_failed(item.id, &error, retry_at).await?;
        }
        Ok(())
    }

    /// Deletes messages delivered more than a week ago (kept that long for inspection).
    pub async fn purge_delivered(&self) -> Result<u64, AppError> {
        Ok(self
            .outbox
            .purge_delivered(Utc::now() - chrono::Duration::days(7))
            .await?)
    }

    /// Messages still waiting.
    pub async fn pending(&self) -> Result<u64, AppError> {
        Ok(self.outbox.pending_count().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            max: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let delays: Vec<u64> = (1..=6).map(|a| policy.delay(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
        assert_eq!(policy.delay(u32::MAX).as_secs(), 10);
    }
}
