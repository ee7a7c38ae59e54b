//! The manager against a real Redis: the local one (`TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`) under a unique prefix, and a private `redis-server` that the
//! reconnection test can stop. A missing Redis fails the test (never a silent pass); every test
//! needing it has `redis` in its path, so `scripts/test` can deselect them (reported as skipped)
//! when Redis is down outside CI.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{sync::watch, task::JoinHandle};

use super::*;

pub(crate) fn test_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A manager on the local Redis with a unique prefix, its pub/sub loop running.
pub(crate) async fn local_manager() -> (RedisManager, Running) {
    let prefix = format!("agora-test-{}:", uuid::Uuid::new_v4().simple());
    match RedisManager::connect(&test_url(), &prefix).await {
        Ok(manager) => {
            let running = Running::start(&manager);
            (manager, running)
        }
        Err(error) => panic!(
            "Redis is unavailable ({error}): start it (scripts/services.sh), or run \
             scripts/test, which reports tests needing a missing service as skipped"
        ),
    }
}

/// The pub/sub loop of a test manager; stopped on drop.
pub(crate) struct Running(watch::Sender<bool>, JoinHandle<anyhow::Result<()>>);

impl Running {
    pub(crate) fn start(manager: &RedisManager) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let manager = manager.clone();
        Self(
            stop,
            tokio::spawn(async move { manager.run_pubsub(stop_rx).await }),
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.send(true);
        self.1.abort();
    }
}

type Log = Arc<Mutex<Vec<String>>>;

fn recorder() -> (Handler, Log) {
    let log: Log = Arc::default();
    let sink = log.clone();
    let handler: Handler = Arc::new(move |event| {
        let entry = match event {
            PubSubEvent::Message(payload) => String::from_utf8_lossy(payload).into_owned(),
            PubSubEvent::Subscribed => "<subscribed>".to_owned(),
            PubSubEvent::Lost => "<lost>".to_owned(),
        };
        sink.lock().unwrap().push(entry);
    });
    (handler, log)
}

async fn wait_until(log: &Log, what: &str, until: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !until(&log.lock().unwrap()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; got {:?}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn publish(manager: &RedisManager, channel: &str, payload: &str) {
    let mut conn = manager.commands();
    let _: i64 = redis::cmd("PUBLISH")
        .arg(channel)
        .arg(payload)
        .query_async(&mut conn)
        .await
        .expect("PUBLISH");
}

#[tokio::test]
async fn messages_reach_only_the_subscribers_of_their_channel() {
    let (manager, _running) = local_manager().await;
    let (a, a_log) = recorder();
    let (b, b_log) = recorder();
    let (a2, a2_log) = recorder();
    let (channel_a, channel_b) = (manager.key("a"), manager.key("b"));
    manager.subscribe(&channel_a, a).await;
    manager.subscribe(&channel_b, b).await;
    manager.subscribe(&channel_a, a2).await;
    assert_eq!(manager.pubsub_state(), PubSubState::Subscribed);
    assert_eq!(*a_log.lock().unwrap(), ["<subscribed>"]);

    publish(&manager, &channel_a, "one").await;
    publish(&manager, &channel_b, "two").await;
    wait_until(&a_log, "a's message", |l| l.len() == 2).await;
    wait_until(&a2_log, "a2's message", |l| l.len() == 2).await;
    wait_until(&b_log, "b's message", |l| l.len() == 2).await;
    assert_eq!(*a_log.lock().unwrap(), ["<subscribed>", "one"]);
    assert_eq!(*a2_log.lock().unwrap(), ["<subscribed>", "one"]);
    assert_eq!(*b_log.lock().unwrap(), ["<subscribed>", "two"]);

    let health = manager.health().await;
    assert!(health.ping.is_ok(), "{health:?}");
    assert_eq!(health.pubsub, PubSubState::Subscribed);
}

/// The test API: held messages stay away from the handlers (the subscription stays up and other
/// channels flow), `release` delivers them in order, dropping the hold discards them.
#[tokio::test]
async fn held_back_messages_are_delivered_on_release_and_lost_on_drop() {
    let (manager, _running) = local_manager().await;
    let (a, a_log) = recorder();
    let (b, b_log) = recorder();
    let (channel_a, channel_b) = (manager.key("a"), manager.key("b"));
    manager.subscribe(&channel_a, a).await;
    manager.subscribe(&channel_b, b).await;

    let held = manager.hold_back(&channel_a);
    publish(&manager, &channel_a, "one").await;
    publish(&manager, &channel_a, "two").await;
    publish(&manager, &channel_b, "other").await;
    // One connection delivers in order: once "other" is in, "one" and "two" were received.
    wait_until(&b_log, "the other channel's message", |l| l.len() == 2).await;
    assert_eq!(held.count(), 2);
    assert_eq!(
        *a_log.lock().unwrap(),
        ["<subscribed>"],
        "held, not delivered"
    );
    assert_eq!(manager.pubsub_state(), PubSubState::Subscribed);
    held.release();
    assert_eq!(*a_log.lock().unwrap(), ["<subscribed>", "one", "two"]);

    let held = manager.hold_back(&channel_a);
    publish(&manager, &channel_a, "lost").await;
    publish(&manager, &channel_b, "marker").await;
    wait_until(&b_log, "the marker", |l| l.len() == 3).await;
    assert_eq!(held.count(), 1);
    drop(held);
    publish(&manager, &channel_a, "after").await;
    wait_until(&a_log, "a message after the hold", |l| l.len() == 4).await;
    assert_eq!(
        *a_log.lock().unwrap(),
        ["<subscribed>", "one", "two", "after"]
    );
}

/// A `redis-server` on a free port that the test can stop and start again.
pub(crate) struct PrivateRedis {
    pub(crate) port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    pub(crate) fn start(port: u16) -> Option<Self> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        Some(Self {
            port,
            child: Some(child),
        })
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) async fn connect_when_up(url: &str) -> RedisManager {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match RedisManager::connect(url, "reconnect:").await {
            Ok(manager) => return manager,
            Err(error) => assert!(Instant::now() < deadline, "private Redis: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A private server on a free port and its URL; a failure without `redis-server`.
pub(crate) fn private_server() -> (PrivateRedis, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let server = PrivateRedis::start(port)
        .expect("redis-server is installed (apt-get install redis-server)");
    (server, format!("redis://127.0.0.1:{port}"))
}

#[tokio::test]
async fn after_a_reconnection_channels_are_resubscribed_and_subscribers_told() {
    let (mut server, url) = private_server();
    let port = server.port;
    let manager = connect_when_up(&url).await;
    let _running = Running::start(&manager);
    let (handler, log) = recorder();
    let channel = manager.key("events");
    manager.subscribe(&channel, handler).await;
    wait_until(&log, "the first subscription", |l| l == ["<subscribed>"]).await;

    server.stop();
    wait_until(&log, "the loss", |l| l.ends_with(&["<lost>".to_owned()])).await;
    assert_eq!(manager.pubsub_state(), PubSubState::Reconnecting);
    assert!(manager.health().await.ping.is_err());

    let _server = PrivateRedis::start(port).expect("redis-server restarts");
    wait_until(&log, "the resubscription", |l| {
        l.ends_with(&["<subscribed>".to_owned()])
    })
    .await;
    publish(&manager, &channel, "after").await;
    wait_until(&log, "a message after reconnecting", |l| {
        l.ends_with(&["after".to_owned()])
    })
    .await;
}
