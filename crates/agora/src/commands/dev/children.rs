//! Child processes: started from this executable, their output prefixed with their name, a
//! crash reported and followed by a restart with exponential backoff, and a stop that sends
//! SIGTERM (the children drain like `agora serve` does) and kills what is left after a grace.
//!
//! Uses `std::process` (waits on the blocking pool) rather than tokio's process support, which
//! the workspace does not enable; signals go through `kill(1)` because the crate forbids unsafe
//! code and a signal crate for one call is not worth it.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, ExitStatus, Stdio},
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;

use super::plan::Child;

/// Backoff after the first crash; doubles per consecutive crash up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A child that ran this long before exiting starts again from the first backoff.
const STABLE_AFTER: Duration = Duration::from_secs(30);

/// A supervised child: its current pid (0 while not running).
pub struct Supervised {
    pub pid: Arc<AtomicU32>,
    task: tokio::task::JoinHandle<()>,
}

impl Supervised {
    /// Waits for the supervision loop to end (after a stop).
    pub async fn finished(self) {
        let _ = self.task.await;
    }
}

/// The command line and environment of `child`.
pub fn command(
    exe: &Path,
    child: &Child,
    common_env: &[(String, String)],
    args: &[&str],
) -> Command {
    let mut command = Command::new(exe);
    command.args(args);
    command.env("AGORA_DATA_DIR", &child.data_dir);
    command.env("AGORA_BIND", child.bind.to_string());
    if let Some(url) = &child.database_url {
        command.env("AGORA_DATABASE_URL", url);
    }
    for (key, value) in common_env.iter().chain(&child.env) {
        command.env(key, value);
    }
    command.stdin(Stdio::null());
    // Its own process group: a terminal's Ctrl-C reaches the launcher only, which then stops
    // the children in order instead of them all racing to exit.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
}

/// Starts `child` and keeps it running until `stop` turns true.
pub fn supervise(
    exe: &Path,
    child: &Child,
    common_env: &[(String, String)],
    grace: Duration,
    stop: watch::Receiver<bool>,
) -> Supervised {
    let pid = Arc::new(AtomicU32::new(0));
    let (exe, child, env) = (exe.to_owned(), child.clone(), common_env.to_vec());
    let task = tokio::spawn(run(exe, child, env, grace, stop, pid.clone()));
    Supervised { pid, task }
}

async fn run(
    exe: std::path::PathBuf,
    child: Child,
    env: Vec<(String, String)>,
    grace: Duration,
    mut stop: watch::Receiver<bool>,
    pid: Arc<AtomicU32>,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        if *stop.borrow() {
            return;
        }
        let mut command = command(
            &exe,
            &child,
            &env,
            &["serve", "--target", &child.target, "--exit-with-parent"],
        );
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let started = Instant::now();
        let mut process = match command.spawn() {
            Ok(process) => process,
            Err(error) => {
                eprintln!("[dev] cannot start {}: {error}", child.name);
                return;
            }
        };
        pid.store(process.id(), Ordering::SeqCst);
        prefix_lines(&child.name, process.stdout.take());
        prefix_lines(&child.name, process.stderr.take());
        let mut exited = tokio::task::spawn_blocking(move || process.wait());
        let status = tokio::select! {
            status = &mut exited => status,
            () = stopped(&mut stop) => {
                terminate(&child.name, pid.load(Ordering::SeqCst), &mut exited, grace).await;
                pid.store(0, Ordering::SeqCst);
                return;
            }
        };
        pid.store(0, Ordering::SeqCst);
        if *stop.borrow() {
            return;
        }
        let status = describe(status.ok().and_then(Result::ok));
        if started.elapsed() >= STABLE_AFTER {
            backoff = FIRST_BACKOFF;
        }
        eprintln!(
            "[dev] {} exited ({status}); restarting in {backoff:?}",
            child.name
        );
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stopped(&mut stop) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// SIGTERM, then SIGKILL if it has not exited within `grace`.
async fn terminate(
    name: &str,
    pid: u32,
    exited: &mut tokio::task::JoinHandle<std::io::Result<ExitStatus>>,
    grace: Duration,
) {
    signal("-TERM", pid);
    if tokio::time::timeout(grace, &mut *exited).await.is_err() {
        eprintln!("[dev] {name} did not stop within {grace:?}; killing it");
        signal("-KILL", pid);
        let _ = exited.await;
    }
}

fn signal(signal: &str, pid: u32) {
    if pid != 0 {
        let _ = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn describe(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) => status.to_string(),
        None => "status unknown".to_owned(),
    }
}

/// Copies a child's output to ours, each line prefixed with its name.
fn prefix_lines(name: &str, stream: Option<impl std::io::Read + Send + 'static>) {
    let Some(stream) = stream else { return };
    let name = name.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            eprintln!("[{name}] {line}");
        }
    });
}

/// Runs a one-off command for `child` (`seed`), its output prefixed; fails on a non-zero exit.
pub async fn run_once(
    exe: &Path,
    child: &Child,
    common_env: &[(String, String)],
    args: &[&str],
) -> anyhow::Result<()> {
    let mut command = command(exe, child, common_env, args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut process = command.spawn()?;
    let label = format!("{} {}", child.name, args[0]);
    prefix_lines(&label, process.stdout.take());
    prefix_lines(&label, process.stderr.take());
    let status = tokio::task::spawn_blocking(move || process.wait()).await??;
    anyhow::ensure!(
        status.success(),
        "`agora {}` for {} failed ({status})",
        args.join(" "),
        child.name
    );
    Ok(())
}
