//! Webhooks per the Standard Webhooks spec (API.md "Platform", ADR 0019): a receiver in Python
//! verifies every signature with its own HMAC (not our code), fails twice and sees the retries
//! keep one `webhook-id`; a tampered body fails its check; internal targets are refused unless
//! allow-listed — IP literals at creation, hostnames after resolution at delivery.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use agora::config::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{spawn_app_with, Backend, Spawn, TestApp};

/// Checks `webhook-signature` against `v1,base64(HMAC-SHA256(base64decode(secret after
/// "whsec_"), "{id}.{timestamp}.{body}"))`, prints one JSON line per request, answers 400 to a
/// bad signature, 500 to the first FAIL good ones, 204 after.
const RECEIVER: &str = r#"
import base64, hashlib, hmac, http.server, json, sys
port, secret, fail = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
key = base64.b64decode(secret[len("whsec_"):])
seen = {"good": 0}
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        mid, ts = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        expected = base64.b64encode(hmac.new(key, f"{mid}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
        sigs = [s.split(",", 1)[1] for s in self.headers["webhook-signature"].split() if s.startswith("v1,")]
        valid = any(hmac.compare_digest(expected, s) for s in sigs)
        seen["good"] += valid
        status = 400 if not valid else (500 if seen["good"] <= fail else 204)
        print(json.dumps({"id": mid, "timestamp": ts, "signature": self.headers["webhook-signature"],
                          "valid": valid, "body": body, "status": status}), flush=True)
        self.send_response(status)
        self.end_headers()
    def log_message(self, *args):
        pass
print("ready", flush=True)
http.server.HTTPServer(("127.0.0.1", port), Hook).serve_forever()
"#;

struct Receiver {
    child: Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start(port: u16, secret: &str, fail: u32) -> Self {
        let mut child = Command::new("python3")
            .args(["-c", RECEIVER, &port.to_string(), secret, &fail.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let stdout = child.stdout.take().unwrap();
        // A thread reads the pipe; the test awaits lines without blocking the runtime the app
        // under test shares with it.
        let (send, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, lines }
    }

    async fn next_line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(20), self.lines.recv())
            .await
            .expect("the receiver saw nothing")
            .expect("the receiver exited")
    }

    async fn next(&mut self) -> Value {
        serde_json::from_str(&self.next_line().await).unwrap()
    }
}

async fn app_allowing(backend: Backend, allowed: &'static str) -> TestApp {
    spawn_app_with(
        backend,
        Spawn {
            configure: Some(Box::new(move |config: &mut Config| {
                config.set_section(
                    "webhooks",
                    json!({"allowed_networks": allowed, "retry_schedule": "20ms,20ms,20ms"}),
                );
            })),
            ..Spawn::default()
        },
    )
    .await
}

async fn deliveries(app: &TestApp, admin: &str, id: &str) -> Value {
    app.get_as(admin, &format!("/api/admin/webhooks/{id}/deliveries"))
        .await
        .json()
        .await
        .unwrap()
}

async fn signed_deliveries_survive_failures_with_one_id(backend: Backend) {
    let app = app_allowing(backend, "127.0.0.0/8").await;
    let admin = app.admin_token().await;
    app.drain_outbox().await; // the admin's own `user.created` is not for the endpoint below
    let port = crate::cli::free_port();
    let created = app
        .post(
            "/api/admin/webhooks",
            Some(&admin),
            &json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["user.created"],
                    "description": "CRM sync"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let webhook: Value = created.json().await.unwrap();
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = webhook["id"].as_str().unwrap().to_owned();
    let listed: Value = app
        .get_as(&admin, "/api/admin/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(
        listed["data"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    let mut receiver = Receiver::start(port, &secret, 2);
    assert_eq!(receiver.next_line().await, "ready");
    app.register_for_mail("crm@example.org").await;
    let mut attempts = Vec::new();
    for _ in 0..3 {
        attempts.push(receiver.next().await);
    }
    for attempt in &attempts {
        assert_eq!(attempt["valid"], true, "{attempt}");
        assert_eq!(
            attempt["id"], attempts[0]["id"],
            "retries keep the webhook-id"
        );
        let body: Value = serde_json::from_str(attempt["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["type"], "user.created");
        assert_eq!(body["data"]["email"], "crm@example.org");
    }
    assert_eq!(
        attempts
            .iter()
            .map(|a| a["status"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [500, 500, 204]
    );

    // The log: newest first, one entry per attempt, all of one message.
    let mut log = deliveries(&app, &admin, &id).await;
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while log["data"].as_array().map(Vec::len) != Some(3) {
        assert!(std::time::Instant::now() < until, "{log}");
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: the last attempt is logged
        log = deliveries(&app, &admin, &id).await;
    }
    let statuses: Vec<(&str, u64, u64)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["messageId"], attempts[0]["id"]);
            assert_eq!(d["event"], "user.created");
            (
                d["status"].as_str().unwrap(),
                d["responseCode"].as_u64().unwrap(),
                d["attempt"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("succeeded", 204, 3),
            ("failed", 500, 2),
            ("failed", 500, 1)
        ]
    );

    // The receiver's check is real: the same headers over a tampered body fail it.
    let last = &attempts[2];
    let tampered = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/hook"))
        .header("webhook-id", last["id"].as_str().unwrap())
        .header("webhook-timestamp", last["timestamp"].as_str().unwrap())
        .header("webhook-signature", last["signature"].as_str().unwrap())
        .body(last["body"].as_str().unwrap().replace("crm@", "evil@"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::BAD_REQUEST);
    assert_eq!(receiver.next().await["valid"], false);

    // A test message, then the endpoint's lifecycle.
    let test = app
        .post(
            &format!("/api/admin/webhooks/{id}/test"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(test.status(), StatusCode::ACCEPTED);
    let queued: Value = test.json().await.unwrap();
    let seen = receiver.next().await;
    assert_eq!(seen["valid"], true);
    assert_eq!(seen["id"], queued["messageId"]);
    assert!(seen["body"].as_str().unwrap().contains("webhook.test"));
    let disabled = app
        .patch(
            &format!("/api/admin/webhooks/{id}"),
            &admin,
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    assert_eq!(disabled.json::<Value>().await.unwrap()["enabled"], false);
    let deleted = app
        .client
        .delete(app.url(&format!("/api/admin/webhooks/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app
        .get_as(&admin, &format!("/api/admin/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

async fn internal_targets_are_refused_unless_allow_listed(backend: Backend) {
    let app = app_allowing(backend, "").await;
    let admin = app.admin_token().await;
    app.drain_outbox().await; // the admin's own `user.created` is not for the endpoint below
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
    ] {
        let answer = app
            .post(
                "/api/admin/webhooks",
                Some(&admin),
                &json!({"url": url, "events": ["user.created"]}),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{url}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["details"][0]["field"], "url", "{body}");
    }
    let bad_event = app
        .post(
            "/api/admin/webhooks",
            Some(&admin),
            &json!({"url": "http://example.com/hook", "events": ["user.deleted"]}),
        )
        .await;
    assert_eq!(bad_event.status(), StatusCode::BAD_REQUEST);

    // A hostname passes creation and is checked after resolution, at delivery.
    let port = crate::cli::free_port();
    let created: Value = app
        .post(
            "/api/admin/webhooks",
            Some(&admin),
            &json!({"url": format!("http://localhost:{port}/hook"), "events": ["user.created"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let test = app
        .post(
            &format!("/api/admin/webhooks/{id}/test"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(test.status(), StatusCode::ACCEPTED);
    let mut log = deliveries(&app, &admin, id).await;
    let until = std::time::Instant::now() + Duration::from_secs(10);
    // Four attempts (the test's schedule retries three times 20 ms apart), every one refused.
    while log["data"].as_array().map(Vec::len) != Some(4) {
        assert!(std::time::Instant::now() < until, "{log}");
        tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the attempts are logged
        log = deliveries(&app, &admin, id).await;
    }
    let statuses: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| {
            assert_eq!(attempt["event"], "webhook.test", "{attempt}");
            assert!(attempt["responseCode"].is_null());
            assert!(
                attempt["error"].as_str().unwrap().contains("refused"),
                "{attempt}"
            );
            attempt["status"].as_str().unwrap()
        })
        .collect();
    assert_eq!(statuses, ["dead", "failed", "failed", "failed"]);
    assert!(
        listener.accept().is_err(),
        "a connection reached the internal target"
    );
}

macro_rules! on_both {
    ($($name:ident),+) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(crate::support::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(crate::support::Backend::Postgres).await;
            }
        }
    )+};
}

on_both!(
    signed_deliveries_survive_failures_with_one_id,
    internal_targets_are_refused_unless_allow_listed
);
