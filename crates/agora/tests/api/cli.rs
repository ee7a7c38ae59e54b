//! The binary as a user meets it: help, and one clear line plus a non-zero exit for every
//! start-up failure.

use std::{
    path::Path,
    process::{Child, Command, Output},
    time::{Duration, Instant},
};

use crate::support::{Backend, TestStore};

/// The `agora` binary with a clean environment rooted in `dir`.
pub fn agora(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AGORA_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .current_dir(dir)
        .env("AGORA_DATA_DIR", dir.join("data"))
        .env("AGORA_PASSWORD_HASH__MEMORY_KIB", "64");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    agora(dir).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_ready(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = reqwest::get(format!("http://127.0.0.1:{port}/ready")).await {
            if response.status() == 200 {
                return;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "agora exited before becoming ready"
        );
        assert!(Instant::now() < deadline, "agora not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await; // poll: until /ready
    }
}

/// Sends SIGTERM, as an orchestrator or Ctrl-C would, and waits for the exit.
#[cfg(unix)]
pub async fn terminate(mut child: Child) -> std::process::ExitStatus {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap()
}

#[test]
fn every_command_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["migrate", "down", "--help"],
        &["seed", "--help"],
        &["targets", "--help"],
        &["probe", "--help"],
    ] {
        let output = run(dir.path(), args);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage: agora"), "{args:?}");
    }
    let version = run(dir.path(), &["--version"]);
    assert_eq!(
        stdout(&version).trim(),
        format!("agora {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn targets_lists_modules_and_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["targets"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("store → platform → identity → http"),
        "{text}"
    );
    assert!(text.contains("depends on: store"), "{text}");
}

#[test]
fn an_unknown_target_fails_with_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["serve", "--target", "billing"]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains("unknown target `billing`")
            && text.contains("all, ")
            && text.contains("identity"),
        "{text}"
    );
}

#[test]
fn a_corrupt_config_file_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agora.toml"), "bind = [oops").unwrap();
    let output = run(dir.path(), &["serve"]);
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.starts_with("error: invalid configuration") && text.contains("agora.toml"),
        "{text}"
    );
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = agora(dir.path())
        .args(["migrate", "status"])
        .env("AGORA_SHUTDOWN_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("shutdown_timeout"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unreachable_database_fails_without_leaking_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = agora(dir.path())
        .args(["serve"])
        .env(
            "AGORA_DATABASE_URL",
            "postgres://agora:hunter2@127.0.0.1:1/agora",
        )
        .env("AGORA_DATABASE__CONNECT_TIMEOUT", "2s")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains("cannot connect to database `postgres://agora:***@127.0.0.1:1/agora`"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_port_in_use_fails_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = run(
        dir.path(),
        &["serve", "--bind", &format!("127.0.0.1:{port}")],
    );
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains(&format!("cannot listen on 127.0.0.1:{port}")) && text.contains("--bind"),
        "{text}"
    );
}

/// The acceptance walk: `migrate down --steps 1` then `up` through the real binary.
async fn migrate_round_trip_via_the_cli(backend: Backend) {
    let store = TestStore::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        agora(dir.path())
            .args(args)
            .env("AGORA_DATABASE_URL", &store.url)
            .output()
            .unwrap()
    };

    let up = cli(&["migrate", "up"]);
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(stdout(&up).contains("applied identity/0001_create_users"));

    let down = cli(&["migrate", "down", "--steps", "1"]);
    assert!(down.status.success(), "{}", stderr(&down));
    // Webhooks is the last context in CONTEXTS with migrations, so its newest is the last applied.
    assert!(stdout(&down).contains("reverted webhooks/0001_create_webhooks"));
    assert!(stdout(&cli(&["migrate", "status"])).contains("pending"));

    let again = cli(&["migrate", "up"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let status = stdout(&cli(&["migrate", "status"]));
    assert!(
        status.contains("identity/0001_create_users") && status.contains("applied"),
        "{status}"
    );

    let seed = cli(&["seed"]);
    assert!(seed.status.success(), "{}", stderr(&seed));
    assert!(stdout(&seed).contains("created admin@agora.local"));
    assert!(stdout(&cli(&["seed"])).contains("exists  admin@agora.local"));
}

#[tokio::test]
async fn migrate_round_trip_via_the_cli_on_sqlite() {
    migrate_round_trip_via_the_cli(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrate_round_trip_via_the_cli_on_postgres() {
    migrate_round_trip_via_the_cli(Backend::Postgres).await;
}

#[tokio::test]
async fn user_create_makes_a_verified_account_that_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "Ops@Example.org",
            "--name",
            "Ops Person",
            "--admin",
            "--tier",
            "pro",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("created ops@example.org (admin, tier pro, verified)"),
        "{text}"
    );
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("generated password printed once")
        .to_owned();

    let again = run(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "ops@example.org",
            "--name",
            "Ops Person",
        ],
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already registered"),
        "{}",
        stderr(&again)
    );

    let mut stdin_user = agora(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "piped@example.org",
            "--name",
            "Pip Ed",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        stdin_user
            .stdin
            .take()
            .unwrap()
            .write_all(b"Piped1234\n")
            .unwrap();
    }
    let piped = stdin_user.wait_with_output().unwrap();
    assert!(piped.status.success());
    assert!(
        !stdout(&piped).contains("Piped1234"),
        "a given password is never echoed"
    );

    let weak = agora(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "weak@example.org",
            "--name",
            "We Ak",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"weak\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(!weak.status.success());
    assert!(
        stderr(&weak).contains("Password must be at least 8 characters"),
        "{}",
        stderr(&weak)
    );

    let port = free_port();
    let mut server = agora(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port, &mut server).await;
    let client = reqwest::Client::new();
    for (email, password) in [
        ("ops@example.org", password.as_str()),
        ("piped@example.org", "Piped1234"),
    ] {
        let login = client
            .post(format!("http://127.0.0.1:{port}/api/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "{email}");
        let body: serde_json::Value = login.json().await.unwrap();
        assert_eq!(body["user"]["isVerified"], true);
    }
    let _ = server.kill();
    let _ = server.wait();
}

/// `agora probe` is the container health check: 0 when the server answers 2xx, otherwise a
/// non-zero exit naming what failed.
#[tokio::test]
async fn probe_passes_on_a_serving_server_and_fails_when_nothing_answers() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = agora(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port, &mut server).await;

    let healthy = run(
        dir.path(),
        &["probe", "--url", &format!("http://127.0.0.1:{port}/ready")],
    );
    let missing = run(
        dir.path(),
        &[
            "probe",
            "--url",
            &format!("http://127.0.0.1:{port}/api/no-such-page"),
        ],
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let down = run(
        dir.path(),
        &["probe", "--url", &format!("http://127.0.0.1:{port}/health")],
    );

    assert!(healthy.status.success(), "{}", stderr(&healthy));
    assert!(
        stdout(&healthy).contains("answered 200 OK"),
        "{}",
        stdout(&healthy)
    );
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("answered 404"),
        "{}",
        stderr(&missing)
    );
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("did not answer"),
        "{}",
        stderr(&down)
    );
}
