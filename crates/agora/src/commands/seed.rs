use std::sync::Arc;

use agora_app::{
    catalog::{seed_catalog, Catalog},
    flags::{Flags, SeedOutcome as FlagSeedOutcome},
    identity::{SeedDemoAccounts, SeedOutcome},
};
use agora_domain::ports::UnitOfWork;

use crate::{
    config::{Config, Environment},
    modules::IdentityServices,
    Application,
};

pub(super) async fn run(config: &Config) -> anyhow::Result<()> {
    if config.environment == Environment::Production {
        anyhow::bail!("refusing to seed demo accounts with environment = production; they have published passwords");
    }
    let modules = Application::start_headless(config, "all").await?;
    let services: IdentityServices = modules.registry().get()?;
    let uow: Arc<dyn UnitOfWork> = modules.registry().get()?;
    let report = SeedDemoAccounts::new(uow, services.users, services.hasher)
        .execute()
        .await;
    let flags: Flags = modules.registry().get()?;
    let flag_report = flags.seed().await;
    let catalog: Catalog = modules.registry().get()?;
    let catalog_report = seed_catalog(&catalog).await;
    modules.stop().await;
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
    println!("feature flags:");
    for (flag, outcome) in flag_report? {
        let what = match outcome {
            FlagSeedOutcome::Created => "created",
            FlagSeedOutcome::AlreadyPresent => "exists ",
        };
        let state = if flag.enabled { "enabled" } else { "disabled" };
        println!(
            "  {what} {:<24} {state} for {}% ({})",
            flag.key, flag.rollout_percent, flag.description
        );
    }
    let (categories, products) = catalog_report?;
    if products == 0 {
        println!("catalog: exists  ({categories} categories; products already present)");
    } else {
        println!("catalog: created {categories} categories and {products} demo products");
    }
    Ok(())
}
