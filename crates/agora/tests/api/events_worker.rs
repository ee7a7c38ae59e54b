//! Workers are real processes: `agora serve --target worker` children share a Redis Streams bus
//! and a PostgreSQL database. One is killed with SIGKILL in the middle of the backlog; after two
//! fresh workers take over, every event has taken effect exactly once (ADR 0019).

use std::{process::Child, time::Duration};

use agora_adapters::{on_pool, platform::SqlOutbox, store::Database};
use agora_domain::{
    event::EventEnvelope,
    ports::{Outbox, OutboxMessage, UnitOfWork},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    outbox::expire_leases,
    support::{connect_store, redis_delete_prefix, redis_url, Backend},
};

/// Users the analytics consumer counted (its effect) and its inbox rows, read in one statement
/// (one snapshot: both are written by the same transactions).
async fn counted(db: &Database) -> (i64, i64) {
    on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT CAST((SELECT COALESCE(sum(count), 0) FROM analytics_users_daily) AS BIGINT), \
                    (SELECT count(*) FROM inbox WHERE consumer = 'analytics')",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    })
}

fn worker(store_url: &str, redis: &str, prefix: &str, dir: &std::path::Path) -> Child {
    crate::cli::agora(dir)
        .args([
            "serve",
            "--target",
            "worker",
            "--bind",
            &format!("127.0.0.1:{}", crate::cli::free_port()),
        ])
        .env("AGORA_DATABASE_URL", store_url)
        .env("AGORA_BUS", "redis")
        .env("AGORA_REDIS_URL", redis)
        .env("AGORA_REDIS_PREFIX", prefix)
        .env("AGORA_EVENTS__REDELIVERY_TIMEOUT", "1s")
        .env("AGORA_EVENTS__RELAY_BATCH", "50")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn a_worker_killed_mid_backlog_loses_nothing_and_doubles_nothing_redis_postgres() {
    const EVENTS: i64 = 1500;
    let redis = redis_url().await;
    let prefix = format!("test-worker-{}:", Uuid::new_v4().simple());
    let (store, db) = connect_store(Backend::Postgres).await;
    // The worker shares the monolith's database, where identity keeps the keys that verify the
    // admin tokens its event endpoints accept: migrate everything and add one, as a deployment has.
    let dir = tempfile::tempdir().unwrap();
    for args in [["migrate", "up"], ["keys", "rotate"]] {
        let done = crate::cli::agora(dir.path())
            .args(args)
            .env("AGORA_DATABASE_URL", &store.url)
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let outbox = SqlOutbox::new(db.clone());
    let mut tx = db.begin().await.unwrap();
    for _ in 0..EVENTS {
        let id = Uuid::now_v7();
        let event = EventEnvelope::new("user.created", id, json!({"id": id, "email": "x@y.z"}));
        outbox
            .enqueue(&mut tx, &OutboxMessage::Event(event))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut workers = Workers(vec![worker(&store.url, &redis, &prefix, dir.path())]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while counted(&db).await.0 < 50 {
        assert!(
            workers.0[0].try_wait().unwrap().is_none(),
            "the worker exited"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never consumed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await; // poll: until it is mid-backlog
    }
    workers.0[0].kill().unwrap(); // SIGKILL: no shutdown hook runs
    workers.0[0].wait().unwrap();
    let at_kill = counted(&db).await.0;
    assert!(
        at_kill < EVENTS,
        "killed too late to prove anything: {at_kill}"
    );

    // Its outbox claims would run out in 60 s (aged here); its unacknowledged stream entries
    // are taken over after the 1 s redelivery timeout by the two workers that replace it.
    expire_leases(&db).await;
    workers
        .0
        .push(worker(&store.url, &redis, &prefix, dir.path()));
    workers
        .0
        .push(worker(&store.url, &redis, &prefix, dir.path()));
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let (users, inbox) = counted(&db).await;
        assert!(users <= EVENTS, "an event took effect twice: {users} users");
        assert_eq!(users, inbox, "effects and inbox rows disagree");
        let pending = outbox.pending_count().await.unwrap();
        if users == EVENTS && pending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{users}/{EVENTS} counted, {pending} unpublished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await; // poll: until the backlog is done
    }
    drop(workers);
    assert_eq!(counted(&db).await, (EVENTS, EVENTS));
    db.close().await;
    redis_delete_prefix(&redis, &prefix).await;
}
