//! The event backbone end to end, on each bus (in process, Redis Streams, NATS JetStream) and
//! both stores: events committed to the outbox reach a consumer exactly once in effect — also
//! when the relay publishes one twice — a failing consumer is retried, then dead-lettered, and
//! a replayed dead letter takes effect once (ADR 0019).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use agora::{
    bus::BusKind,
    config::{Config, Secret},
    modules::{Context, Module, Registry},
};
use agora_domain::{
    event::EventEnvelope,
    ports::{BusError, EventHandler, Outbox, OutboxMessage, Tx, UnitOfWork},
};
use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::support::{
    eventually, nats_url, redis_delete_prefix, redis_url, spawn_app_with, Backend, Spawn, TestApp,
};

/// What the probe consumer saw: effects per event (counted after their transaction commits) and
/// how often each event still has to fail before it succeeds.
#[derive(Default)]
pub struct ProbeState {
    pub effects: Mutex<HashMap<Uuid, u32>>,
    pub fail: Mutex<HashMap<Uuid, u32>>,
}

impl ProbeState {
    pub fn effects_of(&self, id: Uuid) -> u32 {
        self.effects.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u32 {
        self.effects.lock().unwrap().values().sum()
    }
}

/// A consumer of `probe.*` events contributed by a test context.
pub struct Probe(pub Arc<ProbeState>);

#[async_trait]
impl EventHandler for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn event_types(&self) -> &'static [&'static str] {
        &["probe.ping"]
    }
    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError> {
        if let Some(left) = self.0.fail.lock().unwrap().get_mut(&event.id) {
            if *left > 0 {
                *left -= 1;
                return Err(BusError(format!("probe told to fail ({left} more)")));
            }
        }
        let state = self.0.clone();
        let id = event.id;
        tx.after_commit(move || *state.effects.lock().unwrap().entry(id).or_default() += 1);
        Ok(())
    }
}

/// The test context that contributes [`Probe`].
pub struct ProbeContext(pub Arc<ProbeState>);

struct ProbeModule(Arc<ProbeState>);

impl Context for ProbeContext {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn description(&self) -> &'static str {
        "a test consumer"
    }
    fn module(&self, _: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(ProbeModule(self.0.clone())))
    }
}

#[async_trait]
impl Module for ProbeModule {
    fn name(&self) -> &'static str {
        "probe"
    }
    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        registry.on_event(Probe(self.0.clone()));
        Ok(())
    }
}

/// Which bus a test runs on; the shared ones get a prefix of the test's own, removed after.
#[derive(Clone)]
pub enum TestBus {
    Memory,
    Redis { url: String, prefix: String },
    Nats { url: String, prefix: String },
}

impl TestBus {
    pub async fn redis() -> Self {
        Self::Redis {
            url: redis_url().await,
            prefix: format!("test-events-{}:", Uuid::new_v4().simple()),
        }
    }
    pub async fn nats() -> Self {
        Self::Nats {
            url: nats_url().await,
            prefix: format!("t{}", Uuid::new_v4().simple()),
        }
    }
    pub fn configure(&self, config: &mut Config) {
        match self {
            Self::Memory => config.bus = Some(BusKind::Memory),
            Self::Redis { url, prefix } => {
                config.bus = Some(BusKind::Redis);
                config.redis_url = Some(Secret::new(url.clone()));
                config.redis_prefix = prefix.clone();
            }
            Self::Nats { url, prefix } => {
                config.bus = Some(BusKind::Nats);
                config.nats_url = Some(Secret::new(url.clone()));
                config.nats_prefix = prefix.clone();
            }
        }
        config.events.max_attempts = 4;
        config.events.retry_base = Duration::from_millis(5);
        config.events.retry_max = Duration::from_millis(20);
        config.events.redelivery_timeout = Duration::from_secs(1);
    }
    pub async fn clean_up(&self) {
        match self {
            Self::Memory => {}
            Self::Redis { url, prefix } => redis_delete_prefix(url, prefix).await,
            Self::Nats { url, prefix } => {
                let bus =
                    agora_adapters::bus::NatsBus::connect(url, prefix, Duration::from_secs(1))
                        .await
                        .expect("nats");
                bus.delete_streams(&["probe", "user", "order"]).await;
            }
        }
    }
}

/// An app with the probe consumer on `bus`.
pub async fn probe_app(backend: Backend, bus: &TestBus) -> (TestApp, Arc<ProbeState>) {
    let state = Arc::new(ProbeState::default());
    let context: &'static ProbeContext = Box::leak(Box::new(ProbeContext(state.clone())));
    let configured = bus.clone();
    let app = spawn_app_with(
        backend,
        Spawn {
            contexts: vec![context],
            configured_bus: !matches!(bus, TestBus::Memory),
            configure: Some(Box::new(move |config| configured.configure(config))),
            ..Spawn::default()
        },
    )
    .await;
    (app, state)
}

