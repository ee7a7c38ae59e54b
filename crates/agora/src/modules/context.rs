//! The module contract: what a bounded context contributes to the binary, declared in one place
//! per context (ADR 0012). The core — router and OpenAPI assembly, `migrate`, `seed`, `targets`,
//! configuration checks, readiness, the test harness — loops over [`super::CONTEXTS`] and the
//! registry, and names no context.
//!
//! Two kinds of contribution:
//! - **static**, known without starting anything ([`Context`]): name, dependencies, whether it is
//!   a deployable target of its own, migrations (both dialects), its OpenAPI operations, its
//!   configuration section;
//! - **at start**, through the [`Registry`] when its [`Module`] starts: REST routes
//!   ([`Registry::routes`]), seed steps ([`Registry::seed`]), event handlers
//!   ([`Registry::on_event`]), background jobs (named, restarted tasks on the [`Supervisor`] it
//!   finds in the registry), metric gauges, the services and ports it publishes for other
//!   contexts, its health checks ([`Module::checks`]).
//!
//! [`Supervisor`]: crate::supervisor::Supervisor

use std::sync::Arc;

use agora_adapters::store::migrations::Migration;
use agora_domain::ports::EventHandler;
use agora_http::RestApi;
use async_trait::async_trait;

use super::{Module, Registry};
use crate::config::{Config, ConfigError};

/// A bounded context as the core sees it. Implemented by a unit struct in
/// `modules/<context>.rs` and listed once in [`super::CONTEXTS`].
pub trait Context: Send + Sync {
    /// Stable name used in `--target`, `agora targets`, `/ready`, logs and migration ids.
    fn name(&self) -> &'static str;

    /// One line for `agora targets`.
    fn description(&self) -> &'static str;

    /// Contexts that must be running first in the same process (the store always is).
    fn dependencies(&self) -> &'static [&'static str] {
        &[]
    }

    /// Its *remote stand-in*: a context that publishes this context's ports over HTTP from the
    /// service running it (ADR 0030). A split target (anything but `all`) that depends on this
    /// context without running it as its own root starts the stand-in instead.
    fn remote(&self) -> Option<&'static dyn Context> {
        None
    }

    /// Whether `agora serve --target <name>` runs this context as a service of its own.
    fn standalone(&self) -> bool {
        false
    }

    /// The context's schema changes, oldest first; only the contexts of a target migrate.
    fn migrations(&self) -> &'static [Migration] {
        &[]
    }

    /// The OpenAPI operations of its REST routes, for `agora openapi` (no state needed).
    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::openapi::Document::default()
    }

    /// Checks the context's configuration section (`[<name>]`, `AGORA_<NAME>__*`) at load time,
    /// so a bad value stops the process before anything starts.
    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        let _ = config;
        Ok(())
    }

    /// The configuration section this context reads, if any (unknown sections are rejected).
    fn config_section(&self) -> Option<&'static str> {
        None
    }

    /// The running part of the context for this configuration.
    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>>;
}

/// Demo data a context creates for `agora seed` / `serve --seed`. Steps must be idempotent: a
/// second run reports what exists and creates nothing.
#[async_trait]
pub trait SeedStep: Send + Sync {
    /// Heading of the step's report (e.g. `catalog`).
    fn name(&self) -> &'static str;

    /// Creates what is missing and describes the outcome, one line per item or summary.
    async fn run(&self) -> anyhow::Result<Vec<String>>;
}

impl Registry {
    /// Contributes REST routes (with their OpenAPI operations) to the HTTP server.
    pub fn routes(&mut self, api: RestApi) {
        self.append(api);
    }

    /// Contributes a seed step to `agora seed`.
    pub fn seed(&mut self, step: impl SeedStep + 'static) {
        self.append(Arc::new(step) as Arc<dyn SeedStep>);
    }

    /// Contributes an event handler: the core registers it with the bus once every module has
    /// started, before the relay delivers anything.
    pub fn on_event(&mut self, handler: impl EventHandler + 'static) {
        self.append(Arc::new(handler) as Arc<dyn EventHandler>);
    }
}

/// Opens (true) once every context's event handlers are registered; the outbox relay waits for
/// it, so no event is delivered before its handlers can see it.
#[derive(Clone)]
pub struct DeliveryGate(pub tokio::sync::watch::Receiver<bool>);

impl DeliveryGate {
    /// Resolves when delivery may start (never, if the process stops first).
    pub async fn opened(mut self) {
        let _ = self.0.wait_for(|open| *open).await;
    }
}
