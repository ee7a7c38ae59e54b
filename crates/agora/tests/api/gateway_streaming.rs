//! The gateway streams: a response's first bytes reach the client while the service is still
//! producing the rest, and a request's first bytes reach the service while the client is still
//! sending the rest — nothing waits for a whole body. And its rate limits answer 429 in the
//! error shape before a request is forwarded.

use std::{
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use agora::{config::Config, Application, Wiring};
use axum::{
    body::{Body, Bytes, HttpBody},
    extract::Request,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::{mpsc, oneshot},
};

use crate::support::{test_config, Backend, TestStore};

/// A response body fed by the test, chunk by chunk.
struct Fed(mpsc::Receiver<Bytes>);

impl HttpBody for Fed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|data| Ok(http_body::Frame::data(data))))
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn gateway(
    upstream: SocketAddr,
    configure: impl FnOnce(&mut Config),
) -> (SocketAddr, TestStore) {
    let store = TestStore::create(Backend::Sqlite).await;
    let mut config = test_config(&store);
    config.set_section(
        "gateway",
        json!({ "upstreams": format!("http://{upstream}") }),
    );
    configure(&mut config);
    let app = Application::start(&config, "gateway", Wiring::default())
        .await
        .unwrap();
    let addr = app.local_addr();
    tokio::spawn(app.run_until(std::future::pending()));
    (addr, store)
}

const STEP: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_response_reaches_the_client_while_the_service_still_writes_it() {
    let feed: Arc<Mutex<Option<mpsc::Receiver<Bytes>>>> = Arc::default();
    let (tx, rx) = mpsc::channel(4);
    *feed.lock().unwrap() = Some(rx);
    let upstream = serve(Router::new().route(
        "/api/products/stream",
        get(move || {
            let rx = feed.lock().unwrap().take().expect("one request");
            async move { Body::new(Fed(rx)) }
        }),
    ))
    .await;
    let (gateway, _store) = gateway(upstream, |_| {}).await;
    tx.send(Bytes::from_static(b"first,")).await.unwrap();
    let mut response = reqwest::get(format!("http://{gateway}/api/products/stream"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let first = tokio::time::timeout(STEP, response.chunk())
        .await
        .expect("first chunk in time");
    assert_eq!(
        first.unwrap().unwrap(),
        "first,",
        "before the service finished"
    );
    tx.send(Bytes::from_static(b"second")).await.unwrap();
    drop(tx);
    let rest = tokio::time::timeout(STEP, response.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(rest, "second");
}

#[tokio::test]
async fn a_request_reaches_the_service_while_the_client_still_sends_it() {
    let (got_first, first_arrived) = oneshot::channel::<Bytes>();
    let got_first = Arc::new(Mutex::new(Some(got_first)));
    let upstream = serve(Router::new().route(
        "/api/posts/upload",
        post(move |request: Request| {
            let got_first = got_first.clone();
            async move {
                let mut body = request.into_body();
                let mut total = 0;
                while let Some(frame) =
                    std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
                {
                    let data = frame.unwrap().into_data().unwrap_or_default();
                    if let Some(signal) = got_first.lock().unwrap().take() {
                        let _ = signal.send(data.clone());
                    }
                    total += data.len();
                }
                total.to_string()
            }
        }),
    ))
    .await;
    let (gateway, _store) = gateway(upstream, |_| {}).await;
    let mut socket = tokio::net::TcpStream::connect(gateway).await.unwrap();
    socket
        .write_all(
            b"POST /api/posts/upload HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\
              Transfer-Encoding: chunked\r\n\r\n6\r\nfirst,\r\n",
        )
        .await
        .unwrap();
    let first = tokio::time::timeout(STEP, first_arrived)
        .await
        .expect("first chunk in time");
    assert_eq!(first.unwrap(), "first,", "before the client finished");
    socket.write_all(b"6\r\nsecond\r\n0\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("12"), "{answer}");
}

#[tokio::test]
async fn the_gateway_limits_anonymous_callers_before_forwarding() {
    let forwarded = Arc::new(Mutex::new(0));
    let count = forwarded.clone();
    let upstream = serve(Router::new().route(
        "/api/categories",
        get(move || {
            *count.lock().unwrap() += 1;
            async { "[]" }
        }),
    ))
    .await;
    let (gateway, _store) = gateway(upstream, |c| {
        c.rate_limit.anonymous = "3/1m".parse().unwrap()
    })
    .await;
    let url = format!("http://{gateway}/api/categories");
    for _ in 0..3 {
        assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    }
    let limited = reqwest::get(&url).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        *forwarded.lock().unwrap(),
        3,
        "the fourth never left the gateway"
    );
}

#[tokio::test]
async fn two_gateways_on_one_redis_share_the_quota() {
    let redis = crate::support::redis_url().await;
    let prefix = format!("gwtest:{}:", uuid::Uuid::new_v4().simple());
    let upstream = serve(Router::new().route("/api/categories", get(|| async { "[]" }))).await;
    let configure = |c: &mut Config| {
        c.rate_limit.anonymous = "4/1m".parse().unwrap();
        c.redis_url = Some(agora::config::Secret::new(redis.clone()));
        c.redis_prefix = prefix.clone();
    };
    let (first, _a) = gateway(upstream, configure).await;
    let (second, _b) = gateway(upstream, configure).await;
    let mut allowed = 0;
    for i in 0..8 {
        let addr = if i % 2 == 0 { first } else { second };
        match reqwest::get(format!("http://{addr}/api/categories"))
            .await
            .unwrap()
            .status()
            .as_u16()
        {
            200 => allowed += 1,
            429 => break,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(allowed, 4, "one quota across both gateways");
    crate::support::redis_delete_prefix(&redis, &prefix).await;
}