/// Commits `events` to the outbox in one transaction, as a use case would.
pub async fn commit_events(app: &TestApp, events: &[EventEnvelope]) {
    let outbox: Arc<dyn Outbox> = app.service();
    let mut tx = app.db.begin().await.unwrap();
    for event in events {
        outbox
            .enqueue(&mut tx, &OutboxMessage::Event(event.clone()))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

pub fn ping() -> EventEnvelope {
    EventEnvelope::new("probe.ping", Uuid::now_v7(), json!({}))
}

/// Each event takes effect once — also the ones the relay publishes twice (committed twice with
/// the same id, as a relay that crashed between publish and mark does).
async fn each_event_takes_effect_once(backend: Backend, bus: TestBus) {
    let (app, state) = probe_app(backend, &bus).await;
    let events: Vec<_> = (0..40).map(|_| ping()).collect();
    commit_events(&app, &events).await;
    commit_events(&app, &events[..10]).await;
    eventually(Duration::from_secs(20), || state.total() >= 40).await;
    app.drain_outbox().await;
    // Redeliveries are skipped by the inbox; give the duplicates time to arrive and be skipped.
    let marker = ping();
    commit_events(&app, std::slice::from_ref(&marker)).await;
    eventually(Duration::from_secs(20), || state.effects_of(marker.id) == 1).await;
    for event in &events {
        assert_eq!(state.effects_of(event.id), 1, "event {}", event.id);
    }
    assert_eq!(app.count("inbox").await, 41);
    bus.clean_up().await;
}

/// A consumer failing three times then succeeding takes effect once; one always failing is a
/// dead letter after `events.max_attempts` (4); its replay takes effect once; a second replay of
/// the same dead letter is 404.
async fn failures_retry_then_dead_letter_and_replay(backend: Backend, bus: TestBus) {
    let (app, state) = probe_app(backend, &bus).await;
    let (flaky, doomed) = (ping(), ping());
    state.fail.lock().unwrap().insert(flaky.id, 3);
    state.fail.lock().unwrap().insert(doomed.id, u32::MAX);
    commit_events(&app, &[flaky.clone(), doomed.clone()]).await;
    eventually(Duration::from_secs(20), || state.effects_of(flaky.id) == 1).await;

    let admin = app.admin_token().await;
    let mut dead = json!(null);
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while dead["data"].as_array().map(Vec::len) != Some(1) {
        assert!(std::time::Instant::now() < until, "no dead letter: {dead}");
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the consumer gives up
        dead = app
            .get_as(&admin, "/api/admin/events/dead")
            .await
            .json()
            .await
            .unwrap();
    }
    let letter = &dead["data"][0];
    assert_eq!(letter["consumer"], "probe");
    assert_eq!(letter["attempts"], 4);
    assert_eq!(letter["event"]["id"], doomed.id.to_string());
    assert!(letter["lastError"]
        .as_str()
        .unwrap()
        .contains("told to fail"));
    assert_eq!(state.effects_of(doomed.id), 0);

    // Fixed: the replay applies it once; the consumer that already applied others skips them.
    state.fail.lock().unwrap().remove(&doomed.id);
    let replay = format!(
        "/api/admin/events/dead/{}/replay",
        letter["id"].as_str().unwrap()
    );
    let answer = app.post(&replay, Some(&admin), &json!({})).await;
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    eventually(Duration::from_secs(20), || state.effects_of(doomed.id) == 1).await;
    let again = app.post(&replay, Some(&admin), &json!({})).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(state.effects_of(flaky.id), 1);
    let user = app.get("/api/admin/events/dead").await;
    assert_eq!(user.status(), StatusCode::UNAUTHORIZED);
    bus.clean_up().await;
}

macro_rules! on_every_bus {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn memory_sqlite() {
                super::$name(Backend::Sqlite, TestBus::Memory).await;
            }
            #[tokio::test]
            async fn memory_postgres() {
                super::$name(Backend::Postgres, TestBus::Memory).await;
            }
            #[tokio::test]
            async fn redis_sqlite() {
                super::$name(Backend::Sqlite, TestBus::redis().await).await;
            }
            #[tokio::test]
            async fn redis_postgres() {
                super::$name(Backend::Postgres, TestBus::redis().await).await;
            }
            #[tokio::test]
            async fn nats_sqlite() {
                super::$name(Backend::Sqlite, TestBus::nats().await).await;
            }
            #[tokio::test]
            async fn nats_postgres() {
                super::$name(Backend::Postgres, TestBus::nats().await).await;
            }
        }
    )+};
}

on_every_bus!(
    each_event_takes_effect_once,
    failures_retry_then_dead_letter_and_replay,
);
