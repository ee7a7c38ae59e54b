//! Platform use cases: delivering the outbox, consuming events idempotently, dead letters,
//! reading the embedded mailbox.

mod consumers;
mod relay;

use std::sync::Arc;

use agora_domain::{
    identity::Principal,
    paging::{Page, PageRequest},
    ports::{MailboxReader, StoredMail},
};

pub use consumers::{pump, ConsumerPolicy, DeadLetters, IdempotentConsumer};
pub use relay::{Jobs, OutboxRelay, RetryPolicy};

use crate::AppError;

/// Reads the embedded mailbox (admins only; present when no SMTP server is configured).
#[derive(Clone)]
pub struct Mailbox {
    reader: Arc<dyn MailboxReader>,
}

impl Mailbox {
    /// Wraps the reader port.
    pub fn new(reader: Arc<dyn MailboxReader>) -> Self {
        Self { reader }
    }

    /// Sent mails, newest first, optionally to one recipient.
    pub async fn list(
        &self,
        principal: &Principal,
        to: Option<&str>,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<StoredMail>, AppError> {
        crate::require_admin(principal)?;
        let to = to.map(|t| t.trim().to_lowercase());
        Ok(self.reader.list(to.as_deref(), page, newest_first).await?)
    }
}
