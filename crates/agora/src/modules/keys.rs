//! Where identity's signing keys come from, and the timing every key cache shares.
//!
//! A configured key (`jwt.private_key[_file]`) always wins and is required in production: it is
//! rotated by replacing it. Without one, keys live in identity's `signing_keys` table, so every
//! replica on that database signs with the same key and `agora keys rotate` reaches them all.

use std::time::Duration;

use agora_adapters::{
    identity::{JwtAccessTokens, JwtSettings, KeyRefresh, SigningKey, SqlSigningKeys},
    store::Database,
};

use crate::config::{Config, Environment};

/// Issuer, audience and lifetime of access tokens.
pub fn jwt_settings(config: &Config) -> JwtSettings {
    JwtSettings {
        issuer: config.jwt.issuer.clone(),
        audience: config.jwt.audience.clone(),
        lifetime_secs: config.jwt.access_ttl.as_secs(),
    }
}

/// How often cached keys are re-read. An unknown key id reloads at most every 2 s (or every
/// `key_refresh` when that is shorter): often enough that a rotation is seen at once, rarely
/// enough that made-up key ids cannot hammer the database or the identity service.
pub fn key_refresh(config: &Config) -> KeyRefresh {
    KeyRefresh {
        max_age: config.jwt.key_refresh,
        min_interval: config.jwt.key_refresh.min(Duration::from_secs(2)),
    }
}

/// How long a retired key keeps verifying: the longest a token it signed can be valid. A
/// replica may sign with the old key until it re-reads the signer (`key_refresh`) and the new
/// key is published (the publish delay), and verification allows 5 s of clock skew.
pub fn retirement_grace(config: &Config) -> Duration {
    config.jwt.access_ttl
        + config.jwt.key_refresh
        + key_refresh(config).publish_delay()
        + Duration::from_secs(5)
}

/// The configured signing key, if any.
pub fn configured_key(config: &Config) -> anyhow::Result<Option<SigningKey>> {
    if let Some(pem) = &config.jwt.private_key {
        return SigningKey::from_pem(pem.expose())
            .map(Some)
            .map_err(|e| anyhow::anyhow!("`jwt.private_key`: {e}"));
    }
    if let Some(path) = &config.jwt.private_key_file {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("`jwt.private_key_file` {}: {e}", path.display()))?;
        return SigningKey::from_pem(&pem)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("`jwt.private_key_file` {}: {e}", path.display()));
    }
    Ok(None)
}

/// Identity's signer and verifier: the configured key, or (outside production) the keys of the
/// database, generated on first start.
pub async fn access_tokens(config: &Config, db: &Database) -> anyhow::Result<JwtAccessTokens> {
    let settings = jwt_settings(config);
    if let Some(key) = configured_key(config)? {
        return JwtAccessTokens::new(&key, settings).map_err(|e| anyhow::anyhow!(e));
    }
    if config.environment == Environment::Production {
        anyhow::bail!("production requires `jwt.private_key_file` or `jwt.private_key`");
    }
    JwtAccessTokens::stored(
        SqlSigningKeys::new(db.clone()),
        settings,
        key_refresh(config),
    )
    .await
    .map_err(|e| anyhow::anyhow!("signing keys in the database: {e}"))
}
