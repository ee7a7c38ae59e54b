//! Ports: the traits through which use cases reach the outside world. Each has one adapter per
//! backend (SQLite/Postgres, SMTP/mailbox, memory/Redis/NATS…) chosen by configuration.
//!
//! The modules named after a bounded context (`ports::identity`, `ports::catalog`) also hold what
//! that context *publishes* to the others (`UserDirectory`, `ProductCatalog`): traits without a
//! `Tx` in their signatures, so a split topology can implement them with an HTTP client. Their
//! doc comments are the contract a caller may rely on across a network.

mod bus;
pub mod catalog;
mod error;
mod flags;
pub mod identity;
mod mail;
mod outbox;
mod password;
mod ratelimit;
mod store;

pub use bus::{BusError, EventPublisher};
pub use catalog::{
    CatalogCache, CategoryRepository, Load, ProductCatalog, ProductRepository, ProductSnapshot,
};
pub use error::PortError;
pub use flags::{FlagChangeListener, FlagChangeNotifier, FlagRepository, NotifyError};
pub use identity::{
    AccessTokens, AuditLog, EmailTokenRepository, RefreshTokenRepository, SecretTokens,
    TokenDenylist, TokenError, UserDirectory, UserFilter, UserProfile, UserRepository,
};
pub use mail::{MailError, Mailer};
pub use outbox::{dead_letter_at, MailboxReader, Outbox, OutboxItem, OutboxMessage, StoredMail};
pub use password::{PasswordHashError, PasswordHasher};
pub use ratelimit::RateLimiter;
pub use store::{StoreError, Tx, TxBackend, UnitOfWork};
