use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{Context, DeliveryGate, Module, Registry};
use crate::{
    config::{Config, Secret},
    supervisor::{StopSignal, Supervisor},
};
use agora_adapters::{
    platform::{SmtpMailer, SqlMailbox, SqlOutbox},
    store::Database,
};
use agora_app::platform::{Jobs, Mailbox, OutboxRelay, RetryPolicy};
use agora_domain::ports::{EventPublisher, Mailer, Outbox};
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
        agora_http::platform::mailbox_api().into_openapi()
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
    smtp: Mutex<Option<SmtpMailer>>,
    supervisor: Mutex<Option<Supervisor>>,
}

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
            smtp: Mutex::new(None),
            supervisor: Mutex::new(None),
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
        let delivered = match relay.relay_batch(50).await {
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
        let mailbox = SqlMailbox::new(db);
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
        registry.provide(outbox.clone());
        // Contexts started after platform register their job handlers here (identity's
        // password-reset lookup); the relay reads it.
        let jobs = Jobs::default();
        registry.provide(jobs.clone());
        registry.append(Arc::new(OutboxGauge(outbox.clone())) as Arc<dyn MetricsSource>);
        if registry.get::<super::Headless>().is_ok() {
            return Ok(());
        }
        let bus: Arc<dyn EventPublisher> = registry.get()?;
        let relay = OutboxRelay::new(outbox.clone(), mailer, bus, jobs, RetryPolicy::default());
        let supervisor: Supervisor = registry.get()?;
        let interval = self.poll_interval;
        let gate: DeliveryGate = registry.get()?;
        supervisor.spawn(RELAY_TASK, move |stop| {
            relay_loop(relay.clone(), interval, wake.clone(), gate.clone(), stop)
        });
        *self.supervisor.lock().unwrap_or_else(|p| p.into_inner()) = Some(supervisor);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        let supervisor = self
            .supervisor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(supervisor) = supervisor {
            // The relay finishes the batch in hand; undelivered messages stay in the outbox.
            supervisor.stop(RELAY_TASK).await;
        }
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        let smtp = self.smtp.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(smtp) = smtp else {
            return vec![Check {
                name: "platform".into(),
                status: CheckStatus::Up,
                latency_ms: None,
                reason: None,
            }];
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
        vec![
            Check {
                name: "platform".into(),
                status: CheckStatus::Up,
                latency_ms: None,
                reason: None,
            },
            Check {
                name: "smtp".into(),
                status,
                latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                reason,
            },
        ]
    }
}
