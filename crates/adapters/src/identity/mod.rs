//! Identity adapters.

mod audit;
mod jwks;
mod jwt;
mod keyring;
mod redis_denylist;
mod session_states;
mod signing_keys;
mod tokens;
mod users;

pub use audit::SqlAuditLog;
pub use jwks::JwksKeys;
pub use jwt::{JwtAccessTokens, JwtSettings, JwtVerifier, SigningKey};
pub use keyring::{KeyRefresh, KeyRing, StaticKeys};
pub use redis_denylist::RedisDenylist;
pub use session_states::SqlSessionStates;
pub use signing_keys::{Rotation, SqlSigningKeys};
pub use tokens::{RandomSecretTokens, SqlEmailTokenRepository, SqlRefreshTokenRepository};
pub use users::SqlUserRepository;

use crate::store::migrations::{migration, Migration};

/// The identity context's schema, oldest first (`migrations/identity/`).
pub static MIGRATIONS: &[Migration] = &[
    migration!("identity", 1, "0001_create_users"),
    migration!("identity", 2, "0002_create_sessions"),
    migration!("identity", 3, "0003_create_signing_keys"),
    migration!("identity", 4, "0004_drop_denied_tokens"),
];
