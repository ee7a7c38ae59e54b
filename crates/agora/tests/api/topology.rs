//! The topologies a contract test runs on (ADR 0036): the monolith (one process, target `all`),
//! or the split — every service target of `agora dev --topology micro` (ADR 0033) and the gateway
//! in front, each started with `Application::start` in the test process on a database of its
//! own, calling each other over real HTTP with the shared service secret.
//!
//! Only the process boundary is gone, which keeps the in-process handles working: one recording
//! [`MemoryBus`] stands in for NATS between the services, [`TestApp::service`] finds a use case
//! in whichever service published it, and [`TestApp::db_of`] names the owning service's database.

use std::net::{SocketAddr, TcpListener};

use agora::{config::Config, modules::Registry, Application, Wiring};
use agora_adapters::{memory::MemoryBus, store::Database};
use tokio::{sync::oneshot, task::JoinHandle};

use crate::support::{test_config, Backend, TestApp, TestStore};

/// One running process of a topology: the monolith, a split service, or the gateway. Dropping
/// it stops it.
pub struct Node {
    /// The target it runs (`all`, `identity`, …, `gateway`).
    pub target: &'static str,
    pub addr: SocketAddr,
    /// What its modules published.
    pub registry: Registry,
    /// Its database; `None` for the gateway, which opens none.
    pub db: Option<Database>,
    /// The store it owns (dropped with it), unless the caller keeps it.
    pub store: Option<TestStore>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Node {
    /// Starts `target` with `config` and `wiring`, serving until [`Node::stop`] or drop.
    pub async fn start(
        target: &'static str,
        config: &Config,
        wiring: Wiring,
    ) -> anyhow::Result<Self> {
        let app = Application::start(config, target, wiring).await?;
        let registry = app.registry().clone();
        let (shutdown, rx) = oneshot::channel();
        let addr = app.local_addr();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Ok(Self {
            target,
            addr,
            db: registry.get().ok(),
            registry,
            store: None,
            shutdown: Some(shutdown),
            server: Some(server),
        })
    }

    /// The same node, owning `store` (dropped after it).
    pub fn owning(mut self, store: TestStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Asks it to stop as SIGTERM would and returns how `run_until` ended.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The service targets `agora dev --topology micro` runs, identity first.
fn service_targets() -> Vec<&'static str> {
    let mut targets = agora::commands::service_targets();
    targets.sort_by_key(|target| *target != "identity");
    targets
}

/// What every split service shares, as `agora dev` hands it to its children: the service URLs,
/// the public (gateway) URL for mailed links, the signing secret, and trust in the gateway's
/// `X-Forwarded-For` (every request reaches a service from loopback).
fn split_config(store: &TestStore, urls: &[(&str, String)], public: &str) -> Config {
    let mut config = test_config(store);
    config.public_url = Some(public.to_owned());
    config.services.secret = Some(agora::config::Secret::new(
        "the-contract-suite-split-shares-this".to_owned(),
    ));
    config.rate_limit.trusted_proxies = vec!["127.0.0.1/32".into(), "::1/128".into()];
    for (target, url) in urls {
        match *target {
            "identity" => config.identity_url = Some(url.clone()),
            "catalog" => config.catalog_url = Some(url.clone()),
            _ => {}
        }
        // `AGORA_<SERVICE>_URL`: how the gateway (and any caller) finds each service.
        config.set_section(&format!("{target}_url"), url);
    }
    config
}

fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("a loopback port")
}

/// The split on `backend` behind its gateway: every listener is bound first, so each service
/// knows the others' URLs; identity starts first (the others load its JWKS as they start), the
/// rest together, the gateway last.
pub async fn spawn_micro(backend: Backend) -> TestApp {
    let bus = MemoryBus::recording();
    let targets = service_targets();
    let listeners: Vec<TcpListener> = targets.iter().map(|_| bind()).collect();
    let gateway = bind();
    let url = |l: &TcpListener| agora::config::served_url(l.local_addr().expect("bound"));
    let urls: Vec<(&str, String)> = targets
        .iter()
        .zip(&listeners)
        .map(|(target, listener)| (*target, url(listener)))
        .collect();
    let public = url(&gateway);
    let mut nodes = Vec::new();
    let mut starting = Vec::new();
    for (target, listener) in targets.into_iter().zip(listeners) {
        let store = TestStore::create(backend).await;
        let config = split_config(&store, &urls, &public);
        let wiring = Wiring {
            bus: Some(bus.clone()),
            listener: Some(listener),
            ..Wiring::default()
        };
        let start = tokio::spawn(async move {
            Node::start(target, &config, wiring)
                .await
                .unwrap_or_else(|e| panic!("split service {target} failed to start: {e:#}"))
                .owning(store)
        });
        // Identity first, alone: the others load its JWKS while they start.
        if target == "identity" {
            nodes.push(start.await.expect("identity starts"));
        } else {
            starting.push(start);
        }
    }
    for start in starting {
        nodes.push(start.await.expect("a split service starts"));
    }
    let store = TestStore::create(Backend::Sqlite).await;
    let config = split_config(&store, &urls, &public);
    let wiring = Wiring {
        listener: Some(gateway),
        ..Wiring::default()
    };
    let gateway = Node::start(agora::modules::GATEWAY, &config, wiring)
        .await
        .unwrap_or_else(|e| panic!("the gateway failed to start: {e:#}"))
        .owning(store);
    nodes.push(gateway);
    TestApp::from_nodes(nodes, bus)
}

/// Every test excluded from the split (`mono_only = "…"`) is listed in ADR 0036 with its file
/// (`file::test`, or `file::*` for a whole file), so the exclusions stay a reviewed list.
#[test]
fn every_mono_only_exclusion_is_listed_in_the_adr() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let adr =
        std::fs::read_to_string(root.join("../../docs/adr/0036-contract-suite-on-the-split.md"))
            .expect("ADR 0036");
    let declaration = regex::Regex::new(r#"(\w+);\s*mono_only\s*=\s*"([^"]+)""#).unwrap();
    let mut excluded = 0;
    for entry in std::fs::read_dir(root.join("tests/api")).expect("tests/api") {
        let path = entry.expect("entry").path();
        let file = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).expect("test source");
        for found in declaration.captures_iter(&source) {
            let (name, why) = (&found[1], &found[2]);
            if name == "name" {
                continue; // the macro's own documentation
            }
            excluded += 1;
            assert!(!why.trim().is_empty(), "{file}::{name}: give a reason");
            let listed =
                adr.contains(&format!("`{file}::{name}`")) || adr.contains(&format!("`{file}::*`"));
            assert!(
                listed,
                "{file}::{name} is mono_only but not listed in ADR 0036"
            );
        }
    }
    assert!(excluded > 0, "the declarations were found");
}
