//! Platform adapters: the transactional outbox, the consumers' inbox and dead letters, the
//! embedded mailbox, SMTP.

mod ledger;
mod mailbox;
mod outbox;
mod smtp;

pub use ledger::SqlConsumerLedger;
pub use mailbox::SqlMailbox;
pub use outbox::SqlOutbox;
pub use smtp::SmtpMailer;

use crate::store::migrations::{migration, Migration};

/// The platform context's schema, oldest first (`migrations/platform/`).
pub static MIGRATIONS: &[Migration] = &[
    migration!("platform", 1, "0001_create_outbox"),
    migration!("platform", 2, "0002_outbox_jobs"),
    migration!("platform", 3, "0003_event_backbone"),
];
