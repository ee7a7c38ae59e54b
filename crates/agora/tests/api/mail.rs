//! Mail delivery: through a real SMTP server, and retried until delivered when the transport fails.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use agora_adapters::memory::RecordingMailer;
use agora_domain::{
    mail::OutgoingMail,
    ports::{MailError, Mailer},
};
use async_trait::async_trait;
use serde_json::{json, Value};

use crate::support::{eventually, spawn_app_with, Backend, Spawn};

/// An SMTP sink (Python's aiosmtpd) writing every message into a Maildir; killed on drop.
struct SmtpSink {
    child: Child,
    port: u16,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sink(maildir: &Path) -> SmtpSink {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        crate::support::service_missing(
            "the SMTP sink (Python's aiosmtpd)",
            "the package is not importable",
            "scripts/test installs it into the project's venv",
        );
    }
    let port = crate::cli::free_port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .args(["-l", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let until = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "aiosmtpd did not listen within 15 s"
        );
        std::thread::sleep(Duration::from_millis(50)); // poll: until aiosmtpd listens
    }
    SmtpSink { child, port }
}

fn delivered(maildir: &Path) -> Vec<String> {
    std::fs::read_dir(maildir.join("new"))
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn verification_mail_goes_through_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let sink = start_sink(&maildir);
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let spawn = Spawn {
        configure: Some(Box::new(move |config| {
            config.smtp_url = Some(agora::config::Secret::new(url))
        })),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["checks"]["smtp"]["status"], "up", "{ready}");

    let body = json!({"email": "smtp@example.org", "password": "Secret123", "name": "Sam Smtp"});
    assert_eq!(app.post("/api/users", None, &body).await.status(), 201);
    let until = Instant::now() + Duration::from_secs(10);
    let message = loop {
        if let Some(message) = delivered(&maildir)
            .into_iter()
            .find(|m| m.contains("smtp@example.org"))
        {
            break message;
        }
        assert!(
            Instant::now() < until,
            "no mail reached the SMTP server within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the mail arrives
    };
    assert!(message.contains("Subject: Verify your email"), "{message}");
    assert!(message.contains("verification link"), "{message}");
    assert!(
        message.contains("multipart/alternative"),
        "text and HTML parts: {message}"
    );
    let mailbox = app
        .get_as(&app.admin_token().await, "/api/admin/mailbox")
        .await;
    assert_eq!(
        mailbox.status(),
        404,
        "no embedded mailbox when SMTP is configured"
    );
}

/// Fails the first `failures` deliveries, then records.
struct FlakyMailer {
    failures: u32,
    calls: AtomicU32,
    inner: RecordingMailer,
}

#[async_trait]
impl Mailer for FlakyMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err(MailError("connection refused (simulated)".into()));
        }
        self.inner.send(mail).await
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_it_succeeds() {
    let recorder = RecordingMailer::new();
    let flaky = Arc::new(FlakyMailer {
        failures: 2,
        calls: AtomicU32::new(0),
        inner: recorder.clone(),
    });
    let spawn = Spawn {
        mailer: Some(flaky.clone()),
        ..Default::default()
    };
    let app = spawn_app_with(Backend::Sqlite, spawn).await;
    let body = json!({"email": "retry@example.org", "password": "Secret123", "name": "Ray Try"});
    assert_eq!(app.post("/api/users", None, &body).await.status(), 201);

    // Backoff is 1 s then 2 s: the third attempt delivers.
    eventually(Duration::from_secs(15), || {
        !recorder.sent_to("retry@example.org").is_empty()
    })
    .await;
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
    app.drain_outbox().await;
    let sql = "SELECT attempts FROM outbox WHERE kind = 'mail'";
    let attempts: i64 = match &app.db {
        agora_adapters::store::Database::Sqlite(db) => sqlx::query_scalar(sql)
            .fetch_one(db.reader())
            .await
            .unwrap(),
        agora_adapters::store::Database::Postgres(_) => unreachable!("this test runs on SQLite"),
    };
    assert_eq!(attempts, 3);
}
