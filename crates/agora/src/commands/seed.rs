use std::sync::Arc;

use agora_adapters::store::migrations::Migrator;
use agora_app::identity::{SeedDemoAccounts, SeedOutcome};
use agora_domain::ports::UnitOfWork;

use crate::{
    config::{Config, Environment},
    modules::{identity_services, resolve},
};

pub(super) async fn run(config: &Config) -> anyhow::Result<()> {
    if config.environment == Environment::Production {
        anyhow::bail!("refusing to seed demo accounts with environment = production; they have published passwords");
    }
    let db = super::migrate::connect(config).await?;
    super::migrate::up(&Migrator::new(&db), &resolve("all")?).await?;
    let p = config.password_hash;
    let identity = identity_services(agora_adapters::password::Argon2Params {
        memory_kib: p.memory_kib,
        iterations: p.iterations,
        parallelism: p.parallelism,
    })?;
    let seed = SeedDemoAccounts::new(
        Arc::new(db.clone()) as Arc<dyn UnitOfWork>,
        identity.users,
        identity.hasher,
    );
    let report = seed.execute().await;
    db.close().await;
    println!("demo accounts (development only):");
    for (account, outcome) in report? {
        let what = match outcome {
            SeedOutcome::Created => "created",
            SeedOutcome::AlreadyPresent => "exists ",
        };
        println!(
            "  {what} {:<24} password {:<12} role {:<5} tier {}",
            account.email, account.password, account.role, account.tier
        );
    }
    Ok(())
}
