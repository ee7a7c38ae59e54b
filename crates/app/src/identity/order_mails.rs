//! Order confirmation and status mails: a consumer of the orders context's events (ADR 0019).
//! It lives with identity because identity owns the addresses; it reads these payload fields
//! (others are ignored, and an event without `userId` mails nobody):
//! - `order.placed` — `id`, `userId`, optional `total: {amount, currency}`;
//! - `order.status_changed` — `id`, `userId`, `to` (the new status).

use std::sync::Arc;

use agora_domain::{
    event::EventEnvelope,
    ports::{BusError, EventHandler, Outbox, OutboxMessage, Tx, UserRepository},
};
use async_trait::async_trait;
use uuid::Uuid;

/// Mails the buyer when an order is placed or changes status.
pub struct OrderMails {
    users: Arc<dyn UserRepository>,
    outbox: Arc<dyn Outbox>,
    public_url: String,
}

impl OrderMails {
    /// The consumer; links in the mails point at `public_url`.
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

/// `1999 EUR` → `19.99 EUR` (two decimals; enough for a mail line).
fn money(total: &serde_json::Value) -> String {
    match (total["amount"].as_i64(), total["currency"].as_str()) {
        (Some(amount), Some(currency)) => {
            format!("{}.{:02} {currency}", amount / 100, (amount % 100).abs())
        }
        _ => String::new(),
    }
}

#[async_trait]
impl EventHandler for OrderMails {
    fn name(&self) -> &'static str {
        "identity-order-mails"
    }

    fn event_types(&self) -> &'static [&'static str] {
        &["order.placed", "order.status_changed"]
    }

    async fn handle(&self, tx: &mut Tx, event: &EventEnvelope) -> Result<(), BusError> {
        let failed = |e: agora_domain::ports::StoreError| BusError(e.to_string());
        let Some(user_id) = event.data["userId"]
            .as_str()
            .and_then(|id| id.parse::<Uuid>().ok())
        else {
            return Ok(());
        };
        let Some(user) = self.users.find_by_id(tx, user_id).await.map_err(failed)? else {
            return Ok(());
        };
        let order = event.data["id"]
            .as_str()
            .map_or_else(|| event.aggregate_id.to_string(), str::to_owned);
        let (to, name) = (user.email.as_str(), user.name.as_str());
        let mail = match event.event_type.as_str() {
            "order.placed" => super::mails::order_confirmed(
                to,
                name,
                &self.public_url,
                &order,
                &money(&event.data["total"]),
            ),
            _ => match event.data["to"].as_str() {
                Some(status) => {
                    super::mails::order_status(to, name, &self.public_url, &order, status)
                }
                None => return Ok(()),
            },
        };
        self.outbox
            .enqueue(tx, &OutboxMessage::Mail(mail))
            .await
            .map_err(failed)
    }
}
