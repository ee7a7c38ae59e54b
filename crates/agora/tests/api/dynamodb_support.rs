//! A real local DynamoDB for tests: moto's server (`moto[server]` from PyPI, installed into
//! `target/venv` by `scripts/test`). `TEST_DYNAMODB_ENDPOINT` names a running one; otherwise
//! the first test of a process starts one on a free port, which lives as long as the process.
//! Every test gets a table of its own.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use agora_adapters::dynamodb::{Credentials, DynamoClient, DynamoSettings};

use crate::support::service_missing;

/// The moto server this process started; killed when the process exits.
struct MotoServer {
    endpoint: String,
    _child: ChildGuard,
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

static MOTO: OnceLock<MotoServer> = OnceLock::new();

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_moto() -> MotoServer {
    let port = free_port();
    // `python3` is the venv's: scripts/test puts target/venv/bin first on PATH.
    // The server stops when its standard input closes, i.e. when this test process ends, even
    // by a panic or a kill: a static is never dropped, so it cannot be stopped from here.
    let script = format!(
        "import sys\nfrom moto.server import ThreadedMotoServer\n\
         server = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False)\n\
         server.start()\nsys.stdin.read()\nserver.stop()\n"
    );
    let child = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            service_missing(
                "moto (local DynamoDB)",
                e,
                "target/venv/bin/pip install 'moto[server]' and put target/venv/bin on PATH",
            )
        });
    let mut child = ChildGuard(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.0.try_wait() {
            service_missing(
                "moto (local DynamoDB)",
                format!("python3 (moto.server) exited with {status}"),
                "target/venv/bin/pip install 'moto[server]'",
            );
        }
        assert!(Instant::now() < deadline, "moto did not listen within 30 s");
        std::thread::sleep(Duration::from_millis(50)); // poll: moto's port
    }
    MotoServer {
        endpoint,
        _child: child,
    }
}

/// The endpoint of the local DynamoDB.
pub fn endpoint() -> String {
    if let Ok(endpoint) = std::env::var("TEST_DYNAMODB_ENDPOINT") {
        return endpoint;
    }
    MOTO.get_or_init(start_moto).endpoint.clone()
}

/// A client for `table` at `endpoint` with moto's accepted fake credentials.
pub fn client(endpoint: &str, table: &str) -> DynamoClient {
    DynamoClient::new(DynamoSettings {
        endpoint: endpoint.to_owned(),
        table: table.to_owned(),
        region: "us-east-1".into(),
        credentials: Credentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        },
    })
    .expect("client")
}

/// A fresh table for one test: its endpoint and name.
pub async fn fresh_table() -> (String, String) {
    let endpoint = endpoint();
    let table = format!("agora_{}", uuid::Uuid::new_v4().simple());
    client(&endpoint, &table)
        .create_table()
        .await
        .unwrap_or_else(|e| panic!("creating the test table in moto: {e}"));
    (endpoint, table)
}

/// Serves `router` on a free port as a stand-in DynamoDB (failure injection); its endpoint.
pub async fn start_fake(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// Runs `async fn name(backend: Backend)` bodies on DynamoDB beside SQLite and beside
/// PostgreSQL (where the outbox and the audit log live): `mod name { sqlite, postgres }`.
#[macro_export]
macro_rules! dynamodb_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await;
            }
        }
    )+};
}
