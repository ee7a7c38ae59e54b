use std::sync::{Arc, Mutex};

use agora_domain::{
    mail::OutgoingMail,
    ports::{MailError, Mailer},
};
use async_trait::async_trait;

/// Keeps every mail in memory so tests (and the dev mailbox) can read what was sent.
#[derive(Debug, Clone, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<OutgoingMail>>>,
}

impl RecordingMailer {
    /// An empty mailbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail sent so far, oldest first.
    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Mails sent to one address.
    pub fn sent_to(&self, to: &str) -> Vec<OutgoingMail> {
        self.sent().into_iter().filter(|m| m.to == to).collect()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(mail.clone());
        Ok(())
    }
}
