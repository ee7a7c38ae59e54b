//! The `agora` binary as a library: configuration, telemetry, the module manager and the
//! composition root, so tests can start the real application on port 0.

pub mod bus;
pub mod cli;
pub mod commands;
pub mod config;
pub mod gateway;
pub mod modules;
pub mod supervisor;
pub mod telemetry;

use std::{future::Future, net::SocketAddr, sync::Arc};

use agora_adapters::memory::MemoryBus;
use agora_app::platform::IdempotentConsumer;
use agora_domain::ports::{ConsumerLedger, EventConsumer, EventHandler, Mailer, UnitOfWork};
use axum::Router;

use crate::{
    config::Config,
    modules::{
        Context, Contexts, DeliveryGate, HttpModule, HttpStopped, LocalAddr, MailerOverride,
        Module, ModuleManager, PreBound, Registry, StoreModule, GATEWAY, HTTP, STORE,
    },
    supervisor::Supervisor,
};

/// Adapters and routes the caller may substitute: tests inject recording fakes and extra routes.
#[derive(Default)]
pub struct Wiring {
    /// Outgoing mail transport; `None` chooses by configuration (SMTP or the embedded mailbox).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Event bus; `None` builds the one configuration names (`bus`, `AGORA_BUS`).
    pub bus: Option<MemoryBus>,
    /// Routes merged beside the modules' own.
    pub extra_routes: Vec<Router>,
    /// Bounded contexts beyond the binary's own (embedders and the contract test of the module
    /// contract itself); they join `all` after the built-in ones.
    pub contexts: Vec<&'static dyn Context>,
    /// A listener bound already, served instead of binding `config.bind`: callers that start
    /// several targets in one process bind them all first, so each knows the others' URLs.
    pub listener: Option<std::net::TcpListener>,
}

/// A started Agora process: the modules of one target, serving HTTP.
pub struct Application {
    manager: ModuleManager,
    registry: Registry,
    local_addr: SocketAddr,
}

/// The core's two modules by name, every other one from its context.
fn instantiate(
    config: &Config,
    contexts: &Contexts,
    target_modules: &[&'static str],
) -> anyhow::Result<Vec<Arc<dyn Module>>> {
    target_modules
        .iter()
        .map(|name| -> anyhow::Result<Arc<dyn Module>> {
            Ok(match *name {
                STORE => Arc::new(StoreModule::new(
                    config,
                    target_modules.to_vec(),
                    contexts.migrations_of(target_modules),
                )),
                HTTP => Arc::new(HttpModule::new(config)),
                GATEWAY => Arc::new(gateway::GatewayModule::new(config)?),
                other => contexts.get(other).module(config)?,
            })
        })
        .collect()
}

impl Application {
    /// Starts the modules of `target` in dependency order. On error nothing is left running.
    pub async fn start(config: &Config, target: &str, wiring: Wiring) -> anyhow::Result<Self> {
        let contexts = Contexts::builtin().with(wiring.contexts);
        let order = contexts.resolve(target)?;
        // Listen first: without an explicit `public_url`, mailed links name the address this
        // server really serves (port 0 and all).
        let (listener, bound) = match wiring.listener {
            Some(listener) => PreBound::adopt(listener)?,
            None => PreBound::bind(config.bind)?,
        };
        let served;
        let config = if config.public_url.is_some() {
            config
        } else {
            let mut with_url = config.clone();
            with_url.public_url = Some(crate::config::served_url(bound));
            served = with_url;
            &served
        };
        let mut manager = ModuleManager::new(instantiate(config, &contexts, &order)?);
        let mut registry = Registry::default();
        registry.provide(listener);
        let supervisor = Supervisor::new(config.shutdown_timeout);
        registry.provide(supervisor.with_checks(manager.readiness()));
        registry.provide(supervisor.clone());
        if let Some(mailer) = wiring.mailer {
            registry.provide(MailerOverride(mailer));
        }
        if let Some(bus) = wiring.bus {
            registry.provide(modules::BusOverride(bus));
        }
        // The relay delivers nothing until every context has contributed its event handlers.
        let (open_delivery, gate) = tokio::sync::watch::channel(false);
        registry.provide(DeliveryGate(gate));
        for router in wiring.extra_routes {
            registry.routes(router.into());
        }
        if let Err(error) = manager.start_all(&mut registry).await {
            supervisor.stop_all().await;
            return Err(error.into());
        }
        attach_consumers(config, &registry, &supervisor)?;
        let _ = open_delivery.send(true);
        let LocalAddr(local_addr) = registry.get()?;
        tracing::info!(target, modules = ?order, "agora started");
        Ok(Self {
            manager,
            registry,
            local_addr,
        })
    }

    /// Starts the modules of `target` without the HTTP server and without delivering the outbox
    /// (a running server's relay does that), for CLI commands that use the use cases directly.
    pub async fn start_headless(config: &Config, target: &str) -> anyhow::Result<Headless> {
        start_unbound(config, target, Unbound::Headless).await
    }

    /// Starts the modules of `target` for Lambda (`agora lambda`): everything `start` does but
    /// listening; the router is returned for the Lambda runtime to call. The relay and the
    /// consumers run while invocations do (Lambda freezes the process between them).
    pub async fn start_serverless(
        config: &Config,
        target: &str,
    ) -> anyhow::Result<(Headless, Router)> {
        let started = start_unbound(config, target, Unbound::Serverless).await?;
        let modules::AppRouter(router) = started.registry.get()?;
        tracing::info!(target, "agora started for Lambda");
        Ok((started, router))
    }

    /// The address the HTTP server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Services the modules published (the database, identity ports, …), for tests and commands.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Serves until `shutdown` resolves (or the server stops on its own), then stops every module
    /// in reverse order, draining in-flight requests first.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let HttpStopped(mut stopped) = self.registry.get()?;
        let crashed = tokio::select! {
            () = shutdown => false,
            _ = stopped.wait_for(|s| *s) => true,
        };
        if crashed {
            tracing::error!("HTTP server stopped unexpectedly; shutting down");
        } else {
            tracing::info!("shutdown requested");
        }
        self.manager.stop_all().await;
        // Modules stop their own tasks; this catches any a module left behind.
        if let Ok(supervisor) = self.registry.get::<Supervisor>() {
            supervisor.stop_all().await;
        }
        tracing::info!("agora stopped");
        if crashed {
            anyhow::bail!("HTTP server stopped unexpectedly");
        }
        Ok(())
    }
}

