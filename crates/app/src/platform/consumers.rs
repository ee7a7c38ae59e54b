//! Consumers: each event handler a context contributes runs as an idempotent consumer — its
//! effect and the inbox row commit together, failures are retried with exponential backoff and
//! jitter, and after the last attempt the event becomes a dead letter (ADR 0019).

use std::{sync::Arc, time::Duration};

use agora_domain::{
    event::EventEnvelope,
    identity::Principal,
    paging::{Page, PageRequest},
    ports::{
        BusError, ConsumerLedger, DeadLetter, EventConsumer, EventHandler, Outbox, OutboxMessage,
        Subscription, UnitOfWork,
    },
};
use async_trait::async_trait;
use rand::Rng;
use uuid::Uuid;

use crate::AppError;

/// How a consumer retries a failing event.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerPolicy {
    /// Attempts before the event becomes a dead letter (`events.max_attempts`).
    pub max_attempts: u32,
    /// Delay after the first failure, doubling per attempt.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for ConsumerPolicy {
    /// 5 attempts, 1 s doubling to 30 s (about 15 s of retries).
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

impl ConsumerPolicy {
    /// The wait after failed attempt `attempts`: exponential, capped, with "equal jitter" (half
    /// fixed, half random) so consumers that failed together do not retry together.
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(16));
        let full = self.base.saturating_mul(factor).min(self.max);
        let half = full / 2;
        half + half.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }
}

/// One [`EventHandler`] made idempotent and persistent.
pub struct IdempotentConsumer {
    handler: Arc<dyn EventHandler>,
    ledger: Arc<dyn ConsumerLedger>,
    uow: Arc<dyn UnitOfWork>,
    policy: ConsumerPolicy,
}

enum Attempt {
    /// The handler failed: counted, retried, eventually dead-lettered.
    Handler(String),
    /// The store failed: nothing is known, the bus must deliver it again.
    Store(String),
}

impl IdempotentConsumer {
    /// Wraps `handler`.
    pub fn new(
        handler: Arc<dyn EventHandler>,
        ledger: Arc<dyn ConsumerLedger>,
        uow: Arc<dyn UnitOfWork>,
        policy: ConsumerPolicy,
    ) -> Self {
        Self {
            handler,
            ledger,
            uow,
            policy,
        }
    }

    async fn attempt(&self, event: &EventEnvelope) -> Result<(), Attempt> {
        let store = |e: agora_domain::ports::StoreError| Attempt::Store(e.to_string());
        let mut tx = self.uow.begin().await.map_err(store)?;
        if !self
            .ledger
            .record(&mut tx, self.handler.name(), event.id)
            .await
            .map_err(store)?
        {
            // Applied before (a redelivery): nothing to do but acknowledge.
            tx.rollback().await.map_err(store)?;
            metrics::counter!("events_redelivered_total", "consumer" => self.handler.name())
                .increment(1);
            return Ok(());
        }
        if let Err(BusError(error)) = self.handler.handle(&mut tx, event).await {
            let _ = tx.rollback().await;
            return Err(Attempt::Handler(error));
        }
        tx.commit().await.map_err(store)
    }
}

impl IdempotentConsumer {
    /// Applies every event of `events` in one transaction; returns how many were new.
    async fn attempt_all(&self, events: &[EventEnvelope]) -> Result<u64, Attempt> {
        let store = |e: agora_domain::ports::StoreError| Attempt::Store(e.to_string());
        let mut tx = self.uow.begin().await.map_err(store)?;
        let mut applied = 0;
        for event in events {
            if !self
                .ledger
                .record(&mut tx, self.handler.name(), event.id)
                .await
                .map_err(store)?
            {
                continue;
            }
            if let Err(BusError(error)) = self.handler.handle(&mut tx, event).await {
                let _ = tx.rollback().await;
                return Err(Attempt::Handler(error));
            }
            applied += 1;
        }
        tx.commit().await.map_err(store)?;
        Ok(applied)
    }
}

#[async_trait]
impl EventConsumer for IdempotentConsumer {
    fn name(&self) -> &str {
        self.handler.name()
    }

    fn event_types(&self) -> Vec<String> {
        self.handler
            .event_types()
            .iter()
            .map(|t| (*t).to_owned())
            .collect()
    }

