use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{Context, DeliveryGate, Module, Registry};
use crate::{
    config::{Config, Secret},
    supervisor::{ModuleTasks, StopSignal, Supervisor},
};
use agora_adapters::{
    platform::{SmtpMailer, SqlConsumerLedger, SqlMailbox, SqlOutbox},
    store::Database,
};
use agora_app::platform::{DeadLetters, Jobs, Mailbox, OutboxRelay, RetryPolicy};
use agora_domain::ports::{ConsumerLedger, Mailer, Outbox, UnitOfWork};
use agora_http::{Check, CheckStatus, MetricsSource};
use async_trait::async_trait;

/// The supervised task that delivers the outbox.
const RELAY_TASK: &str = "outbox-relay";

/// The platform context: the transactional outbox, its relay, and mail.
pub struct PlatformContext;

impl Context for PlatformContext {
    fn name(&self) -> &'static str {
        "platform"
    }

    fn description(&self) -> &'static str {
        "transactional outbox and its relay, mail (SMTP or embedded mailbox)"
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::platform::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        // The static document describes the embedded default; a server sending through SMTP
        // contributes no mailbox route, and its served document leaves it out likewise.
        let mut document = agora_http::platform::mailbox_api().into_openapi();
        document.merge(agora_http::events::events_api().into_openapi());
        document
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(PlatformModule::new(config)))
    }
}

/// Mail and event delivery: owns the outbox and the embedded mailbox, and runs the relay that
/// delivers committed messages (SMTP when configured, otherwise the mailbox; events to the bus).
pub struct PlatformModule {
    smtp_url: Option<Secret<String>>,
    mail_from: String,
    poll_interval: Duration,
    config: Config,
    smtp: Mutex<Option<SmtpMailer>>,
    bus: Mutex<Option<crate::bus::Bus>>,
    tasks: ModuleTasks,
}

/// The bus the composition root chose for this process (tests inject a recording one).
#[derive(Clone)]
pub struct BusOverride(pub agora_adapters::memory::MemoryBus);

/// The mail transport chosen by the composition root when a caller (a test) supplies one.
#[derive(Clone)]
pub struct MailerOverride(pub Arc<dyn Mailer>);

impl PlatformModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            smtp_url: config.smtp_url.clone(),
            mail_from: config.mail_from.clone(),
            poll_interval: config.outbox_poll_interval,
            config: config.clone(),
            smtp: Mutex::new(None),
            bus: Mutex::new(None),
            tasks: ModuleTasks::default(),
        }
    }
}

/// Relays until told to stop. A failing batch (database briefly unavailable) is logged and retried
/// on the next tick; the messages stay in the outbox.
async fn relay_loop(
    relay: OutboxRelay,
    interval: Duration,
    wake: Arc<tokio::sync::Notify>,
    gate: DeliveryGate,
    batch: u32,
    mut stop: StopSignal,
) -> anyhow::Result<()> {
    tokio::select! {
        _ = stop.wait_for(|s| *s) => return Ok(()),
        () = gate.opened() => {}
    }
    let mut next_purge = tokio::time::Instant::now();
    loop {
        // Delivered rows are kept a week for inspection, then dropped so the table stays small.
        if tokio::time::Instant::now() >= next_purge {
            next_purge += Duration::from_secs(3600);
            if let Err(error) = relay.purge_delivered().await {
                tracing::warn!(%error, "could not purge delivered outbox messages");
            }
        }
        let delivered = match relay.relay_batch(batch).await {
            Ok(count) => count,
            Err(error) => {
                tracing::warn!(%error, "outbox relay batch failed");
                0
            }
        };
        if delivered > 0 {
            continue; // more may be waiting
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            () = tokio::time::sleep(interval) => {}
            () = wake.notified() => {}
        }
    }
}

/// Publishes the undelivered outbox backlog at scrape time (outbox lag).
struct OutboxGauge(Arc<dyn Outbox>);

#[async_trait]
impl MetricsSource for OutboxGauge {
    async fn refresh(&self) {
        if let Ok(pending) = self.0.pending_count().await {
            metrics::gauge!("outbox_pending").set(pending as f64);
        }
    }
}

