//! The test harness: starts the real application on port 0 with a fresh database per test — a
//! temporary SQLite file, or a PostgreSQL database created for the test and dropped after — and
//! recording fakes for mail and the bus that tests can read.
//!
//! Write a contract test once as `async fn name(app: TestApp)` and run it on both backends and on
//! the split behind the gateway ([`crate::topology`]) with `both_backends!(name);`. PostgreSQL comes from `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! A test never passes without the service it needs: a missing PostgreSQL, Redis or SMTP sink is
//! a failure that says how to start it. Skipping is the runner's job, so it shows in its summary:
//! outside CI, `scripts/test` probes the services first and deselects the tests that need a
//! missing one by name (`postgres`, `redis`, `smtp` appear in every such test's path), and nextest
//! reports them as skipped. With `CI` set, nothing is deselected.

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use agora::{config::Config, Wiring};
use agora_adapters::{
    memory::MemoryBus,
    store::{Database, DbOptions},
};
use agora_domain::{mail::OutgoingMail, ports::Mailer};
use axum::Router;

use crate::topology::Node;

/// Which relational backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application and the handles a test needs: the monolith, or the split behind its
/// gateway ([`crate::topology`]); either way `addr` is the one public address.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// The recording bus every process of the topology publishes on and consumes from.
    pub bus: MemoryBus,
    /// The database of the process that runs identity and its mailbox: the monolith's only one,
    /// identity's on the split. Tables of another context: [`TestApp::db_of`].
    pub db: Database,
    /// The data directory of that process.
    pub data_dir: PathBuf,
    /// Every process, in start order (the gateway, if any, last).
    nodes: Vec<Node>,
}

impl TestApp {
    /// The handles of a started topology; `nodes` ends with the process serving the public port.
    pub fn from_nodes(nodes: Vec<Node>, bus: MemoryBus) -> Self {
        let owner = nodes
            .iter()
            .find(|n| n.target == "all" || n.target == "identity")
            .expect("a topology runs identity");
        Self {
            addr: nodes.last().expect("a process").addr,
            client: reqwest::Client::new(),
            bus,
            db: owner.db.clone().expect("identity has a database"),
            data_dir: owner
                .store
                .as_ref()
                .expect("owns its store")
                .data_dir
                .clone(),
            nodes,
        }
    }

