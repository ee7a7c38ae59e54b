use std::sync::Arc;

use agora_app::identity::{SeedDemoAccounts, SeedOutcome};
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
    Ok(())
}
