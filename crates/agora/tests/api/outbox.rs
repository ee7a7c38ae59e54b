//! Outbox recovery, against the real stores (SQLite file, PostgreSQL database) and, for a crash,
//! the real binary.
//!
//! What the outbox guarantees (ADR 0008), and what these tests hold it to:
//! - a claim is a lease: while it runs no other relay gets the row; once it expires (the relay
//!   crashed) another relay claims the row again;
//! - relays racing over one database never deliver the same row twice while its lease runs
//!   (Postgres `FOR UPDATE SKIP LOCKED`; SQLite's single writer makes the claim exclusive);
//! - a message that keeps failing is dead-lettered after `max_attempts` and not retried again;
//! - a row this binary cannot decode is dead-lettered, and the rest still flows;
//! - a relay killed with SIGKILL loses nothing; it publishes and then marks sent, one message at a
//!   time, so the only message it can deliver twice is the one it had published and not yet
//!   marked when it died — at most one duplicate per killed relay.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora_adapters::{
    on_pool, on_writer,
    platform::SqlOutbox,
    store::{map_sqlx_error, migrations::Migrator, Database, DbOptions},
};
use agora_app::platform::{OutboxRelay, RetryPolicy};
use agora_domain::{
    event::EventEnvelope,
    mail::OutgoingMail,
    ports::{
        dead_letter_at, BusError, EventPublisher, MailError, Mailer, Outbox, OutboxMessage,
        UnitOfWork,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    both_stores,
    support::{connect_store, Backend},
};

pub(crate) async fn migrated(db: &Database) {
    Migrator::new(db, agora::modules::all_migrations())
        .up(&["platform"], &mut |_| {})
        .await
        .unwrap();
}

pub(crate) fn mail(subject: &str) -> OutboxMessage {
    OutboxMessage::Mail(OutgoingMail {
        to: "someone@example.org".into(),
        subject: subject.into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
    })
}

fn event(n: usize) -> OutboxMessage {
    OutboxMessage::Event(EventEnvelope::new(
        "test.happened",
        Uuid::now_v7(),
        serde_json::json!({ "n": n }),
    ))
}

pub(crate) async fn enqueue(db: &Database, messages: &[OutboxMessage]) {
    let outbox = SqlOutbox::new(db.clone());
    let mut tx = db.begin().await.unwrap();
    for message in messages {
        outbox.enqueue(&mut tx, message).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// The key a delivery is counted under: the subject of a mail, the id of an event.
fn key_of(message: &OutboxMessage) -> String {
    match message {
        OutboxMessage::Mail(mail) => mail.subject.clone(),
        OutboxMessage::Event(event) => event.id.to_string(),
        OutboxMessage::Job(job) => job.kind.clone(),
    }
}

/// A mail transport and bus that count deliveries per message; `failing` subjects always fail.
#[derive(Clone, Default)]
struct Recorder {
    deliveries: Arc<Mutex<HashMap<String, u32>>>,
    attempts: Arc<Mutex<HashMap<String, u32>>>,
    failing: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn failing(subject: &str) -> Self {
        let recorder = Self::default();
        recorder.failing.lock().unwrap().push(subject.to_owned());
        recorder
    }

    async fn record(&self, key: String) -> Result<(), String> {
        // Let the other relay run between a claim and its marks.
        tokio::task::yield_now().await;
        *self
            .attempts
            .lock()
            .unwrap()
            .entry(key.clone())
            .or_default() += 1;
        if self.failing.lock().unwrap().contains(&key) {
            return Err(format!("{key} is refused"));
        }
        *self.deliveries.lock().unwrap().entry(key).or_default() += 1;
        Ok(())
    }

    fn deliveries(&self) -> HashMap<String, u32> {
        self.deliveries.lock().unwrap().clone()
    }

    fn attempts_of(&self, key: &str) -> u32 {
        self.attempts.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

#[async_trait]
impl Mailer for Recorder {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.record(mail.subject.clone()).await.map_err(MailError)
    }
}

#[async_trait]
impl EventPublisher for Recorder {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.record(event.id.to_string()).await.map_err(BusError)
    }
}

fn relay(db: &Database, recorder: &Recorder, retry: RetryPolicy) -> OutboxRelay {
    OutboxRelay::new(
        Arc::new(SqlOutbox::new(db.clone())),
        Arc::new(recorder.clone()),
        Arc::new(recorder.clone()),
        agora_app::platform::Jobs::default(),
        retry,
    )
}

/// Retries due at once, so a test drives attempts by calling the relay, not by waiting.
fn immediate_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        base: Duration::ZERO,
        max: Duration::ZERO,
        max_attempts,
        ..RetryPolicy::default()
    }
}

/// One outbox row as stored.
#[derive(Debug)]
struct Row {
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    sent: bool,
}

/// `(id, attempts, next_attempt_at, last_error, sent)` as read from either backend.
type RawRow = (Uuid, i32, DateTime<Utc>, Option<String>, bool);

async fn rows(db: &Database) -> HashMap<Uuid, Row> {
    let sql =
        "SELECT id, attempts, next_attempt_at, last_error, sent_at IS NOT NULL AS sent FROM outbox";
    let raw: Vec<RawRow> = on_pool!(db, |pool| {
        sqlx::query_as::<_, RawRow>(sql)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    raw.into_iter()
        .map(|(id, attempts, next_attempt_at, last_error, sent)| {
            (
                id,
                Row {
                    attempts: i64::from(attempts),
                    next_attempt_at,
                    last_error,
                    sent,
                },
            )
        })
        .collect()
}

/// Ages every running lease into the past: what the clock does to a crashed relay's claims.
pub(crate) async fn expire_leases(db: &Database) {
    let past = Utc::now() - chrono::Duration::seconds(1);
    on_writer!(db, |pool| {
        sqlx::query("UPDATE outbox SET locked_until = $1 WHERE locked_until IS NOT NULL")
            .bind(past)
            .execute(pool)
            .await
            .map_err(map_sqlx_error)
            .unwrap();
        // On SQLite the relay that claimed also holds the single-holder relay lease.
        sqlx::query("UPDATE outbox_relay_lease SET until = $1")
            .bind(past)
            .execute(pool)
            .await
            .map_err(map_sqlx_error)
            .unwrap();
    });
}

/// Runs `relay` until a batch finds nothing due (bounded, so a relay that never drains fails).
async fn drain(relay: &OutboxRelay, limit: u32) {
    for _ in 0..10_000 {
        if relay.relay_batch(limit).await.unwrap() == 0 {
            return;
        }
    }
    panic!("the relay kept finding work");
}

async fn an_expired_lease_is_claimed_again_by_another_relay(db: Database) {
    migrated(&db).await;
    enqueue(&db, &[mail("leased-1"), mail("leased-2")]).await;

    // Relay A claims both (60 s lease, as in production) and dies before delivering.
    let crashed = SqlOutbox::new(db.clone());
    let claimed = crashed
        .claim(10, chrono::Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    drop(claimed);

    // While the lease runs, relay B gets nothing: the rows are A's.
    let recorder = Recorder::default();
    let b = relay(&db, &recorder, RetryPolicy::default());
    assert_eq!(b.relay_batch(10).await.unwrap(), 0);
    assert!(recorder.deliveries().is_empty());

    // The lease runs out (the clock moves past `locked_until`): B claims and delivers both.
    expire_leases(&db).await;
    assert_eq!(b.relay_batch(10).await.unwrap(), 2);
    assert_eq!(
        recorder.deliveries(),
        HashMap::from([("leased-1".into(), 1), ("leased-2".into(), 1)])
    );
    for row in rows(&db).await.values() {
        assert!(row.sent, "{row:?}");
        assert_eq!(row.attempts, 2, "A's claim counts as an attempt: {row:?}");
    }

    // The same with a real short lease and the real clock: poll until it has expired. (B's own
    // relay lease on SQLite is aged first, as if B had idled past it.)
    expire_leases(&db).await;
    enqueue(&db, &[mail("leased-3")]).await;
    assert_eq!(
        crashed
            .claim(10, chrono::Duration::milliseconds(200))
            .await
            .unwrap()
            .len(),
        1
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !recorder.deliveries().contains_key("leased-3") {
        assert!(
            Instant::now() < deadline,
            "the expired lease was never re-claimed"
        );
        b.relay_batch(10).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the 200 ms lease ends
    }
    assert_eq!(recorder.deliveries()["leased-3"], 1);
}

async fn a_message_that_always_fails_is_dead_lettered_after_max_attempts(db: Database) {
    migrated(&db).await;
    enqueue(&db, &[mail("doomed"), mail("fine")]).await;
    let recorder = Recorder::failing("doomed");
    let relay = relay(&db, &recorder, immediate_retries(3));

    drain(&relay, 10).await;

    assert_eq!(
        recorder.attempts_of("doomed"),
        3,
        "tried exactly max_attempts times"
    );
    assert_eq!(recorder.deliveries(), HashMap::from([("fine".into(), 1)]));
    let rows = rows(&db).await;
    let doomed = rows
        .values()
        .find(|r| !r.sent)
        .expect("the doomed row stays");
    assert_eq!(doomed.attempts, 3);
    assert_eq!(doomed.next_attempt_at, dead_letter_at());
    assert_eq!(
        doomed.last_error.as_deref(),
        Some("mail delivery failed: doomed is refused")
    );

    // Dead means dead: more relay runs never try it again.
    assert_eq!(relay.relay_batch(10).await.unwrap(), 0);
    expire_leases(&db).await;
    assert_eq!(relay.relay_batch(10).await.unwrap(), 0);
    assert_eq!(recorder.attempts_of("doomed"), 3);
}

async fn an_undecodable_payload_is_dead_lettered_without_blocking_the_rest(db: Database) {
    migrated(&db).await;
    enqueue(&db, &[mail("before")]).await;
    // Rows this binary cannot read: valid JSON of the wrong shape, for either kind (both
    // backends only store valid JSON, and only the two kinds).
    let now = Utc::now();
    let corrupt = [
        (Uuid::now_v7(), "mail", r#"{"to": 42}"#),
        (Uuid::now_v7(), "event", r#"["not", "an", "envelope"]"#),
    ];
    for (id, kind, payload) in corrupt {
        let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
        on_writer!(&db, |pool| {
            sqlx::query("INSERT INTO outbox (id, kind, payload, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, 0, $4, $4)")
                .bind(id)
                .bind(kind)
                .bind(sqlx::types::Json(payload))
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
        });
    }
    let after: Vec<_> = (0..3).map(event).collect();
    enqueue(&db, &after).await;

    // Small batches, so a corrupt row heads some of them.
    let recorder = Recorder::default();
    let relay = relay(&db, &recorder, RetryPolicy::default());
    for _ in 0..10 {
        relay.relay_batch(1).await.unwrap();
    }

    let mut expected = HashMap::from([("before".to_owned(), 1)]);
    expected.extend(after.iter().map(|m| (key_of(m), 1)));
    assert_eq!(recorder.deliveries(), expected);
    let rows = rows(&db).await;
    for (id, _, _) in corrupt {
        let row = &rows[&id];
        assert!(!row.sent);
        assert_eq!(row.next_attempt_at, dead_letter_at(), "{row:?}");
        assert_eq!(row.attempts, 1, "dead-lettered on the first claim: {row:?}");
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("undecodable payload")),
            "{row:?}"
        );
    }
    assert_eq!(rows.values().filter(|r| r.sent).count(), 4);
}

both_stores!(
    an_expired_lease_is_claimed_again_by_another_relay,
    a_message_that_always_fails_is_dead_lettered_after_max_attempts,
    an_undecodable_payload_is_dead_lettered_without_blocking_the_rest,
);

/// Two relays, each with its own connection pool to the same database (as two replicas have),
/// race over 300 messages in small batches on a multi-threaded runtime.
async fn two_relays_racing_deliver_each_message_exactly_once(backend: Backend) {
    let (store, db_a) = connect_store(backend).await;
    migrated(&db_a).await;
    let db_b = Database::connect(&store.url, &DbOptions::default())
        .await
        .unwrap();
    let messages: Vec<_> = (0..300)
        .map(|n| {
            if n % 3 == 0 {
                event(n)
            } else {
                mail(&format!("race-{n}"))
            }
        })
        .collect();
    enqueue(&db_a, &messages).await;

    let recorder = Recorder::default();
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let mut relays = Vec::new();
    for db in [&db_a, &db_b] {
        let relay = relay(db, &recorder, RetryPolicy::default());
        let start = start.clone();
        relays.push(tokio::spawn(async move {
            start.wait().await;
            let mut handled = 0;
            for _ in 0..1_000 {
                let n = relay.relay_batch(7).await.unwrap();
                if n == 0 {
                    return handled;
                }
                handled += n;
            }
            panic!("the relay never ran out of work");
        }));
    }
    let mut handled = Vec::new();
    for relay in relays {
        handled.push(relay.await.unwrap());
    }

    let deliveries = recorder.deliveries();
    let expected: HashMap<String, u32> = messages.iter().map(|m| (key_of(m), 1)).collect();
    let doubled: Vec<_> = deliveries.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "delivered more than once: {doubled:?}");
    assert_eq!(deliveries, expected);
    assert_eq!(handled.iter().sum::<usize>(), 300, "{handled:?}");
    assert!(
        rows(&db_a)
            .await
            .values()
            .all(|r| r.sent && r.attempts == 1),
        "every row claimed once"
    );
    db_b.close().await;
    db_a.close().await;
}

/// Eight claimers (four per pool) grab rows concurrently with a long lease: every row is claimed
/// by exactly one of them — the port's own contract, without a relay in between.
async fn concurrent_claims_never_hand_out_a_row_twice(backend: Backend) {
    let (store, db_a) = connect_store(backend).await;
    migrated(&db_a).await;
    let db_b = Database::connect(&store.url, &DbOptions::default())
        .await
        .unwrap();
    let messages: Vec<_> = (0..400).map(|n| mail(&format!("claim-{n}"))).collect();
    enqueue(&db_a, &messages).await;

    let start = Arc::new(tokio::sync::Barrier::new(8));
    let mut claimers = Vec::new();
    for i in 0..8 {
        let outbox = SqlOutbox::new(if i % 2 == 0 { &db_a } else { &db_b }.clone());
        let start = start.clone();
        claimers.push(tokio::spawn(async move {
            start.wait().await;
            let mut ids = Vec::new();
            // Bounded: claims that hand rows out again never run dry.
            for _ in 0..1_000 {
                let batch = outbox
                    .claim(5, chrono::Duration::seconds(60))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return ids;
                }
                ids.extend(batch.into_iter().map(|item| item.id));
            }
            panic!("claims never ran dry: rows are handed out again while leased");
        }));
    }
    let mut all = Vec::new();
    let mut busy = 0;
    for claimer in claimers {
        let ids = claimer.await.unwrap();
        busy += usize::from(!ids.is_empty());
        all.extend(ids);
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 400, "claimed {total} rows for 400 messages");
    assert_eq!(all.len(), 400, "some row was claimed twice");
    match backend {
        // Postgres: claimers share the work (FOR UPDATE SKIP LOCKED).
        Backend::Postgres => assert!(busy >= 2, "the claimers did not actually overlap"),
        // SQLite: the first to take the single-holder relay lease claims everything.
        Backend::Sqlite => assert_eq!(busy, 1, "only the lease holder claims"),
    }
    db_b.close().await;
    db_a.close().await;
}

mod two_relays_racing_deliver_each_message_exactly_once {
    use crate::support::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::two_relays_racing_deliver_each_message_exactly_once(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::two_relays_racing_deliver_each_message_exactly_once(Backend::Postgres).await;
    }
}

mod concurrent_claims_never_hand_out_a_row_twice {
    use crate::support::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::concurrent_claims_never_hand_out_a_row_twice(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::concurrent_claims_never_hand_out_a_row_twice(Backend::Postgres).await;
    }
}
