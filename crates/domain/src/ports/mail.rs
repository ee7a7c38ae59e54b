use async_trait::async_trait;

use crate::mail::OutgoingMail;

/// Delivery failed; the caller keeps the mail and retries.
#[derive(Debug, thiserror::Error)]
#[error("mail delivery failed: {0}")]
pub struct MailError(pub String);

/// Hands a rendered mail to a transport (SMTP, the embedded mailbox, a test recorder).
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one mail.
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}
