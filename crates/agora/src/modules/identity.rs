use std::sync::Arc;

use agora_adapters::{
    identity::SqlUserRepository,
    password::{Argon2Hasher, Argon2Params},
};
use agora_domain::ports::{PasswordHasher, UserRepository};
use async_trait::async_trait;

use super::{Module, Registry};
use crate::config::Config;

/// The ports of the identity context, as wired for this process.
#[derive(Clone)]
pub struct IdentityServices {
    /// Account persistence.
    pub users: Arc<dyn UserRepository>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
}

/// Users, credentials and roles. Owns the `users` table (migration `identity/0001`).
pub struct IdentityModule {
    hasher: Argon2Params,
}

impl IdentityModule {
    /// The module with the configured hashing cost.
    pub fn new(config: &Config) -> Self {
        let p = config.password_hash;
        Self {
            hasher: Argon2Params {
                memory_kib: p.memory_kib,
                iterations: p.iterations,
                parallelism: p.parallelism,
            },
        }
    }
}

/// Builds the identity ports; also used by CLI commands that run without the server.
pub fn identity_services(params: Argon2Params) -> anyhow::Result<IdentityServices> {
    let hasher = Argon2Hasher::new(params)
        .map_err(|e| anyhow::anyhow!("invalid `password_hash` settings: {e}"))?;
    Ok(IdentityServices {
        users: Arc::new(SqlUserRepository),
        hasher: Arc::new(hasher),
    })
}

#[async_trait]
impl Module for IdentityModule {
    fn name(&self) -> &'static str {
        "identity"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        registry.provide(identity_services(self.hasher)?);
        Ok(())
    }
}
