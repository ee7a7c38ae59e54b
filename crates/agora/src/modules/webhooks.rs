use std::{sync::Arc, time::Duration};

use agora_adapters::{
    store::Database,
    webhooks::{HttpWebhookSender, SqlWebhooks},
};
use agora_app::webhooks::{WebhookDispatcher, WebhookFanOut, WebhookSettings, Webhooks};
use agora_domain::ports::{UnitOfWork, WebhookSender, WebhookStore};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Context, Module, Registry};
use crate::{
    config::{Config, ConfigError},
    supervisor::{ModuleTasks, StopSignal, Supervisor},
};

/// The supervised task that sends webhook messages.
const DISPATCH_TASK: &str = "webhook-dispatcher";

/// A list given as a TOML array or as one comma-separated string (environment variables).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum CommaList {
    /// `"a,b"`.
    One(String),
    /// `["a", "b"]`.
    Many(Vec<String>),
}

impl CommaList {
    fn items(&self) -> Vec<String> {
        match self {
            Self::One(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Self::Many(items) => items.iter().map(|s| s.trim().to_owned()).collect(),
        }
    }
}

/// `[webhooks]` (`AGORA_WEBHOOKS__*`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// CIDRs endpoints may reach although internal (e.g. `127.0.0.0/8` for a local receiver).
    pub allowed_networks: CommaList,
    /// Delays between attempts, e.g. `5s,5m,30m,2h,5h,10h`.
    pub retry_schedule: CommaList,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            allowed_networks: CommaList::Many(Vec::new()),
            retry_schedule: CommaList::One("5s,5m,30m,2h,5h,10h".into()),
        }
    }
}

impl WebhooksConfig {
    fn settings(&self) -> Result<WebhookSettings, ConfigError> {
        let invalid = |key: &str, expected: &str, got: &str| {
            ConfigError::Invalid(format!(
                "`webhooks.{key}` (AGORA_WEBHOOKS__{}) must be {expected}; got `{got}`",
                key.to_uppercase()
            ))
        };
        let allowed_networks = self
            .allowed_networks
            .items()
            .iter()
            .map(|net| {
                net.parse::<ipnet::IpNet>()
                    .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        invalid(
                            "allowed_networks",
                            "comma-separated CIDRs such as 127.0.0.0/8",
                            net,
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let retry_schedule = self
            .retry_schedule
            .items()
            .iter()
            .map(|delay| {
                humantime::parse_duration(delay).map_err(|_| {
                    invalid(
                        "retry_schedule",
                        "comma-separated durations such as 5s,5m,2h",
                        delay,
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(WebhookSettings {
            retry_schedule,
            allowed_networks,
        })
    }
}

/// The webhooks context: endpoints subscribed to events, signed deliveries with retries.
pub struct WebhooksContext;

impl Context for WebhooksContext {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn description(&self) -> &'static str {
        "webhook endpoints (Standard Webhooks), fan-out consumer, signed deliveries with retries"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["platform"]
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::webhooks::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::webhooks::api().into_openapi()
    }

    fn config_section(&self) -> Option<&'static str> {
        Some("webhooks")
    }

    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        config
            .section::<WebhooksConfig>("webhooks")?
            .settings()
            .map(drop)
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(WebhooksModule {
            settings: config.section::<WebhooksConfig>("webhooks")?.settings()?,
            poll: config.outbox_poll_interval,
            tasks: ModuleTasks::default(),
        }))
    }
}

struct WebhooksModule {
    settings: WebhookSettings,
    poll: Duration,
    tasks: ModuleTasks,
}

/// Sends due messages until told to stop; an idle round waits one poll interval.
async fn dispatch_loop(
    dispatcher: WebhookDispatcher,
    poll: Duration,
    mut stop: StopSignal,
) -> anyhow::Result<()> {
    loop {
        let sent = match dispatcher.dispatch_batch(20).await {
            Ok(sent) => sent,
            Err(error) => {
                tracing::warn!(%error, "webhook dispatch failed");
                0
            }
        };
        if sent > 0 {
            continue;
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            () = tokio::time::sleep(poll) => {}
        }
    }
}

#[async_trait]
impl Module for WebhooksModule {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let store = Arc::new(SqlWebhooks::new(db.clone())) as Arc<dyn WebhookStore>;
        let webhooks = Webhooks::new(
            store.clone(),
            Arc::new(db) as Arc<dyn UnitOfWork>,
            self.settings.clone(),
        );
        registry.routes(agora_http::webhooks::api().with_state(webhooks.clone()));
        registry.provide(webhooks);
        registry.on_event(WebhookFanOut::new(store.clone()));
        if registry.get::<super::Headless>().is_ok() {
            return Ok(());
        }
        let sender = Arc::new(HttpWebhookSender::new(
            self.settings.allowed_networks.clone(),
        )) as Arc<dyn WebhookSender>;
        let dispatcher =
            WebhookDispatcher::new(store, sender, self.settings.retry_schedule.clone());
        let supervisor: Supervisor = registry.get()?;
        let poll = self.poll;
        supervisor.spawn(DISPATCH_TASK, move |stop| {
            dispatch_loop(dispatcher.clone(), poll, stop)
        });
        self.tasks.started(supervisor, &[DISPATCH_TASK]);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        self.tasks.stop().await;
        Ok(())
    }
}
