//! A relay killed with SIGKILL mid-batch (the real binary, relaying to an SMTP server inside the
//! test) loses nothing and doubles at most the message in flight. The guarantees are described
//! in `outbox.rs` and docs/testing.md.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora_adapters::{on_pool, store::Database};

use crate::{
    outbox::{enqueue, expire_leases, mail, migrated},
    support::{connect_store, Backend},
};

/// A minimal SMTP server that records each message's subject when it acknowledges it (`250`
/// after `DATA`: from then on the message is the receiver's). Told to, it holds one message
/// — reads it, never answers — so the test can kill the sender while it waits.
struct SmtpSink {
    port: u16,
    state: Arc<Mutex<SinkState>>,
    held: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct SinkState {
    /// Subjects in the order they were acknowledged.
    acked: Vec<String>,
    /// Hold the next message once this many are acknowledged.
    hold_after: Option<usize>,
    /// The message read but never acknowledged.
    holding: Option<String>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    async fn start(hold_after: Option<usize>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(SinkState {
            hold_after,
            ..SinkState::default()
        }));
        let held = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn({
            let (state, held) = (state.clone(), held.clone());
            async move {
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(Self::session(socket, state.clone(), held.clone()));
                }
            }
        });
        Self {
            port,
            state,
            held,
            task,
        }
    }

    async fn session(
        socket: tokio::net::TcpStream,
        state: Arc<Mutex<SinkState>>,
        held: Arc<tokio::sync::Notify>,
    ) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
            return;
        }
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink\r\n250 SIZE 10000000\r\n",
                "DATA" => {
                    if write.write_all(b"354 go on\r\n").await.is_err() {
                        return;
                    }
                    let mut subject = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line == "." {
                            break;
                        }
                        if let Some(s) = line.strip_prefix("Subject: ") {
                            subject = s.trim().to_owned();
                        }
                    }
                    let hold = {
                        let mut state = state.lock().unwrap();
                        let hold = state.holding.is_none()
                            && state.hold_after.is_some_and(|n| state.acked.len() >= n);
                        if hold {
                            state.holding = Some(subject.clone());
                        } else {
                            state.acked.push(subject);
                        }
                        hold
                    };
                    if hold {
                        held.notify_one();
                        // Never answer; the sender dies waiting.
                        while let Ok(Some(_)) = lines.next_line().await {}
                        return;
                    }
                    b"250 accepted\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => b"250 ok\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }

    fn acked(&self) -> Vec<String> {
        self.state.lock().unwrap().acked.clone()
    }
}

async fn pending(db: &Database) -> i64 {
    on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

fn serve(store_url: &str, smtp_port: u16, dir: &std::path::Path) -> std::process::Child {
    crate::cli::agora(dir)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{}", crate::cli::free_port()),
        ])
        .env("AGORA_DATABASE_URL", store_url)
        .env("AGORA_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The real binary relays a backlog of 120 mails to an SMTP server; once 30 are acknowledged the
/// server holds the 31st, and the test kills the process (SIGKILL) while it waits, in the middle
/// of a claimed batch of 50. A restart (after the dead process's leases ran out) delivers the
/// rest. At the receiver: every mail acknowledged at least once; the only one that may be
/// acknowledged twice is the last one acknowledged before the kill (published, maybe not yet
/// marked sent) — one message in flight per relay, so at most one duplicate.
async fn a_relay_killed_mid_batch_loses_nothing_and_doubles_at_most_the_message_in_flight(
    backend: Backend,
) {
    let (store, db) = connect_store(backend).await;
    migrated(&db).await;
    let subjects: Vec<String> = (0..120).map(|n| format!("outbox-kill-{n:03}")).collect();
    let messages: Vec<_> = subjects.iter().map(|s| mail(s)).collect();
    enqueue(&db, &messages).await;

    let sink = SmtpSink::start(Some(30)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve(&store.url, sink.port, dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let held = tokio::time::timeout(Duration::from_millis(100), sink.held.notified());
        if held.await.is_ok() {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "agora exited early");
        assert!(Instant::now() < deadline, "the 31st mail never arrived");
    }
    child.kill().unwrap(); // SIGKILL: no shutdown hook runs
    child.wait().unwrap();

    let before = sink.acked();
    let held = sink.state.lock().unwrap().holding.clone().unwrap();
    assert_eq!(before.len(), 30);
    let left = pending(&db).await;
    assert!(
        (90..=91).contains(&left),
        "the kill left the backlog undelivered: {left} pending"
    );

    // The dead process's 60 s leases run out while it is down (aged here rather than waited for).
    expire_leases(&db).await;
    sink.state.lock().unwrap().hold_after = None;
    let mut child = serve(&store.url, sink.port, dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    while pending(&db).await > 0 {
        assert!(child.try_wait().unwrap().is_none(), "agora exited early");
        assert!(
            Instant::now() < deadline,
            "the restarted relay did not drain the outbox"
        );
        tokio::time::sleep(Duration::from_millis(50)).await; // poll: until the outbox drains
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let acked = sink.acked();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for subject in acked.iter().filter(|s| s.starts_with("outbox-kill-")) {
        *counts.entry(subject).or_default() += 1;
    }
    for subject in &subjects {
        assert!(counts.contains_key(subject.as_str()), "{subject} was lost");
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let in_flight = before.last().unwrap().as_str();
    assert!(
        doubled.iter().all(|(s, n)| **s == in_flight && **n == 2),
        "only the message in flight at the kill ({in_flight}) may arrive twice: {doubled:?}"
    );
    assert_eq!(
        counts[held.as_str()],
        1,
        "the held, unacknowledged mail arrives once"
    );
    db.close().await;
}

mod a_relay_killed_mid_batch_loses_nothing_and_doubles_at_most_the_message_in_flight {
    use crate::support::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_relay_killed_mid_batch_loses_nothing_and_doubles_at_most_the_message_in_flight(
            Backend::Sqlite,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_relay_killed_mid_batch_loses_nothing_and_doubles_at_most_the_message_in_flight(
            Backend::Postgres,
        )
        .await;
    }
}
