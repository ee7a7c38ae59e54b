//! `agora dev`: the whole system on loopback ports as child processes of this executable
//! (ADR 0033). Plans the children ([`plan`]), creates their databases and demo data, starts and
//! supervises them ([`children`]), prints what runs where, and stops them all on Ctrl-C/SIGTERM.

mod children;
mod plan;

pub use plan::service_targets;

use std::time::{Duration, Instant};

use agora_adapters::store::redact_url;

use crate::{bus::BusKind, cli::DevArgs, config::Config, shutdown_signal};

/// How long the children get to become ready before `agora dev` gives up.
const READY_DEADLINE: Duration = Duration::from_secs(180);

pub(super) async fn run(config: &Config, args: &DevArgs) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let infrastructure = infrastructure(config).await;
    let plan = plan::build(config, args, &infrastructure, plan::free_port)?;
    for child in &plan.children {
        std::fs::create_dir_all(&child.data_dir)?;
        if let Some((server, name)) = &child.create_database {
            if agora_adapters::store::ensure_postgres_database(server, name).await? {
                eprintln!("[dev] created database {name}");
            }
        }
    }
    // Seeding migrates first, so every database is ready before any server starts.
    for child in plan.children.iter().filter(|c| c.seed) {
        children::run_once(
            &exe,
            child,
            &plan.common_env,
            &["seed", "--target", &child.target],
        )
        .await?;
    }
    // One handler for the whole run, installed before any child starts (see `shutdown_signal`).
    let mut shutdown = std::pin::pin!(shutdown_signal());
    let (stop, stopping) = tokio::sync::watch::channel(false);
    // A child gets the drain deadline to stop on SIGTERM, and a little more to exit.
    let grace = config.shutdown_timeout + Duration::from_secs(5);
    let running: Vec<children::Supervised> = plan
        .children
        .iter()
        .map(|child| children::supervise(&exe, child, &plan.common_env, grace, stopping.clone()))
        .collect();
    let outcome = tokio::select! {
        ready = wait_ready(&plan.children) => ready,
        () = &mut shutdown => Err(anyhow::anyhow!("interrupted before everything was ready")),
    };
    match outcome {
        Ok(()) => {
            print_table(&plan, &running, &infrastructure, args);
            shutdown.await;
            eprintln!("[dev] stopping every child");
        }
        Err(ref error) => eprintln!("[dev] {error:#}; stopping every child"),
    }
    let _ = stop.send(true);
    for child in running {
        child.finished().await;
    }
    eprintln!("[dev] all children stopped");
    outcome
}

/// Redis and the bus: configured ones win; otherwise the local defaults when they answer.
async fn infrastructure(config: &Config) -> plan::Infrastructure {
    let redis = match &config.redis_url {
        Some(url) => Some(url.expose().clone()),
        None if reachable("127.0.0.1:6379").await => Some("redis://127.0.0.1:6379".to_owned()),
        None => None,
    };
    let bus = match (config.bus_kind(), &config.nats_url) {
        (BusKind::Nats, Some(url)) => Some((BusKind::Nats, url.expose().clone())),
        (BusKind::Redis, _) => redis.clone().map(|url| (BusKind::Redis, url)),
        _ if reachable("127.0.0.1:4222").await => {
            Some((BusKind::Nats, "nats://127.0.0.1:4222".to_owned()))
        }
        _ => redis.clone().map(|url| (BusKind::Redis, url)),
    };
    plan::Infrastructure { redis, bus }
}

async fn reachable(address: &str) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_millis(500),
            tokio::net::TcpStream::connect(address)
        )
        .await,
        Ok(Ok(_))
    )
}

/// Polls every child's `/ready` until all answer 200 (the gateway last: its readiness is the
/// services').
async fn wait_ready(children: &[plan::Child]) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .no_proxy()
        .build()?;
    let started = Instant::now();
    for child in children {
        let url = format!("{}/ready", child.url());
        loop {
            if matches!(client.get(&url).send().await, Ok(r) if r.status().is_success()) {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < READY_DEADLINE,
                "{} was not ready within {READY_DEADLINE:?} ({url})",
                child.name
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

fn print_table(
    plan: &plan::Plan,
    running: &[children::Supervised],
    infrastructure: &plan::Infrastructure,
    args: &DevArgs,
) {
    let topology = match args.topology {
        crate::cli::Topology::Mono => format!("mono, {} replica(s)", args.replicas),
        crate::cli::Topology::Micro => "micro".to_owned(),
    };
    println!("agora dev: {topology}");
    println!(
        "  {:<11} {:<9} {:<24} {:<8} DATABASE",
        "NAME", "TARGET", "URL", "PID"
    );
    for (child, process) in plan.children.iter().zip(running) {
        println!(
            "  {:<11} {:<9} {:<24} {:<8} {}",
            child.name,
            child.target,
            child.url(),
            process.pid.load(std::sync::atomic::Ordering::SeqCst),
            child
                .database_url
                .as_deref()
                .map_or_else(|| "-".to_owned(), redact_url)
        );
    }
    if plan.children.len() > 1 {
        let bus = plan
            .common_env
            .iter()
            .find(|(k, _)| k == "AGORA_BUS")
            .map_or("in process", |(_, v)| v.as_str());
        println!(
            "  bus: {bus}; redis: {}",
            infrastructure.redis.as_deref().unwrap_or("none")
        );
    }
    println!(
        "Serving on {} — Ctrl-C stops everything.",
        crate::config::served_url(plan.public)
    );
}
