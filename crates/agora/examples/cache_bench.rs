//! The catalog cache measured without HTTP: time per product read and per list page through the
//! `Catalog` use case, cache on vs off. Over HTTP on this 2-core machine the load generator and the
//! HTTP stack dominate both cases (bench/catalog.py); this isolates what the cache saves.
//!
//! `cargo run --release -p agora --example cache_bench` (SQLite in a temporary directory). With
//! `BENCH_DATABASE_URL` (an empty Postgres database) and `BENCH_REDIS_URL` it also runs there.

use std::time::Instant;

use agora::{config::Config, Application};
use agora_app::catalog::{seed_catalog, Catalog};
use agora_domain::{catalog::ProductQuery, paging::PageRequest};

const READS: u32 = 20_000;

async fn measure(label: &str, mut config: Config, cache: bool) -> anyhow::Result<(f64, f64)> {
    config.set_section("catalog", serde_json::json!({ "cache": cache }));
    let modules = Application::start_headless(&config, "catalog").await?;
    let catalog: Catalog = modules.registry().get()?;
    seed_catalog(&catalog).await?;
    let query = || ProductQuery::new().paginate(PageRequest { page: 1, limit: 20 });
    let id = catalog.products(None, query()).await?.items[0].id;
    for _ in 0..100 {
        catalog.product(None, id).await?;
        catalog.products(None, query()).await?;
    }
    let started = Instant::now();
    for _ in 0..READS {
        catalog.product(None, id).await?;
    }
    let by_id = started.elapsed().as_secs_f64() * 1e6 / f64::from(READS);
    let started = Instant::now();
    for _ in 0..READS / 4 {
        catalog.products(None, query()).await?;
    }
    let list = started.elapsed().as_secs_f64() * 1e6 / f64::from(READS / 4);
    modules.stop().await;
    println!(
        "  {label:<28} cache {:<3}: product by id {by_id:>8.2} µs, list page {list:>8.2} µs",
        if cache { "on" } else { "off" }
    );
    Ok((by_id, list))
}

async fn compare(label: &str, config: Config) -> anyhow::Result<()> {
    let (cold_id, cold_list) = measure(label, config.clone(), false).await?;
    let (warm_id, warm_list) = measure(label, config, true).await?;
    println!(
        "  {label:<28} warm/cold: by id {:.1}x, list {:.1}x",
        cold_id / warm_id,
        cold_list / warm_list
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "catalog reads through the use case, {READS} by id / {} lists, one task:",
        READS / 4
    );
    let dir = tempfile::tempdir()?;
    let mut sqlite = Config::default();
    sqlite.data_dir = dir.path().to_path_buf();
    compare("SQLite (L1)", sqlite).await?;
    if let (Ok(database), Ok(redis)) = (
        std::env::var("BENCH_DATABASE_URL"),
        std::env::var("BENCH_REDIS_URL"),
    ) {
        let pg_dir = tempfile::tempdir()?;
        let mut postgres = Config::default();
        postgres.data_dir = pg_dir.path().to_path_buf();
        postgres.database_url = Some(agora::config::Secret::new(database));
        postgres.redis_url = Some(agora::config::Secret::new(redis));
        postgres.redis_prefix = format!("bench-{}:", std::process::id());
        compare("Postgres + Redis (L1+L2)", postgres).await?;
    }
    Ok(())
}
