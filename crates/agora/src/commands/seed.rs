use std::sync::Arc;

use crate::{
    config::{Config, Environment},
    modules::SeedStep,
    Application,
};

/// Runs every context's seed steps (in start order) and prints what each created or found.
pub(super) async fn run(config: &Config, target: &str) -> anyhow::Result<()> {
    if config.environment == Environment::Production {
        anyhow::bail!("refusing to seed demo accounts with environment = production; they have published passwords");
    }
    let modules = Application::start_headless(config, target).await?;
    let steps: Vec<Arc<dyn SeedStep>> = modules.registry().get().unwrap_or_default();
    let mut reports = Vec::new();
    for step in &steps {
        match step.run().await {
            Ok(lines) => reports.push((step.name(), lines)),
            Err(error) => {
                modules.stop().await;
                return Err(error.context(format!("seeding {} failed", step.name())));
            }
        }
    }
    modules.stop().await;
    for (name, lines) in reports {
        println!("{name}:");
        for line in lines {
            println!("  {line}");
        }
    }
    Ok(())
}
