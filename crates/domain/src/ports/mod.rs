//! Ports: the traits through which use cases reach the outside world. Each has one adapter per
//! backend (SQLite/Postgres, SMTP/mailbox, memory/Redis/NATS…) chosen by configuration.

mod bus;
mod mail;
mod password;
mod store;
mod users;

pub use bus::{BusError, EventPublisher};
pub use mail::{MailError, Mailer};
pub use password::{PasswordHashError, PasswordHasher};
pub use store::{StoreError, Tx, TxBackend, UnitOfWork};
pub use users::UserRepository;
