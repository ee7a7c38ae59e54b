//! Named background tasks under supervision: restarted with backoff when they fail or panic,
//! stopped in order within a deadline, and visible in `/ready` (`task:<name>`).
//!
//! Before it, each module spawned its loops with `tokio::spawn` and a stop channel of its own; a
//! panic ended the loop silently (the outbox stopped relaying and nothing said so).

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora_http::{Check, CheckStatus, ReadinessProbe};
use async_trait::async_trait;
use tokio::{
    sync::watch,
    task::{AbortHandle, JoinHandle},
};

/// Turns true when the task must stop; a task returns soon after (finishing the unit of work
/// in hand).
pub type StopSignal = watch::Receiver<bool>;

/// First and largest pause before a failed task is restarted.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(30));
/// A run that lasted this long counts as healthy: the next failure restarts quickly again.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// What a supervised task is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// Running normally.
    Running,
    /// Failed (an error, a panic, or an unexpected return) and waiting to be restarted.
    Restarting {
        /// Consecutive failures.
        failures: u32,
        /// The last failure.
        last_error: String,
    },
    /// Stopped on request.
    Stopped,
}

struct Supervised {
    name: &'static str,
    stop: watch::Sender<bool>,
    state: Mutex<TaskState>,
    runner: Mutex<Option<JoinHandle<()>>>,
    /// The current run, aborted when it ignores the stop signal past the deadline.
    current: Mutex<Option<AbortHandle>>,
}

impl Supervised {
    fn set(&self, state: TaskState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
    }
}

/// Runs and stops the process's background tasks. Cheap to clone; clones share the tasks.
#[derive(Clone)]
pub struct Supervisor {
    tasks: Arc<Mutex<Vec<Arc<Supervised>>>>,
    deadline: Duration,
}

impl Supervisor {
    /// A supervisor that gives each task `deadline` to stop before aborting it.
    pub fn new(deadline: Duration) -> Self {
        Self {
            tasks: Arc::default(),
            deadline,
        }
    }

    /// Starts `task` under `name`: `task(stop)` is called for the first run and after every
    /// failure (with backoff: 100 ms doubling to 30 s, reset after a run of a minute).
    pub fn spawn<F, Fut>(&self, name: &'static str, task: F)
    where
        F: Fn(StopSignal) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stop_rx) = watch::channel(false);
        let supervised = Arc::new(Supervised {
            name,
            stop,
            state: Mutex::new(TaskState::Running),
            runner: Mutex::new(None),
            current: Mutex::new(None),
        });
        let runner = tokio::spawn(supervise(supervised.clone(), task, stop_rx));
        *supervised.runner.lock().unwrap_or_else(|p| p.into_inner()) = Some(runner);
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(supervised);
    }

    /// Starts a periodic batch job under `name`: every `every`, `batch(limit)` runs again and
    /// again while it handles a full batch (a backlog drains at once, not one batch per
    /// period); a failure is logged with `what` and waits for the next period.
    pub fn spawn_batches<F, Fut, E>(
        &self,
        name: &'static str,
        every: Duration,
        limit: u32,
        what: &'static str,
        batch: F,
    ) where
        F: Fn(u32) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<usize, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        self.spawn(name, move |mut stop| {
            let batch = batch.clone();
            async move {
                loop {
                    loop {
                        match batch(limit).await {
                            Ok(done) if done < limit as usize => break,
                            Ok(_) => {}
                            Err(error) => {
                                tracing::warn!(%error, "{what}");
                                break;
                            }
                        }
                    }
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => return Ok(()),
                        () = tokio::time::sleep(every) => {}
                    }
                }
            }
        });
    }

    /// The state of task `name`, if it was spawned.
    pub fn state(&self, name: &str) -> Option<TaskState> {
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.state.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Stops task `name` (if running): signals it, waits up to the deadline, then aborts it.
    pub async fn stop(&self, name: &str) {
        let task = {
            let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
            tasks.iter().find(|t| t.name == name).cloned()
        };
        if let Some(task) = task {
            self.stop_one(&task).await;
        }
    }

    /// Stops every task, the most recently spawned first (the reverse of start order, like
    /// modules: a task may rely on one started before it).
    pub async fn stop_all(&self) {
        let tasks: Vec<_> = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for task in tasks.iter().rev() {
            self.stop_one(task).await;
        }
    }

    async fn stop_one(&self, task: &Supervised) {
        let _ = task.stop.send(true);
        let runner = task.runner.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(mut runner) = runner else {
            return; // already stopped
        };
        if tokio::time::timeout(self.deadline, &mut runner)
            .await
            .is_err()
        {
            tracing::warn!(task = task.name, deadline = ?self.deadline, "task did not stop in time; aborted");
            if let Some(current) = task
                .current
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
            {
                current.abort();
            }
            runner.abort();
        }
        task.set(TaskState::Stopped);
    }

    /// One readiness check per task: up while running, down while restarting after a failure.
    pub fn checks(&self) -> Vec<Check> {
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks
            .iter()
            .map(|task| {
                let state = task.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let (status, reason) = match state {
                    TaskState::Running => (CheckStatus::Up, None),
                    TaskState::Restarting {
                        failures,
                        last_error,
                    } => (
                        CheckStatus::Down,
                        Some(format!(
                            "restarting after {failures} failure(s): {last_error}"
                        )),
                    ),
                    TaskState::Stopped => (CheckStatus::Down, Some("stopped".to_owned())),
                };
                Check {
                    name: format!("task:{}", task.name),
                    status,
                    latency_ms: None,
                    reason,
                }
            })
            .collect()
    }

    /// `probe`'s checks followed by this supervisor's.
    pub fn with_checks(&self, probe: Arc<dyn ReadinessProbe>) -> Arc<dyn ReadinessProbe> {
        Arc::new(WithTasks(probe, self.clone()))
    }
}

