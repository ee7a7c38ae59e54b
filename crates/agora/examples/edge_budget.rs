//! The cost budget of the HTTP edge (issue 18, item 1): what each cross-cutting layer adds to a
//! request, measured in process. The real `app_router` is driven with `tower::ServiceExt::oneshot`
//! on one thread (no sockets, no scheduler: only the CPU work of routing, layers and body), once
//! with every layer, once with none, and with each layer off in turn ("all but X") and on alone
//! ("only X"). Two routes: `/health` and a public read of an 8.6 KB body (the size of a cached
//! product list page) under `/api/`, so the rate limiter counts it. `bench/edge_budget.sh` runs it
//! on the release build and writes `bench/results/edge-budget.md`; results are numbers, never
//! assertions.
//!
//! `cargo run --release --example edge_budget -- [--iterations 100000] [--rounds 3] [--log info]`

use std::{net::SocketAddr, sync::Arc, time::Instant};

use agora_adapters::ratelimit::MemoryRateLimiter;
use agora_domain::ratelimit::Quota;
use agora_http::{
    app_router_with, caching, AppParts, Check, EdgeLayers, HttpSettings, RateLimitSettings,
    ReadinessProbe, SecuritySettings,
};
use async_trait::async_trait;
use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Request},
    middleware,
    routing::get,
    Router,
};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use utoipa_axum::router::OpenApiRouter;

struct AlwaysReady;

#[async_trait]
impl ReadinessProbe for AlwaysReady {
    async fn checks(&self) -> Vec<Check> {
        Vec::new()
    }
}

/// A public read answering fixed bytes with their validator, as a catalog cache hit does.
fn public_list(body: &'static [u8]) -> OpenApiRouter {
    OpenApiRouter::new().merge(
        Router::new()
            .route(
                "/api/bench/list",
                get(move || async move {
                    (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::ETAG, "\"bench-list\""),
                        ],
                        body,
                    )
                }),
            )
            .route_layer(middleware::from_fn(caching::public_read))
            .into(),
    )
}

fn settings() -> HttpSettings {
    let roomy = Quota {
        count: u32::MAX,
        period: std::time::Duration::from_secs(1),
    };
    HttpSettings {
        body_limit: agora_http::DEFAULT_BODY_LIMIT,
        security: SecuritySettings::default(),
        rate_limit: RateLimitSettings {
            enabled: true,
            anonymous: roomy,
            free: roomy,
            pro: roomy,
            enterprise: roomy,
            trusted_proxies: Vec::new(),
        },
        metrics_token: None,
        // The web app is the router's fallback; neither measured path reaches it.
        web: agora_web::WebUi::embedded(),
    }
}

fn router(layers: EdgeLayers, body: &'static [u8]) -> Router {
    let parts = AppParts {
        modules: vec![public_list(body)],
        readiness: Arc::new(AlwaysReady),
        authenticator: None,
        rate_limiter: Some(Arc::new(MemoryRateLimiter::new())),
        metrics: Vec::new(),
    };
    app_router_with(parts, &settings(), layers)
}

/// Nanoseconds per request over `iterations` sequential requests (after a warm-up).
async fn per_request(router: &Router, path: &str, iterations: u32) -> f64 {
    let peer: SocketAddr = ([127, 0, 0, 1], 40000).into();
    let call = || async {
        let mut request = Request::get(path)
            .header(header::HOST, "127.0.0.1")
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = router.clone().oneshot(request).await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len()
    };
    for _ in 0..iterations / 10 {
        call().await;
    }
    let started = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(call().await);
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations)
}

const NAMES: [&str; 8] = [
    "request id + error envelope",
    "metrics",
    "tracing span",
    "timeout",
    "rate limiter + client ip",
    "security headers",
    "compression",
    "ETag / 304",
];

fn with(mut layers: EdgeLayers, index: usize, on: bool) -> EdgeLayers {
    let flag = match index {
        0 => &mut layers.request_id,
        1 => &mut layers.metrics,
        2 => &mut layers.trace,
        3 => &mut layers.timeout,
        4 => &mut layers.rate_limit,
        5 => &mut layers.security_headers,
        6 => &mut layers.compression,
        _ => &mut layers.conditional_get,
    };
    *flag = on;
    layers
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let iterations: u32 = arg("--iterations").map_or(100_000, |v| v.parse().unwrap());
    let rounds: usize = arg("--rounds").map_or(3, |v| v.parse().unwrap());
    let log = arg("--log").unwrap_or_else(|| "warn".into());
    // As `agora serve` does, but writing to nowhere: what is priced is producing the events.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&log))
        .json()
        .with_writer(std::io::sink)
        .init();
    let body: &'static [u8] = Box::leak(
        format!(
            "{{\"data\":[{}],\"meta\":{{}}}}",
            vec![r#"{"id":"0193a3f0-7d1e-7000-8000-000000000000","name":"Oak lamp","price":{"amount":1234,"currency":"EUR"},"description":"A lamp made to last, number 1. A lamp made to last, number 1. A lamp made to last, number 1.","stock":7,"active":true,"version":1,"createdAt":"2026-12-01T00:00:00Z","updatedAt":"2026-12-01T00:00:00Z"}"#; 24].join(",")
        )
        .into_bytes()
        .into_boxed_slice(),
    );

    let mut configs = vec![
        ("none".to_owned(), EdgeLayers::NONE),
        ("all".to_owned(), EdgeLayers::ALL),
    ];
    for (i, name) in NAMES.iter().enumerate() {
        configs.push((format!("all but {name}"), with(EdgeLayers::ALL, i, false)));
        configs.push((format!("only {name}"), with(EdgeLayers::NONE, i, true)));
    }
    let routers: Vec<Router> = configs.iter().map(|(_, l)| router(*l, body)).collect();
    let paths = ["/health", "/api/bench/list"];
    let mut samples = vec![vec![Vec::new(); paths.len()]; configs.len()];
    // Rounds alternate the configurations so drift (other load on the machine) spreads evenly.
    for _ in 0..rounds {
        for (c, router) in routers.iter().enumerate() {
            for (p, path) in paths.iter().enumerate() {
                samples[c][p].push(per_request(router, path, iterations).await);
            }
        }
    }
    let ns: Vec<Vec<f64>> = samples
        .into_iter()
        .map(|per_path| per_path.into_iter().map(median).collect())
        .collect();

    println!("## Edge cost budget (in process, `tower::ServiceExt::oneshot`, log level `{log}`)\n");
    println!(
        "{} cores; {iterations} sequential requests per measurement, median of {rounds} \
         alternating rounds; ns per request. \"cost when removed\" = all − all but X; \
         \"cost alone\" = only X − none.\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("| layers | /health ns | list (8.6 KB) ns |");
    println!("|---|---|---|");
    for (name, row) in [("none", &ns[0]), ("all", &ns[1])] {
        println!("| {name} | {:.0} | {:.0} |", row[0], row[1]);
    }
    println!("\n| layer | /health: cost when removed | cost alone | list: cost when removed | cost alone |");
    println!("|---|---|---|---|---|");
    for (i, name) in NAMES.iter().enumerate() {
        let (but, only) = (&ns[2 + 2 * i], &ns[3 + 2 * i]);
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} |",
            ns[1][0] - but[0],
            only[0] - ns[0][0],
            ns[1][1] - but[1],
            only[1] - ns[0][1],
        );
    }
}