    /// The whole batch in one transaction (one commit, one fsync); if any event of it fails,
    /// nothing of it is kept and each event is handled on its own, with its retries.
    async fn consume_batch(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        if events.len() < 2 {
            for event in events {
                self.consume(event).await?;
            }
            return Ok(());
        }
        match self.attempt_all(events).await {
            Ok(applied) => {
                metrics::counter!("events_consumed_total", "consumer" => self.handler.name())
                    .increment(applied);
                Ok(())
            }
            Err(Attempt::Store(error)) => Err(BusError(error)),
            Err(Attempt::Handler(_)) => {
                for event in events {
                    self.consume(event).await?;
                }
                Ok(())
            }
        }
    }

    async fn consume(&self, event: &EventEnvelope) -> Result<(), BusError> {
        let name = self.handler.name();
        loop {
            let error = match self.attempt(event).await {
                Ok(()) => {
                    metrics::counter!("events_consumed_total", "consumer" => name).increment(1);
                    return Ok(());
                }
                Err(Attempt::Store(error)) => return Err(BusError(error)),
                Err(Attempt::Handler(error)) => error,
            };
            let attempts = self
                .ledger
                .failed(name, event, &error)
                .await
                .map_err(|e| BusError(e.to_string()))?;
            if attempts >= self.policy.max_attempts {
                tracing::error!(consumer = name, event = %event.id, attempts, %error, "consumer gives up; dead-lettered");
                self.ledger
                    .bury(name, event.id)
                    .await
                    .map_err(|e| BusError(e.to_string()))?;
                metrics::counter!("events_dead_lettered_total", "consumer" => name).increment(1);
                return Ok(());
            }
            let delay = self.policy.delay(attempts);
            tracing::warn!(consumer = name, event = %event.id, attempts, retry_in = ?delay, %error, "consumer failed");
            tokio::time::sleep(delay).await; // sleep: the retry backoff itself
        }
    }
}

/// Fetches one batch from `subscription`, hands it to `consumer` and acknowledges it once
/// handled. A batch it could not handle (its store is down) stays unacknowledged and the bus
/// delivers it again. Returns how many were handled.
pub async fn pump(
    subscription: &mut dyn Subscription,
    consumer: &dyn EventConsumer,
    max: usize,
    wait: Duration,
) -> Result<usize, BusError> {
    let batch = subscription.fetch(max, wait).await?;
    let events: Vec<EventEnvelope> = batch.iter().map(|d| d.event.clone()).collect();
    consumer.consume_batch(&events).await?;
    for delivery in batch {
        delivery.ack.ack().await?;
    }
    Ok(events.len())
}

/// The admin's view of dead letters and their replay.
#[derive(Clone)]
pub struct DeadLetters {
    ledger: Arc<dyn ConsumerLedger>,
    outbox: Arc<dyn Outbox>,
    uow: Arc<dyn UnitOfWork>,
}

impl DeadLetters {
    /// Wires the use cases.
    pub fn new(
        ledger: Arc<dyn ConsumerLedger>,
        outbox: Arc<dyn Outbox>,
        uow: Arc<dyn UnitOfWork>,
    ) -> Self {
        Self {
            ledger,
            outbox,
            uow,
        }
    }

    /// Dead letters, newest first (admins only).
    pub async fn list(
        &self,
        principal: &Principal,
        page: PageRequest,
    ) -> Result<Page<DeadLetter>, AppError> {
        crate::require_admin(principal)?;
        self.list_unchecked(page).await
    }

    /// Dead letters for the operator's CLI.
    pub async fn list_unchecked(&self, page: PageRequest) -> Result<Page<DeadLetter>, AppError> {
        Ok(self.ledger.dead_letters(page).await?)
    }

    /// Publishes a dead letter's event again (admins only). The event keeps its id: consumers
    /// that applied it skip it by their inbox, the one that gave up applies it once.
    pub async fn replay(&self, principal: &Principal, id: Uuid) -> Result<DeadLetter, AppError> {
        crate::require_admin(principal)?;
        self.replay_unchecked(id).await
    }

    /// Replays for the operator's CLI.
    pub async fn replay_unchecked(&self, id: Uuid) -> Result<DeadLetter, AppError> {
        let mut tx = self.uow.begin().await?;
        let Some(dead) = self.ledger.take_dead_letter(&mut tx, id).await? else {
            return Err(AppError::NotFound);
        };
        self.outbox
            .enqueue(&mut tx, &OutboxMessage::Event(dead.event.clone()))
            .await?;
        tx.commit().await?;
        tracing::info!(dead_letter = %id, consumer = dead.consumer, event = %dead.event.id, "dead letter replayed");
        Ok(dead)
    }
}
