//! Platform adapters: the transactional outbox, the embedded mailbox, SMTP.

mod mailbox;
mod outbox;
mod smtp;

pub use mailbox::SqlMailbox;
pub use outbox::SqlOutbox;
pub use smtp::SmtpMailer;

use crate::store::migrations::{migration, Migration};

/// The platform context's schema, oldest first (`migrations/platform/`).
pub static MIGRATIONS: &[Migration] = &[
    migration!("platform", 1, "0001_create_outbox"),
    migration!("platform", 2, "0002_outbox_jobs"),
];
