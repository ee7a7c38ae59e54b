//! Ports: the traits through which use cases reach the outside world. Each has one adapter per
//! backend (SQLite/Postgres, SMTP/mailbox, memory/Redis/NATS…) chosen by configuration.

mod bus;
mod identity;
mod mail;
mod outbox;
mod password;
mod store;

pub use bus::{BusError, EventPublisher};
pub use identity::{
    AccessTokens, AuditLog, EmailTokenRepository, RefreshTokenRepository, SecretTokens,
    TokenDenylist, TokenError, UserFilter, UserRepository,
};
pub use mail::{MailError, Mailer};
pub use outbox::{MailboxReader, Outbox, OutboxItem, OutboxMessage, StoredMail};
pub use password::{PasswordHashError, PasswordHasher};
pub use store::{StoreError, Tx, TxBackend, UnitOfWork};
