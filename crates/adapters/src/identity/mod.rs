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
