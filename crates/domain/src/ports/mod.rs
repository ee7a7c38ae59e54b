//! Ports: the traits through which use cases reach the outside world. Each has one adapter per
//! backend (SQLite/Postgres, SMTP/mailbox, memory/Redis/NATS…) chosen by configuration.

mod bus;
mod cache;
mod catalog;
mod flags;
mod identity;
mod keys;
mod mail;
mod outbox;
mod password;
mod ratelimit;
mod store;

pub use bus::{BusError, EventPublisher};
pub use cache::{Load, TaggedCache};
pub use catalog::{CatalogCache, CategoryRepository, ProductRepository};
pub use flags::FlagRepository;
pub use identity::{
    AccessTokens, AuditLog, EmailTokenRepository, RefreshTokenRepository, SecretTokens,
    TokenDenylist, TokenError, UserFilter, UserRepository,
};
pub use keys::{AccessTokenVerifier, KeySourceError, VerificationKey, VerificationKeys};
pub use mail::{MailError, Mailer};
pub use outbox::{dead_letter_at, MailboxReader, Outbox, OutboxItem, OutboxMessage, StoredMail};
pub use password::{PasswordHashError, PasswordHasher};
pub use ratelimit::RateLimiter;
pub use store::{StoreError, Tx, TxBackend, UnitOfWork};
