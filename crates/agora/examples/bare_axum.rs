//! The ceiling for `/health`: a bare axum handler on the same runtime settings as `agora`
//! (`#[tokio::main]`, one worker per core) and no middleware at all. `bench/compare` serves it
//! beside the full stack, so the cost of Agora's edge is a ratio measured in one run.
//!
//! `cargo run --release --example bare_axum -- 127.0.0.1:3900`

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3900".to_owned());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!("bare axum /health on http://{bind}");
    axum::serve(listener, Router::new().route("/health", get(health))).await
}