#[async_trait]
impl Module for PlatformModule {
    fn name(&self) -> &'static str {
        "platform"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let sql_outbox = SqlOutbox::new(db.clone());
        let wake = sql_outbox.wakeups();
        let outbox = Arc::new(sql_outbox) as Arc<dyn Outbox>;
        let mailbox = SqlMailbox::new(db.clone());
        let ledger = Arc::new(SqlConsumerLedger::new(db.clone())) as Arc<dyn ConsumerLedger>;
        let uow = Arc::new(db) as Arc<dyn UnitOfWork>;
        registry.provide(ledger.clone());
        let dead_letters = DeadLetters::new(ledger, outbox.clone(), uow);
        registry.provide(dead_letters.clone());
        let mailer: Arc<dyn Mailer> = match (registry.get::<MailerOverride>(), &self.smtp_url) {
            (Ok(MailerOverride(mailer)), _) => mailer,
            (Err(_), Some(url)) => {
                let smtp = SmtpMailer::new(url.expose(), &self.mail_from)
                    .map_err(|e| anyhow::anyhow!("`smtp_url`: {e}"))?;
                *self.smtp.lock().unwrap_or_else(|p| p.into_inner()) = Some(smtp.clone());
                tracing::info!("outgoing mail via SMTP");
                Arc::new(smtp)
            }
            (Err(_), None) => {
                tracing::info!(
                    "outgoing mail goes to the embedded mailbox (GET /api/admin/mailbox)"
                );
                registry.routes(
                    agora_http::platform::mailbox_api()
                        .with_state(Mailbox::new(Arc::new(mailbox.clone()))),
                );
                Arc::new(mailbox)
            }
        };
        // After the mailbox's routes, as in the static document (`Context::openapi`).
        registry.routes(agora_http::events::events_api().with_state(dead_letters));
        registry.provide(outbox.clone());
        // Contexts started after platform register their job handlers here (identity's
        // password-reset lookup); the relay reads it.
        let jobs = Jobs::default();
        registry.provide(jobs.clone());
        registry.append(Arc::new(OutboxGauge(outbox.clone())) as Arc<dyn MetricsSource>);
        if registry.get::<super::Headless>().is_ok() {
            return Ok(());
        }
        let bus = match registry.get::<BusOverride>() {
            Ok(BusOverride(memory)) => crate::bus::Bus::Memory(memory),
            Err(_) => {
                let redis = registry.get::<agora_adapters::redis::RedisManager>().ok();
                crate::bus::Bus::build(&self.config, redis.as_ref()).await?
            }
        };
        tracing::info!(bus = bus.name(), "event bus");
        registry.provide(bus.clone());
        let relay = OutboxRelay::new(
            outbox.clone(),
            mailer,
            bus.publisher(),
            jobs,
            RetryPolicy::default(),
        );
        *self.bus.lock().unwrap_or_else(|p| p.into_inner()) = Some(bus);
        let batch = self.config.events.relay_batch;
        let supervisor: Supervisor = registry.get()?;
        let interval = self.poll_interval;
        let gate: DeliveryGate = registry.get()?;
        supervisor.spawn(RELAY_TASK, move |stop| {
            relay_loop(
                relay.clone(),
                interval,
                wake.clone(),
                gate.clone(),
                batch,
                stop,
            )
        });
        self.tasks.started(supervisor, &[RELAY_TASK]);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        // The relay finishes the batch in hand; undelivered messages stay in the outbox.
        self.tasks.stop().await;
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        let mut checks = vec![Check {
            name: "platform".into(),
            status: CheckStatus::Up,
            latency_ms: None,
            reason: None,
        }];
        let bus = self.bus.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(bus) = bus {
            checks.push(bus_check(&bus).await);
        }
        let smtp = self.smtp.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(smtp) = smtp else {
            return checks;
        };
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(Duration::from_secs(2), smtp.ping()).await;
        let (status, reason) = match outcome {
            Ok(Ok(true)) => (CheckStatus::Up, None),
            Ok(Ok(false)) => (
                CheckStatus::Down,
                Some("SMTP server refused the connection test".to_owned()),
            ),
            Ok(Err(error)) => (
                CheckStatus::Down,
                Some(format!("SMTP unreachable: {error}")),
            ),
            Err(_) => (
                CheckStatus::Down,
                Some("SMTP did not answer within 2 s".to_owned()),
            ),
        };
        checks.push(Check {
            name: "smtp".into(),
            status,
            latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
            reason,
        });
        checks
    }
}

/// `bus:<kind>`: degraded, not down, while the bus is away — committed events wait in the
/// outbox and are relayed when it is back, so the replica still serves correctly.
async fn bus_check(bus: &crate::bus::Bus) -> Check {
    let started = std::time::Instant::now();
    let publisher = bus.publisher();
    let outcome = tokio::time::timeout(Duration::from_secs(2), publisher.ping()).await;
    let (status, reason) = match outcome {
        Ok(Ok(())) => (CheckStatus::Up, None),
        Ok(Err(error)) => (
            CheckStatus::Degraded,
            Some(format!("{error}; events wait in the outbox")),
        ),
        Err(_) => (
            CheckStatus::Degraded,
            Some("no answer within 2 s; events wait in the outbox".to_owned()),
        ),
    };
    Check {
        name: format!("bus:{}", bus.name()),
        status,
        latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
        reason,
    }
}
