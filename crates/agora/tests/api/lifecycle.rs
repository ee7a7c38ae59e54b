//! Start and stop: graceful drain on shutdown, exit code 0 on SIGTERM.

use std::time::{Duration, Instant};

use axum::{routing::get, Router};

use crate::support::{spawn_app_with, Backend, Spawn};

fn slow_route(delay: Duration) -> Router {
    Router::new().route(
        "/test/slow",
        get(move || async move {
            tokio::time::sleep(delay).await;
            "finished"
        }),
    )
}

#[tokio::test]
async fn shutdown_during_a_slow_request_lets_it_complete() {
    let spawn = Spawn {
        extra_routes: vec![slow_route(Duration::from_millis(800))],
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await.unwrap();
    let request = tokio::spawn(app.client.get(app.url("/test/slow")).send());
    // Shut down only once the request is in flight (the handler is sleeping).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let addr = app.addr;
    let stopped = tokio::spawn(app.shutdown());

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
    let spawn = Spawn {
        extra_routes: vec![slow_route(Duration::from_secs(30))],
        configure: Some(Box::new(|config| {
            config.shutdown_timeout = Duration::from_millis(300)
        })),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await.unwrap();
    let _request = tokio::spawn(app.client.get(app.url("/test/slow")).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
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
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
