//! The gateway in process, in front of stand-in upstreams that record what reaches them: what
//! it forwards (request id, traceparent, forwarded-for, no hop-by-hop headers), what it refuses
//! before forwarding (bad tokens, `/internal`), large bodies both ways, and a 503 in the error
//! envelope within the timeout for a service that is down or hangs.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora::{config::Config, Application, Wiring};
use axum::{body::Body, extract::Request, http::HeaderMap, Router};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::support::{test_config, Backend, TestStore};

/// An upstream that records each API request's headers and echoes its body back, streamed. The
/// gateway's own calls (its `/ready` prober, the JWKS its verifier loads) are not recorded.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<HeaderMap>>>);

impl Recorder {
    async fn serve(&self) -> SocketAddr {
        let seen = self.0.clone();
        let app = Router::new().fallback(move |request: Request| {
            let seen = seen.clone();
            async move {
                if request.uri().path().starts_with("/api/") {
                    seen.lock().unwrap().push(request.headers().clone());
                }
                Body::new(request.into_body())
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    fn last(&self) -> HeaderMap {
        self.0
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request reached the upstream")
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Accepts connections and never answers: a hung service.
async fn hanging_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// A loopback port nothing listens on.
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

struct Gateway {
    addr: SocketAddr,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
    _store: TestStore,
}

impl Gateway {
    async fn start(configure: impl FnOnce(&mut Config)) -> Self {
        let store = TestStore::create(Backend::Sqlite).await;
        let mut config = test_config(&store);
        configure(&mut config);
        let app = Application::start(&config, "gateway", Wiring::default())
            .await
            .expect("gateway starts");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            client: reqwest::Client::new(),
            _stop: stop,
            _store: store,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn upstreams(config: &mut Config, default: &[SocketAddr], timeout: &str) {
    let list: Vec<String> = default.iter().map(|a| format!("http://{a}")).collect();
    config.set_section(
        "gateway",
        json!({ "upstreams": list.join(","), "timeout": timeout }),
    );
}

#[tokio::test]
async fn request_id_and_traceparent_reach_the_service_with_a_new_span() {
    let recorder = Recorder::default();
    let upstream = recorder.serve().await;
    let gateway = Gateway::start(|c| upstreams(c, &[upstream], "2s")).await;
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = gateway
        .client
        .get(gateway.url("/api/products?limit=1"))
        .header("x-request-id", "trace-me-1")
        .header("traceparent", incoming)
        .header("connection", "keep-alive, x-secret-hop")
        .header("x-secret-hop", "must not pass")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "trace-me-1");
    let seen = recorder.last();
    assert_eq!(seen["x-request-id"], "trace-me-1");
    let traceparent = seen["traceparent"].to_str().unwrap();
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "same trace");
    assert_ne!(parts[2], "00f067aa0ba902b7", "a new span id for the hop");
    assert!(
        !seen.contains_key("x-secret-hop"),
        "named by Connection: hop-by-hop"
    );
    // The client is not a trusted proxy: its claim is replaced by the address it came from.
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen["x-forwarded-proto"], "http");

    // Without ids the gateway creates both.
    gateway
        .client
        .get(gateway.url("/api/products"))
        .send()
        .await
        .unwrap();
    let seen = recorder.last();
    assert!(!seen["x-request-id"].is_empty());
    assert_eq!(seen["traceparent"].to_str().unwrap().len(), 55);
}

#[tokio::test]
async fn a_large_body_streams_through_both_ways() {
    let recorder = Recorder::default();
    let upstream = recorder.serve().await;
    let gateway = Gateway::start(|c| upstreams(c, &[upstream], "5s")).await;
    // 24 MiB: far past the services' 1 MiB body limit, so nothing on the way caps or collects it.
    let body: Vec<u8> = (0..24 * 1024 * 1024)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    let response = gateway
        .client
        .post(gateway.url("/api/posts/echo"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echoed = response.bytes().await.unwrap();
    assert_eq!(echoed.len(), body.len());
    assert!(echoed == body, "the body came back unchanged");
}

#[tokio::test]
async fn a_bad_token_and_internal_paths_are_refused_before_reaching_a_service() {
    let recorder = Recorder::default();
    let upstream = recorder.serve().await;
    let gateway = Gateway::start(|c| upstreams(c, &[upstream], "2s")).await;
    let response = gateway
        .client
        .get(gateway.url("/api/users/me"))
        .bearer_auth("not-a-jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "authentication_failed");
    assert!(body["requestId"].is_string());
    for path in ["/internal/catalog/reservations", "/api/unknown"] {
        let response = gateway.client.get(gateway.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
    }
    assert_eq!(recorder.count(), 0, "nothing was forwarded");
}

#[tokio::test]
async fn a_hung_or_dead_service_is_a_503_in_the_error_shape_within_the_timeout() {
    let recorder = Recorder::default();
    let alive = recorder.serve().await;
    let hung = hanging_upstream().await;
    let dead = closed_port();
    let gateway = Gateway::start(|c| {
        upstreams(c, &[alive], "500ms");
        c.set_section("catalog_url", format!("http://{hung}"));
        c.set_section("content_url", format!("http://{dead}"));
    })
    .await;
    for (path, service) in [("/api/products", "catalog"), ("/api/posts", "content")] {
        let started = Instant::now();
        let response = gateway.client.get(gateway.url(path)).send().await.unwrap();
        let took = started.elapsed();
        assert_eq!(response.status(), 503, "{path}");
        assert!(took < Duration::from_secs(3), "{path} took {took:?}");
        assert_eq!(response.headers()["retry-after"], "1");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unavailable");
        assert_eq!(body["service"], service);
        assert!(body["requestId"].is_string());
    }
    // The other services still answer, and /ready names the failing ones.
    let ok = gateway
        .client
        .get(gateway.url("/api/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let ready = gateway
        .client
        .get(gateway.url("/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    let failing: Vec<&str> = body["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(failing, ["catalog", "content"], "{body}");
}

#[tokio::test]
async fn replicas_are_balanced_and_a_dead_one_is_skipped() {
    let (first, second) = (Recorder::default(), Recorder::default());
    let (a, b) = (first.serve().await, second.serve().await);
    let gateway = Gateway::start(|c| upstreams(c, &[a, closed_port(), b], "2s")).await;
    for _ in 0..12 {
        let response = gateway
            .client
            .get(gateway.url("/api/products"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "a dead replica costs no request");
    }
    assert!(
        first.count() >= 4 && second.count() >= 4,
        "{} / {}",
        first.count(),
        second.count()
    );
}