    /// A service a module of the running app published, e.g. `app.service::<Identity>()` to
    /// create fixtures through a use case instead of HTTP. On the split: the first service (in
    /// start order, identity first) that published one.
    pub fn service<T: std::any::Any + Send + Sync + Clone>(&self) -> T {
        let mut first_error = None;
        for node in &self.nodes {
            match node.registry.get() {
                Ok(found) => return found,
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        panic!("{:#}", first_error.expect("a process"))
    }

    /// The database holding `service`'s tables (`identity`, `catalog`, `orders`, `content`,
    /// `worker`): on the monolith, its one database.
    pub fn db_of(&self, service: &str) -> Database {
        self.nodes
            .iter()
            .find(|n| n.target == "all" || n.target == service)
            .and_then(|n| n.db.clone())
            .unwrap_or_else(|| panic!("no process runs {service} with a database"))
    }

    /// Every database of the topology (one on the monolith, one per service on the split).
    pub fn databases(&self) -> Vec<Database> {
        self.nodes.iter().filter_map(|n| n.db.clone()).collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// This app's deployment, for `Spawn { join: Some(…) }` (a monolith's).
    pub fn deployment(&self) -> Deployment {
        let node = self.nodes.first().expect("a process");
        assert_eq!(node.target, "all", "only a monolith is joined by a replica");
        Deployment {
            database_url: node.store.as_ref().expect("owns its store").url.clone(),
            data_dir: self.data_dir.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    /// Asks every process to shut down as SIGTERM would (the public one first) and returns the
    /// first error of a `run_until`.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let mut outcome = Ok(());
        for node in self.nodes.iter_mut().rev() {
            let stopped = node.stop().await;
            if outcome.is_ok() {
                outcome = stopped;
            }
        }
        outcome
    }
}

/// Adjusts the test configuration before start.
pub type Configure = Box<dyn FnOnce(&mut Config) + Send>;

/// Options for [`spawn_app_with`].
#[derive(Default)]
pub struct Spawn {
    pub extra_routes: Vec<Router>,
    pub configure: Option<Configure>,
    /// Replaces the mail transport (default: the embedded mailbox, read with `app.mails_to`).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Join a running app's deployment instead of getting a fresh database: a second replica.
    pub join: Option<Deployment>,
    /// Bounded contexts beyond the binary's own.
    pub contexts: Vec<&'static dyn agora::modules::Context>,
    /// Use the bus the configuration names (`bus`, set by `configure`) instead of a recording
    /// in-process one.
    pub configured_bus: bool,
}

/// What a second app needs to run as another replica of an app: its database (which holds the
/// signing keys) and its data directory. The first app owns both and must outlive the second.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub database_url: String,
    pub data_dir: PathBuf,
}

/// Starts the app on `backend` with a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Spawn::default()).await
}

pub async fn spawn_app_with(backend: Backend, spawn: Spawn) -> TestApp {
    let store = match spawn.join {
        Some(deployment) => TestStore::joining(deployment),
        None => TestStore::create(backend).await,
    };
    let mut config = test_config(&store);
    if let Some(configure) = spawn.configure {
        configure(&mut config);
    }
    let bus = MemoryBus::recording();
    let wiring = Wiring {
        mailer: spawn.mailer,
        bus: (!spawn.configured_bus).then(|| bus.clone()),
        extra_routes: spawn.extra_routes,
        contexts: spawn.contexts,
        listener: None,
    };
    let node = Node::start("all", &config, wiring)
        .await
        .expect("application failed to start")
        .owning(store);
    TestApp::from_nodes(vec![node], bus)
}

/// A configuration for tests: port 0, the test's own database, cheap password hashing.
pub fn test_config(store: &TestStore) -> Config {
    let mut config = Config::default();
    config.bind = "127.0.0.1:0".parse().expect("valid address");
    config.data_dir = store.data_dir.clone();
    config.database_url = Some(agora::config::Secret::new(store.url.clone()));
    config.password_hash.memory_kib = 64;
    config.password_hash.iterations = 1;
    config.shutdown_timeout = Duration::from_secs(5);
    config.outbox_poll_interval = Duration::from_millis(20);
    // The embedded web app depends on whether `web/dist` existed at compile time; tests pin the
    // state they specify (no build here; `web.rs` points at a build of its own).
    config.web_dir = Some(store.data_dir.join("no-web-build"));
    // Every request of a test comes from 127.0.0.1 and a few fixture users: generous limits keep
    // the limiter in the path without throttling tests; rate-limit tests set their own.
    let generous = "100000/1m".parse().expect("quota");
    config.rate_limit.anonymous = generous;
    config.rate_limit.free = generous;
    config.rate_limit.pro = generous;
    config.rate_limit.enterprise = generous;
    config.rate_limit.auth_failures = generous;
    config
}

/// Runs a contract test body against a freshly started app, then shuts it down.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    body(spawn_app(backend).await).await;
}

/// Runs a contract test body against the split topology behind its gateway, every service on a
/// SQLite file of its own (ADR 0036: the backends are covered by the monolith's two arms).
pub async fn run_micro<F, Fut>(body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    body(crate::topology::spawn_micro(Backend::Sqlite).await).await;
}

/// Generates `mod name { sqlite, postgres, micro }` from one `async fn name(app: TestApp)`: the
/// monolith on both backends, and the split services behind the gateway (ADR 0036). A test whose
/// subject exists only in the monolith says why instead of running on the split:
/// `both_backends!(name; mono_only = "why")` (the exclusions are listed in ADR 0036).
#[macro_export]
macro_rules! both_backends {
    ($($name:ident $(; mono_only = $why:literal)?),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $crate::support::run($crate::support::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test]
            async fn postgres() {
                $crate::support::run($crate::support::Backend::Postgres, super::$name).await;
            }
            $crate::both_backends!(@micro $name $(; $why)?);
        }
    )+};
    (@micro $name:ident) => {
        #[tokio::test]
        async fn micro() {
            $crate::support::run_micro(super::$name).await;
        }
    };
    (@micro $name:ident; $why:literal) => {
        /// Why this test runs on the monolith only.
        #[allow(dead_code)]
        const MONO_ONLY: &str = $why;
    };
}

/// A database that exists for one test only.
pub struct TestStore {
    pub url: String,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

/// Whether `CI` is set the way common tools read it: any non-empty value but `false` or `0`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        !(v.is_empty() || v == "false" || v == "0")
    })
}