/// The two ways to run without a listener of one's own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unbound {
    /// A CLI command: no HTTP module, no outbox delivery.
    Headless,
    /// A Lambda function: the HTTP module builds the router without binding, and the relay and
    /// consumers run as in `start`.
    Serverless,
}

/// What [`Application::start_headless`] and [`Application::start_serverless`] share: the
/// modules of `target` started in dependency order; on error nothing is left running.
async fn start_unbound(config: &Config, target: &str, mode: Unbound) -> anyhow::Result<Headless> {
    let contexts = Contexts::builtin();
    let mut order = contexts.resolve(target)?;
    if mode == Unbound::Headless {
        order.retain(|name| *name != HTTP);
    }
    let mut manager = ModuleManager::new(instantiate(config, &contexts, &order)?);
    let mut registry = Registry::default();
    let supervisor = Supervisor::new(config.shutdown_timeout);
    registry.provide(supervisor.with_checks(manager.readiness()));
    registry.provide(supervisor.clone());
    let open_delivery = match mode {
        Unbound::Headless => {
            registry.provide(modules::Headless);
            None
        }
        Unbound::Serverless => {
            registry.provide(modules::Serverless);
            // As in `start`: nothing is delivered before every context contributed its handlers.
            let (open_delivery, gate) = tokio::sync::watch::channel(false);
            registry.provide(DeliveryGate(gate));
            Some(open_delivery)
        }
    };
    if let Err(error) = manager.start_all(&mut registry).await {
        supervisor.stop_all().await;
        return Err(error.into());
    }
    if let Some(open_delivery) = open_delivery {
        if let Err(error) = attach_consumers(config, &registry, &supervisor) {
            manager.stop_all().await;
            supervisor.stop_all().await;
            return Err(error);
        }
        let _ = open_delivery.send(true);
    }
    tracing::debug!(target, modules = ?order, "modules started without a listener");
    Ok(Headless { manager, registry })
}

/// Runs every event handler the contexts contributed as an idempotent consumer (inbox, retries,
/// dead letters) on the process's bus. A target without platform (no outbox, no bus) has none.
fn attach_consumers(
    config: &Config,
    registry: &Registry,
    supervisor: &Supervisor,
) -> anyhow::Result<()> {
    let Ok(bus) = registry.get::<bus::Bus>() else {
        return Ok(());
    };
    let ledger: Arc<dyn ConsumerLedger> = registry.get()?;
    let db: agora_adapters::store::Database = registry.get()?;
    let uow = Arc::new(db) as Arc<dyn UnitOfWork>;
    let handlers: Vec<Arc<dyn EventHandler>> = registry.get().unwrap_or_default();
    let consumers = handlers
        .into_iter()
        .map(|handler| {
            tracing::debug!(consumer = handler.name(), "event consumer registered");
            Arc::new(IdempotentConsumer::new(
                handler,
                ledger.clone(),
                uow.clone(),
                config.events.policy(),
            )) as Arc<dyn EventConsumer>
        })
        .collect();
    bus.attach(consumers, supervisor);
    Ok(())
}

/// Modules started for a CLI command.
pub struct Headless {
    manager: ModuleManager,
    registry: Registry,
}

impl Headless {
    /// Services the modules published.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Stops the modules in reverse order.
    pub async fn stop(mut self) {
        self.manager.stop_all().await;
        if let Ok(supervisor) = self.registry.get::<Supervisor>() {
            supervisor.stop_all().await;
        }
    }
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM (orchestrators) handlers *now* and returns a future
/// that resolves on either. Installing on the call, not on the first poll, matters: a server that
/// already answers `/ready` before its shutdown future is first polled would die of a SIGTERM
/// sent in that window, with the default disposition and no drain (CI caught exactly that). Call
/// it once, inside the Tokio runtime, before starting what it stops, and keep the future: a
/// handler created after a signal was delivered does not see it. (Off Unix, Ctrl-C is still
/// watched from the first poll: that is all Windows sends a console process.)
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            // Should the OS refuse one handler, the other signal still stops us.
            let wait = |installed: std::io::Result<tokio::signal::unix::Signal>| async move {
                match installed {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
