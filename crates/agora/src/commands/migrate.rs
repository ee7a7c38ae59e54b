use agora_adapters::store::{
    migrations::{MigrationState, Migrator},
    Database,
};

use crate::{
    cli::{MigrateAction, MigrateArgs},
    config::Config,
    modules::{db_options, migrations_of, resolve},
};

/// Connects to the configured database, naming it (without password) when that fails.
pub(super) async fn connect(config: &Config) -> anyhow::Result<Database> {
    Ok(Database::connect(config.database_url().expose(), &db_options(config)).await?)
}

pub(super) async fn run(config: &Config, args: &MigrateArgs) -> anyhow::Result<()> {
    let modules = resolve(&args.target)?;
    let db = connect(config).await?;
    let migrator = Migrator::new(&db, migrations_of(&modules));
    let result = match args.action {
        MigrateAction::Up => up(&migrator, &modules).await,
        MigrateAction::Down { steps } => {
            let count = migrator
                .down(&modules, steps, &mut |m| println!("reverted {}", m.id()))
                .await?;
            if count == 0 {
                println!("nothing to revert");
            } else {
                println!("{count} migration(s) reverted on {}", db.backend());
            }
            Ok(())
        }
        MigrateAction::Status => {
            for status in migrator.status(&modules).await? {
                let state = match status.state {
                    MigrationState::Pending => "pending".to_owned(),
                    MigrationState::Applied(at) => format!("applied  {}", at.to_rfc3339()),
                    MigrationState::Modified(at) => {
                        format!(
                            "MODIFIED {} (file changed after it was applied)",
                            at.to_rfc3339()
                        )
                    }
                };
                println!("{:<40} {state}", status.id);
            }
            Ok(())
        }
    };
    db.close().await;
    result
}

/// Applies pending migrations, printing each; shared with `seed`.
pub(super) async fn up(migrator: &Migrator<'_>, modules: &[&str]) -> anyhow::Result<()> {
    let count = migrator
        .up(modules, &mut |m| println!("applied {}", m.id()))
        .await?;
    if count == 0 {
        println!("database schema is up to date");
    } else {
        println!("{count} migration(s) applied");
    }
    Ok(())
}
