//! Start and stop: graceful drain on shutdown, exit code 0 on SIGTERM.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{routing::get, Router};
use tokio::sync::{Notify, Semaphore};

use crate::support::{spawn_app_with, Backend, Spawn};

/// A handler that tells the test when a request is inside it, then finishes only when the test
/// releases it: the test controls "in flight" instead of guessing it with sleeps.
#[derive(Clone)]
struct Gate {
    entered: Arc<Semaphore>,
    release: Arc<Notify>,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            entered: Arc::new(Semaphore::new(0)),
            release: Arc::default(),
        }
    }
}

impl Gate {
    fn route(&self) -> Router {
        let gate = self.clone();
        Router::new().route(
            "/test/slow",
            get(move || async move {
                gate.entered.add_permits(1);
                gate.release.notified().await;
                "finished"
            }),
        )
    }

    /// Resolves once a request is inside the handler (fails after 10 s).
    async fn in_flight(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.entered.acquire())
            .await
            .expect("the request reached the handler within 10 s")
            .expect("semaphore open")
            .forget();
    }
}

#[tokio::test]
async fn shutdown_during_a_slow_request_lets_it_complete() {
    let gate = Gate::default();
    let spawn = Spawn {
        extra_routes: vec![gate.route()],
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let request = tokio::spawn(app.client.get(app.url("/test/slow")).send());
    gate.in_flight().await;
    let addr = app.addr;
    let stopped = tokio::spawn(app.shutdown());

    // The server stops accepting while the request is still held in the handler…
    let until = Instant::now() + Duration::from_secs(10);
    while reqwest::get(format!("http://{addr}/health")).await.is_ok() {
        assert!(
            Instant::now() < until,
            "still accepting 10 s after shutdown"
        );
        assert!(!request.is_finished(), "the held request ended early");
        tokio::task::yield_now().await; // poll: until the listener closes
    }
    assert!(!request.is_finished() && !stopped.is_finished());
    // …and lets it finish once it can.
    gate.release.notify_one();
    let response = request.await.unwrap().expect("in-flight request completes");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    stopped.await.unwrap().expect("clean stop");
    assert!(
        reqwest::get(format!("http://{addr}/health")).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn a_request_outliving_the_drain_deadline_does_not_block_exit() {
    let gate = Gate::default(); // never released
    let spawn = Spawn {
        extra_routes: vec![gate.route()],
        configure: Some(Box::new(|config| {
            config.shutdown_timeout = Duration::from_millis(300)
        })),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let _request = tokio::spawn(app.client.get(app.url("/test/slow")).send());
    gate.in_flight().await;
    let started = Instant::now();
    app.shutdown().await.expect("stop still succeeds");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gave up at the deadline"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_real_binary_with_exit_code_0() {
    use crate::cli::{agora, free_port, wait_ready};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = agora(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port, &mut child).await;
    let status = crate::cli::terminate(child).await;
    assert_eq!(status.code(), Some(0));
}

/// A start-up that hangs (here: a "database" that accepts and never answers) stops on SIGTERM
/// instead of waiting for its connect timeout or needing a SIGKILL.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_during_a_hung_start_up_stops_with_exit_code_0() {
    use crate::cli::{agora, free_port};
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let database = format!(
        "postgres://postgres@127.0.0.1:{}/agora",
        silent.local_addr().unwrap().port()
    );
    let dir = tempfile::tempdir().unwrap();
    let child = agora(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{}", free_port())])
        .env("AGORA_DATABASE_URL", &database)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Connecting to the database is start-up's work, after the handlers are in place.
    let (_held, _) = tokio::time::timeout(Duration::from_secs(30), silent.accept())
        .await
        .expect("agora connects to its database")
        .unwrap();
    let status = crate::cli::terminate(child).await;
    assert_eq!(status.code(), Some(0));
}
