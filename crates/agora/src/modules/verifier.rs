//! Token verification for targets that do not run identity (e.g. `--target catalog`). Such a
//! target still serves authenticated routes, so it verifies identity's tokens itself, exactly as
//! identity does (`JwtVerifier`), with identity's public keys from:
//!
//! 1. identity's JWKS at `identity_url` (`AGORA_IDENTITY_URL`) when set — an explicit setting
//!    wins, and it is the only source that also covers a configured (file) key;
//! 2. otherwise the `signing_keys` table, when this target shares identity's database.
//!
//! With neither the target refuses to start: a server that cannot verify tokens would turn
//! every authenticated request into an error.
//!
//! Revocation (logout, reuse detection, a disabled account) is checked like identity checks it —
//! in identity's tables, cached — when this target shares identity's database (ADR 0018).
//! Otherwise it reads the revocation notices identity leaves in a shared Redis (best effort: lost
//! with Redis's data), or, with neither, trusts a token until it expires (`jwt.access_ttl`,
//! 15 min by default).

use std::{sync::Arc, time::Duration};

use agora_adapters::{
    identity::{JwksKeys, JwtVerifier, KeyRing, RedisDenylist, SqlSessionStates, SqlSigningKeys},
    redis::RedisManager,
    store::Database,
};
use agora_app::identity::{RevocationCheck, TokenAuthenticator};
use agora_domain::ports::VerificationKeys;
use agora_http::SharedAuthenticator;

use super::{keys, Registry};
use crate::config::Config;

/// How long one JWKS request may take before the verifier gives up (and keeps its keys).
const JWKS_TIMEOUT: Duration = Duration::from_secs(3);

/// Builds the authenticator of a target without identity.
pub struct Verifier {
    config: Config,
}

impl Verifier {
    /// A verifier for this configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            config: config.clone(),
        }
    }

    /// The authenticator, or why this target cannot verify tokens.
    pub async fn authenticator(&self, registry: &Registry) -> anyhow::Result<SharedAuthenticator> {
        let db: Option<Database> = registry.get().ok();
        let (source, origin) = self.key_source(db.as_ref()).await?;
        let ring = KeyRing::new(source, keys::key_refresh(&self.config));
        match ring.reload().await {
            Ok(count) => tracing::info!(keys = count, %origin, "verifying access tokens"),
            // Identity may simply start later: the first token with an unknown key id retries.
            Err(error) => tracing::warn!(%error, %origin, "identity's keys not loaded yet"),
        }
        let verifier = JwtVerifier::new(ring, &keys::jwt_settings(&self.config));
        let revocation = self.revocation(registry.get().ok(), db.as_ref()).await?;
        Ok(Arc::new(TokenAuthenticator::new(
            Arc::new(verifier),
            revocation,
        )))
    }

    async fn key_source(
        &self,
        db: Option<&Database>,
    ) -> anyhow::Result<(Arc<dyn VerificationKeys>, String)> {
        if let Some(url) = &self.config.identity_url {
            let jwks = JwksKeys::new(url, JWKS_TIMEOUT).map_err(|e| anyhow::anyhow!(e))?;
            let origin = format!("JWKS at {}", jwks.url());
            return Ok((Arc::new(jwks), origin));
        }
        let why_not = match db {
            None => "this target has no database".to_owned(),
            Some(db) => {
                let keys = SqlSigningKeys::new(db.clone());
                match keys.fetch().await {
                    Ok(found) if !found.is_empty() => {
                        return Ok((Arc::new(keys), "identity's signing_keys table".to_owned()))
                    }
                    Ok(_) => "identity's signing_keys table is empty (identity uses a configured key, or has not started yet)".to_owned(),
                    Err(error) => format!("its database has no identity signing keys ({error})"),
                }
            }
        };
        anyhow::bail!(
            "this target serves authenticated routes but cannot verify access tokens: {why_not}; \
             set AGORA_IDENTITY_URL (identity_url) to the identity service's base URL, or run it \
             on identity's database"
        )
    }

    async fn revocation(
        &self,
        redis: Option<RedisManager>,
        db: Option<&Database>,
    ) -> anyhow::Result<RevocationCheck> {
        if let Some(db) = db {
            if SqlSessionStates::new(db.clone()).reachable().await {
                let ttl = self
                    .config
                    .section::<super::identity::IdentityConfig>("identity")?
                    .session_cache_ttl;
                let states = Arc::new(SqlSessionStates::new(db.clone()));
                let guard = super::identity::session_guard(states, redis.as_ref(), ttl).await;
                return Ok(RevocationCheck::Database(guard));
            }
        }
        if let Some(redis) = redis {
            return Ok(RevocationCheck::Notices(Arc::new(RedisDenylist::new(
                redis.commands(),
                redis.prefix(),
            ))));
        }
        tracing::warn!(
            "no way to check revocation (neither identity's database nor AGORA_REDIS_URL): \
             logout and revocation reach this service only when the access token expires"
        );
        Ok(RevocationCheck::Unchecked)
    }
}
