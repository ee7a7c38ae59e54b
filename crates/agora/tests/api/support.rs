//! The test harness: starts the real application on port 0 with a fresh database per test — a
//! temporary SQLite file, or a PostgreSQL database created for the test and dropped after — and
//! recording fakes for mail and the bus that tests can read.
//!
//! Write a contract test once as `async fn name(app: TestApp)` and run it on both backends with
//! `both_backends!(name);`. PostgreSQL comes from `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). If it is unreachable the Postgres variant is
//! skipped with a loud notice — unless `CI=true`, where it fails.

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use agora::{config::Config, Application, Wiring};
use agora_adapters::{
    memory::MemoryBus,
    store::{Database, DbOptions},
};
use agora_domain::ports::Mailer;
use axum::Router;
use tokio::{sync::oneshot, task::JoinHandle};

/// Which relational backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application and the handles a test needs.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub bus: MemoryBus,
    pub db: Database,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _store: TestStore,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    /// Asks the app to shut down as SIGTERM would and returns how `run_until` ended.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop().await
    }

    async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task panicked"),
            None => Ok(()),
        }
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
}

/// Starts the app on `backend`, or returns `None` when the backend is unavailable outside CI.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, Spawn::default()).await
}

pub async fn spawn_app_with(backend: Backend, spawn: Spawn) -> Option<TestApp> {
    let store = TestStore::create(backend).await?;
    let mut config = test_config(&store);
    if let Some(configure) = spawn.configure {
        configure(&mut config);
    }
    let bus = MemoryBus::new();
    let wiring = Wiring {
        mailer: spawn.mailer,
        bus: Arc::new(bus.clone()),
        extra_routes: spawn.extra_routes,
    };
    let app = Application::start(&config, "all", wiring)
        .await
        .expect("application failed to start");
    let addr = app.local_addr();
    let db: Database = app
        .registry()
        .get()
        .expect("store module publishes the database");
    let (shutdown, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    Some(TestApp {
        addr,
        client: reqwest::Client::new(),
        bus,
        db,
        shutdown: Some(shutdown),
        server: Some(server),
        _store: store,
    })
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
    config
}

/// Runs a contract test body against a freshly started app, then shuts it down.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = spawn_app(backend).await {
        body(app).await;
    }
}

/// Generates `mod name { sqlite, postgres }` tests from one `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $crate::support::run($crate::support::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test]
            async fn postgres() {
                $crate::support::run($crate::support::Backend::Postgres, super::$name).await;
            }
        }
    )+};
}

/// A database that exists for one test only.
pub struct TestStore {
    pub url: String,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestStore {
    /// Creates the database, or `None` (with a loud notice) when Postgres is down outside CI.
    pub async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", data_dir.join("agora.db").display());
                Some(Self {
                    url,
                    data_dir,
                    _dir: dir,
                    postgres: None,
                })
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("agora_test_{}", uuid::Uuid::new_v4().simple());
                if let Err(error) = admin_execute(&admin, &format!("CREATE DATABASE {name}")).await
                {
                    let message = format!(
                        "PostgreSQL unavailable at {admin} ({error}); start it with \
                         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
                    );
                    if in_ci() {
                        panic!("CI=true and {message}");
                    }
                    eprintln!("\n!!!!! SKIPPED Postgres variant: {message} !!!!!\n");
                    return None;
                }
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                Some(Self {
                    url,
                    data_dir,
                    _dir: dir,
                    postgres: Some((admin, name)),
                })
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
pub async fn connect_store(backend: Backend) -> Option<(TestStore, Database)> {
    let store = TestStore::create(backend).await?;
    let db = Database::connect(&store.url, &DbOptions::default())
        .await
        .expect("connect");
    Some((store, db))
}

/// Runs an adapter-level contract body against a fresh database.
pub async fn run_store<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Database) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some((_store, db)) = connect_store(backend).await {
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
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
