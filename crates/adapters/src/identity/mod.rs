//! Identity adapters.

mod audit;
mod denylist;
mod jwt;
mod redis_denylist;
mod tokens;
mod users;

pub use audit::SqlAuditLog;
pub use denylist::SqlDenylist;
pub use jwt::{JwtAccessTokens, JwtSettings, SigningKey};
pub use redis_denylist::RedisDenylist;
pub use tokens::{RandomSecretTokens, SqlEmailTokenRepository, SqlRefreshTokenRepository};
pub use users::SqlUserRepository;

use crate::store::migrations::{migration, Migration};

/// The identity context's schema, oldest first (`migrations/identity/`).
pub static MIGRATIONS: &[Migration] = &[
    migration!("identity", 1, "0001_create_users"),
    migration!("identity", 2, "0002_create_sessions"),
];
