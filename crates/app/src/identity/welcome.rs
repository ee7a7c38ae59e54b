//! The welcome mail: a consumer of `user.verified` (ADR 0019). The verification mail stays
//! transactional with the registration; the welcome mail follows the verification through the
//! bus, written to the outbox in the consumer's inbox transaction, so it is sent once.

use std::sync::Arc;

use agora_domain::{
    event::EventEnvelope,
    ports::{BusError, EventHandler, Outbox, OutboxMessage, Tx, UserRepository},
};
use async_trait::async_trait;

/// Mails "Welcome to Agora" to a user whose address was just verified.
pub struct WelcomeMail {
    users: Arc<dyn UserRepository>,
    outbox: Arc<dyn Outbox>,
    public_url: String,
}

impl WelcomeMail {
    /// The consumer; links in the mail point at `public_url`.
    pub fn new(
        users: Arc<dyn UserRepository>,
        outbox: Arc<dyn Outbox>,
        public_url: String,
    ) -> Self {
        Self {
            users,
            outbox,
            public_url,
        }
    }
}

#[async_trait]
impl EventHandler for WelcomeMail {
    fn name(&self) -> &'static str {
        "identity-welcome-mail"
    }

    fn event_types(&self) -> &'static [&'static str] {
        &["user.verified"]
    }

    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError> {
        let failed = |e: agora_domain::ports::StoreError| BusError(e.to_string());
        // An account deleted since has nobody to welcome.
        let Some(user) = self
            .users
            .find_by_id(tx, event.aggregate_id)
            .await
            .map_err(failed)?
        else {
            return Ok(());
        };
        let mail = super::mails::welcome(user.email.as_str(), user.name.as_str(), &self.public_url);
        self.outbox
            .enqueue(tx, &OutboxMessage::Mail(mail))
            .await
            .map_err(failed)
    }
}
