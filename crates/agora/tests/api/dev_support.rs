//! `agora dev` as a test fixture: the real launcher in a child process, on a free public port
//! and a temporary data directory, with the table it prints parsed.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// One row of the table `agora dev` prints.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub url: String,
    pub pid: u32,
}

pub struct Dev {
    process: Child,
    pub public: String,
    pub rows: Vec<Row>,
    _data: tempfile::TempDir,
}

/// Whether process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|rest| !rest.starts_with('Z'))
    })
}

fn signal(signal: &str, pid: u32) {
    let _ = Command::new("kill")
        .arg(signal)
        .arg(pid.to_string())
        .status();
}

impl Dev {
    /// Starts `agora dev ARGS` and waits (up to 4 minutes: a debug build seeds and migrates
    /// every database) until it prints its table.
    pub fn start(args: &[&str], env: &[(&str, String)]) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .arg("dev")
            .args(args)
            .args(["--bind", &bind])
            .env("AGORA_DATA_DIR", data.path())
            .env("AGORA_PASSWORD_HASH__MEMORY_KIB", "64")
            .env("AGORA_PASSWORD_HASH__ITERATIONS", "1")
            .env("AGORA_LOG", "warn")
            .env("AGORA_OUTBOX_POLL_INTERVAL", "50ms")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut process = command.spawn().expect("agora dev starts");
        let stdout = process.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(240);
        let mut rows = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match received.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => {
                    signal("-TERM", process.id());
                    panic!("agora dev {args:?} printed no table within 4 minutes");
                }
            };
            if line.starts_with("Serving on") {
                break;
            }
            let columns: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with("  ") && columns.len() >= 4 && columns[3].parse::<u32>().is_ok() {
                rows.push(Row {
                    name: columns[0].to_owned(),
                    url: columns[2].to_owned(),
                    pid: columns[3].parse().unwrap(),
                });
            }
        }
        Self {
            process,
            public: format!("http://{bind}"),
            rows,
            _data: data,
        }
    }

    pub fn row(&self, name: &str) -> &Row {
        self.rows
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no `{name}` in {:?}", self.rows))
    }

    /// The launcher's direct children right now.
    pub fn children(&self) -> Vec<u32> {
        let output = Command::new("pgrep")
            .args(["-P", &self.process.id().to_string()])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// SIGTERM, as Ctrl-C would; returns whether it exited 0 within `within`.
    pub async fn terminate(&mut self, within: Duration) -> bool {
        signal("-TERM", self.process.id());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "agora dev still runs {within:?} after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await; // poll: the launcher's exit
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if matches!(self.process.try_wait(), Ok(None)) {
            signal("-TERM", self.process.id());
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50)); // poll: the launcher's exit
            }
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// Polls `probe` until it returns `Some`, failing after `deadline`.
pub async fn until<T, F, Fut>(deadline: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + deadline;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < until, "{what}: not within {deadline:?}");
        tokio::time::sleep(Duration::from_millis(100)).await; // poll: the condition above
    }
}
