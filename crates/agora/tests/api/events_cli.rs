//! `agora events dead | replay <id> | tail` against a running app's database (ADR 0019).

use std::{
    io::{BufRead, BufReader},
    time::Duration,
};

use crate::{
    events::{commit_events, ping, probe_app, TestBus},
    support::{eventually, Backend},
};

async fn the_cli_lists_replays_and_tails_events(backend: Backend) {
    let (app, state) = probe_app(backend, &TestBus::Memory).await;
    let database_url = app.deployment().database_url;
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        crate::cli::agora(dir.path())
            .args(args)
            .env("AGORA_DATABASE_URL", &database_url)
            .output()
            .unwrap()
    };
    let empty = cli(&["events", "dead"]);
    assert!(
        empty.status.success(),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    assert!(String::from_utf8_lossy(&empty.stdout).contains("no dead letters"));

    let doomed = ping();
    state.fail.lock().unwrap().insert(doomed.id, u32::MAX);
    commit_events(&app, std::slice::from_ref(&doomed)).await;
    let mut listed = String::new();
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while !listed.contains(&doomed.id.to_string()) {
        assert!(std::time::Instant::now() < until, "never listed: {listed}");
        tokio::time::sleep(Duration::from_millis(50)).await; // poll: until it is dead-lettered
        listed = String::from_utf8_lossy(&cli(&["events", "dead"]).stdout).into_owned();
    }
    assert!(
        listed.contains("probe") && listed.contains("attempts=4"),
        "{listed}"
    );
    let dead_id = listed.split_whitespace().next().unwrap().to_owned();

    state.fail.lock().unwrap().remove(&doomed.id);
    let replay = cli(&["events", "replay", &dead_id]);
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    eventually(Duration::from_secs(20), || state.effects_of(doomed.id) == 1).await;
    let again = cli(&["events", "replay", &dead_id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no dead letter"));

    // `tail` prints each committed event as one JSON line.
    let mut tail = crate::cli::agora(dir.path())
        .args(["events", "tail"])
        .env("AGORA_DATABASE_URL", &database_url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = tail.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let live = ping();
    let until = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = false;
    while !seen {
        assert!(std::time::Instant::now() < until, "tail printed nothing");
        // Committed repeatedly until seen: `tail` starts from the moment it runs.
        commit_events(&app, std::slice::from_ref(&live)).await;
        if let Ok(line) = received.recv_timeout(Duration::from_millis(500)) {
            let event: serde_json::Value = serde_json::from_str(&line).unwrap();
            seen = event["id"] == live.id.to_string() && event["type"] == "probe.ping";
        }
    }
    tail.kill().unwrap();
    tail.wait().unwrap();
    // Committed maybe several times, applied once (the inbox).
    eventually(Duration::from_secs(20), || state.effects_of(live.id) == 1).await;
    app.drain_outbox().await;
    assert_eq!(state.effects_of(live.id), 1);
}

#[tokio::test]
async fn the_cli_lists_replays_and_tails_events_sqlite() {
    the_cli_lists_replays_and_tails_events(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_cli_lists_replays_and_tails_events_postgres() {
    the_cli_lists_replays_and_tails_events(Backend::Postgres).await;
}
