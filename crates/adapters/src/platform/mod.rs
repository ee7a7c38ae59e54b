//! Platform adapters: the transactional outbox, the embedded mailbox, SMTP.

mod mailbox;
mod outbox;
mod smtp;

pub use mailbox::SqlMailbox;
pub use outbox::SqlOutbox;
pub use smtp::SmtpMailer;
