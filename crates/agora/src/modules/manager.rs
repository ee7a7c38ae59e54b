use std::sync::Arc;

use agora_http::{Check, ReadinessProbe};
use async_trait::async_trait;

use super::{Module, Registry};

/// A module failed to start; modules started before it have been stopped again.
#[derive(Debug, thiserror::Error)]
#[error("module `{module}` failed to start")]
pub struct StartError {
    /// The module that failed.
    pub module: &'static str,
    /// Why.
    #[source]
    pub source: anyhow::Error,
}

/// Starts modules in the given (dependency) order and stops them in reverse.
pub struct ModuleManager {
    modules: Vec<Arc<dyn Module>>,
    started: usize,
}

impl ModuleManager {
    /// A manager for modules already sorted in start order.
    pub fn new(modules: Vec<Arc<dyn Module>>) -> Self {
        Self {
            modules,
            started: 0,
        }
    }

    /// A probe over every module, for `/ready`.
    pub fn readiness(&self) -> Arc<dyn ReadinessProbe> {
        Arc::new(Probe(self.modules.clone()))
    }

    /// Starts each module in order. On failure, stops the ones already running (reverse order)
    /// so nothing keeps running behind an error.
    pub async fn start_all(&mut self, registry: &mut Registry) -> Result<(), StartError> {
        for module in &self.modules {
            tracing::debug!(module = module.name(), "starting module");
            if let Err(source) = module.start(registry).await {
                let module = module.name();
                self.stop_all().await;
                return Err(StartError { module, source });
            }
            self.started += 1;
        }
        Ok(())
    }

    /// Stops the started modules in reverse order; a failing stop is logged and the rest still
    /// stop.
    pub async fn stop_all(&mut self) {
        while self.started > 0 {
            self.started -= 1;
            let module = &self.modules[self.started];
            tracing::debug!(module = module.name(), "stopping module");
            if let Err(error) = module.stop().await {
                tracing::warn!(
                    module = module.name(),
                    error = format!("{error:#}"),
                    "module did not stop cleanly"
                );
            }
        }
    }
}

struct Probe(Vec<Arc<dyn Module>>);

#[async_trait]
impl ReadinessProbe for Probe {
    async fn checks(&self) -> Vec<Check> {
        let mut checks = Vec::new();
        for module in &self.0 {
            checks.extend(module.checks().await);
        }
        checks
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    struct Recorder {
        name: &'static str,
        fail: bool,
        log: Arc<Mutex<Vec<String>>>,
    }

    #[async_trait]
    impl Module for Recorder {
        fn name(&self) -> &'static str {
            self.name
        }
        async fn start(&self, _: &mut Registry) -> anyhow::Result<()> {
            self.log
                .lock()
                .unwrap()
                .push(format!("start {}", self.name));
            if self.fail {
                anyhow::bail!("boom");
            }
            Ok(())
        }
        async fn stop(&self) -> anyhow::Result<()> {
            self.log.lock().unwrap().push(format!("stop {}", self.name));
            Ok(())
        }
    }

    fn manager(names: &[(&'static str, bool)], log: &Arc<Mutex<Vec<String>>>) -> ModuleManager {
        ModuleManager::new(
            names
                .iter()
                .map(|(name, fail)| {
                    Arc::new(Recorder {
                        name,
                        fail: *fail,
                        log: log.clone(),
                    }) as Arc<dyn Module>
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn modules_stop_in_reverse_start_order() {
        let log = Arc::default();
        let mut manager = manager(&[("a", false), ("b", false), ("c", false)], &log);
        manager.start_all(&mut Registry::default()).await.unwrap();
        manager.stop_all().await;
        assert_eq!(
            *log.lock().unwrap(),
            ["start a", "start b", "start c", "stop c", "stop b", "stop a"]
        );
    }

    #[tokio::test]
    async fn a_failed_start_stops_what_already_runs() {
        let log = Arc::default();
        let mut manager = manager(&[("a", false), ("b", true), ("c", false)], &log);
        let error = manager
            .start_all(&mut Registry::default())
            .await
            .unwrap_err();
        assert_eq!(error.module, "b");
        assert_eq!(*log.lock().unwrap(), ["start a", "start b", "stop a"]);
    }
}
