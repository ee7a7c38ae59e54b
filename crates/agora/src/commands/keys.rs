use agora_adapters::identity::SqlSigningKeys;

use crate::{
    cli::{KeysAction, KeysArgs},
    config::Config,
    modules::{configured_key, retirement_grace},
};

pub(super) async fn run(config: &Config, args: &KeysArgs) -> anyhow::Result<()> {
    match args.action {
        KeysAction::Rotate => rotate(config).await,
    }
}

/// Adds a new signing key to identity's database; running replicas switch to it within
/// `jwt.key_refresh`, and the retired key keeps verifying until its tokens have expired.
async fn rotate(config: &Config) -> anyhow::Result<()> {
    // A configured key is what identity signs with; a key added to the database would never be
    // used, so say how rotation works there instead of pretending.
    if configured_key(config)?.is_some() {
        anyhow::bail!(
            "signing keys are configured (jwt.private_key_file or jwt.private_key), not kept in \
             the database: rotate by replacing the key file (or AGORA_JWT__PRIVATE_KEY) and \
             restarting identity; tokens signed with the old key stop verifying then"
        );
    }
    let db = super::migrate::connect(config).await?;
    let rotation = SqlSigningKeys::new(db.clone())
        .rotate(retirement_grace(config))
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot rotate signing keys ({e}); is identity's database migrated (`agora migrate up`)?")
        });
    db.close().await;
    let rotation = rotation?;
    println!("new signing key {}", rotation.kid);
    for kid in &rotation.retired {
        println!(
            "retired {kid}: verifies tokens until {}",
            rotation.retired_verify_until.to_rfc3339()
        );
    }
    println!(
        "running replicas sign with the new key within {}",
        humantime::format_duration(config.jwt.key_refresh)
    );
    Ok(())
}