/// Fails the test because `service` is missing: never a silent pass. Outside CI, `scripts/test`
/// deselects such tests up front when it finds the service down, so they show as skipped.
pub fn service_missing(service: &str, why: impl std::fmt::Display, fix: &str) -> ! {
    let ci = if in_ci() { "CI is set and " } else { "" };
    panic!(
        "{ci}{service} is unavailable ({why}). Start it ({fix}), or run `scripts/test`, which \
         reports tests needing a missing service as skipped."
    )
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestStore {
    /// Another app's store, used but neither created nor dropped.
    fn joining(deployment: Deployment) -> Self {
        Self {
            url: deployment.database_url,
            data_dir: deployment.data_dir,
            _dir: tempfile::tempdir().expect("temp dir"),
            postgres: None,
        }
    }

    /// Creates the database (a failure when PostgreSQL is down).
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", data_dir.join("agora.db").display());
                Self {
                    url,
                    data_dir,
                    _dir: dir,
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("agora_test_{}", uuid::Uuid::new_v4().simple());
                if let Err(error) = admin_execute(&admin, &format!("CREATE DATABASE {name}")).await
                {
                    service_missing(
                        "PostgreSQL",
                        format!("{admin}: {error}"),
                        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
                    );
                }
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                Self {
                    url,
                    data_dir,
                    _dir: dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }
}

async fn admin_execute(admin: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::{Connection, Executor};
    let mut conn = tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(admin))
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    conn.execute(sql).await?;
    conn.close().await
}

impl Drop for TestStore {
    /// Drops the per-test database even when the test panicked. Drop cannot be async, so this runs
    /// on a short-lived runtime of its own thread.
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        let result = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(admin_execute(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ))
                .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(result, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database: {result:?}");
        }
    }
}

/// A standalone store (no HTTP) for adapter-level contract tests.
pub async fn connect_store(backend: Backend) -> (TestStore, Database) {
    let store = TestStore::create(backend).await;
    let db = Database::connect(&store.url, &DbOptions::default())
        .await
        .expect("connect");
    (store, db)
}

/// Runs an adapter-level contract body against a fresh database.
pub async fn run_store<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Database) -> Fut,
    Fut: Future<Output = ()>,
{
    let (_store, db) = connect_store(backend).await;
    {
        body(db.clone()).await;
        db.close().await;
    }
}

/// Like [`both_backends!`] for bodies of type `async fn name(db: Database)`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $crate::support::run_store($crate::support::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test]
            async fn postgres() {
                $crate::support::run_store($crate::support::Backend::Postgres, super::$name).await;
            }
        }
    )+};
}

/// Polls `condition` until it holds or `deadline` passes (then panics). Tests never sleep for a
/// fixed time to wait for background work.
pub async fn eventually(deadline: Duration, mut condition: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + deadline;
    while !condition() {
        assert!(
            std::time::Instant::now() < until,
            "condition not met within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await; // poll: the condition
    }
}

/// The token in a mailed link `…?token=XYZ`.
pub fn token_from(mail: &OutgoingMail) -> String {
    let start = mail.text.find("token=").expect("mail has a token link") + "token=".len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .expect("token")
        .to_owned()
}

/// The Redis used by tests (`TEST_REDIS_URL`, default `redis://127.0.0.1:6379`); a failure when
/// it is down. Tests that call this have `redis` in their name.
pub async fn redis_url() -> String {
    let url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    if let Err(error) = agora::modules::connect_redis(&url).await {
        service_missing("Redis", error, "scripts/services.sh starts it");
    }
    url
}

/// Keys under a test's prefix.
pub async fn redis_keys(url: &str, prefix: &str) -> Vec<String> {
    let mut conn = agora::modules::connect_redis(url).await.expect("redis");
    redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS")
}

/// Removes a test's keys.
pub async fn redis_delete_prefix(url: &str, prefix: &str) {
    let keys = redis_keys(url, prefix).await;
    if !keys.is_empty() {
        let mut conn = agora::modules::connect_redis(url).await.expect("redis");
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}

/// The NATS (with JetStream) used by tests (`TEST_NATS_URL`, default `nats://127.0.0.1:4222`); a
/// failure when it is down. Tests that call this have `nats` in their name.
pub async fn nats_url() -> String {
    let url = std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    let address = url.trim_start_matches("nats://").to_owned();
    let reachable = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(address),
    )
    .await;
    match reachable {
        Ok(Ok(_)) => url,
        Ok(Err(error)) => service_missing("NATS", error, "nats-server -js; scripts/services.sh"),
        Err(_) => service_missing("NATS", "no answer in 2 s", "nats-server -js"),
    }
}

/// A private Redis server this test can stop (drop it) and start again on the same port; it
/// keeps nothing on disk, so a restart loses every key, as a Redis without persistence does.
pub struct PrivateRedis {
    child: std::process::Child,
    port: u16,
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PrivateRedis {
    /// Starts `redis-server` on `port` and waits until it answers.
    pub async fn start_on(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => service_missing(
                "redis-server",
                error,
                "apt-get install redis-server; scripts/services.sh",
            ),
        };
        let redis = Self { child, port };
        let url = redis.url();
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while agora::modules::connect_redis(&url).await.is_err() {
            assert!(
                std::time::Instant::now() < until,
                "private redis did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await; // poll: until the private Redis answers
        }
        redis
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

/// A Redis server of the test's own (to kill and restart); tests using it have `redis` in their
/// name.
pub async fn private_redis() -> (PrivateRedis, String) {
    let redis = PrivateRedis::start_on(crate::cli::free_port()).await;
    let url = redis.url();
    (redis, url)
}