struct WithTasks(Arc<dyn ReadinessProbe>, Supervisor);

#[async_trait]
impl ReadinessProbe for WithTasks {
    async fn checks(&self) -> Vec<Check> {
        let mut checks = self.0.checks().await;
        checks.extend(self.1.checks());
        checks
    }
}

async fn supervise<F, Fut>(task: Arc<Supervised>, make: F, mut stop: StopSignal)
where
    F: Fn(StopSignal) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut backoff = BACKOFF.0;
    let mut failures = 0;
    loop {
        task.set(TaskState::Running);
        let started = Instant::now();
        // A run of its own, so a panic ends the run, not the supervisor.
        let run = tokio::spawn(make(stop.clone()));
        *task.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(run.abort_handle());
        let outcome = run.await;
        if *stop.borrow() {
            return;
        }
        let error = match outcome {
            Ok(Ok(())) => "returned without being asked to stop".to_owned(),
            Ok(Err(error)) => format!("{error:#}"),
            Err(join) if join.is_panic() => format!("panicked: {}", panic_message(join)),
            Err(_) => "cancelled".to_owned(),
        };
        if started.elapsed() >= HEALTHY_RUN {
            backoff = BACKOFF.0;
            failures = 0;
        }
        failures += 1;
        tracing::error!(task = task.name, failures, %error, retry_in = ?backoff, "background task failed; restarting");
        task.set(TaskState::Restarting {
            failures,
            last_error: error,
        });
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF.1);
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    let payload = join.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}

/// The tasks one module runs on the process's supervisor, stopped when the module stops: what
/// every module with background work keeps, instead of its own `Mutex<Option<Supervisor>>`.
#[derive(Default)]
pub struct ModuleTasks(Mutex<Option<(Supervisor, &'static [&'static str])>>);

impl ModuleTasks {
    /// Remembers that the module's `tasks` (spawned, or not spawned in this configuration: a
    /// name that never ran is skipped) run on `supervisor`.
    pub fn started(&self, supervisor: Supervisor, tasks: &'static [&'static str]) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((supervisor, tasks));
    }

    /// Stops them, in the order given; a second call (or one before `started`) does nothing.
    pub async fn stop(&self) {
        let held = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((supervisor, tasks)) = held {
            for task in tasks {
                supervisor.stop(task).await;
            }
        }
    }
}

#[cfg(test)]
mod tests;
