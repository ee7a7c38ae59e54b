use std::sync::Arc;

use super::{Context, Module};
use crate::config::Config;

/// `--target worker`: the outbox relay and the event consumers, without the public API of the
/// contexts that produce the events. A context whose consumers belong in the worker is one of
/// its dependencies; several workers share each consumer's load through the bus's consumer
/// groups / durable consumers, and the inbox keeps effects single (ADR 0019).
pub struct WorkerContext;

impl Context for WorkerContext {
    fn name(&self) -> &'static str {
        "worker"
    }

    fn description(&self) -> &'static str {
        "the event worker: outbox relay and event consumers (health, readiness, metrics, admin \
         event endpoints over HTTP)"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["platform", "analytics", "webhooks"]
    }

    fn standalone(&self) -> bool {
        true
    }

    fn module(&self, _: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(WorkerModule))
    }
}

/// Everything the worker runs comes from its dependencies; this module only names the target in
/// `/ready` and the start log.
struct WorkerModule;

#[async_trait::async_trait]
impl Module for WorkerModule {
    fn name(&self) -> &'static str {
        "worker"
    }

    async fn start(&self, _: &mut super::Registry) -> anyhow::Result<()> {
        Ok(())
    }
}
