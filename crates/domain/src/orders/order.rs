use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{IllegalTransition, OrderStatus, Quantity};
use crate::{catalog::Money, FieldError};

/// The longest `Idempotency-Key` accepted (API.md: 1–255 characters).
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// A client's `Idempotency-Key` (IETF httpapi idempotency-key draft): 1–255 visible ASCII
/// characters. Scoped per user by the store, so two users' keys never collide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header's name, also the `field` of its validation errors.
    pub const HEADER: &'static str = "Idempotency-Key";

    /// Parses the header's value; `None` is a missing header.
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        let error = |message: &str| FieldError::new(Self::HEADER, message);
        let Some(raw) = raw else {
            return Err(error("Idempotency-Key header is required"));
        };
        if raw.is_empty() || raw.len() > MAX_IDEMPOTENCY_KEY {
            return Err(error("Idempotency-Key must be 1-255 characters"));
        }
        if !raw.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(error("Idempotency-Key must be visible ASCII characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One line of an order: what was bought, as it was when bought (name and price are copied from
/// the catalog at checkout, so later catalog edits never change a past order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The product.
    pub product_id: Uuid,
    /// Its SKU at checkout.
    pub sku: String,
    /// Its name at checkout.
    pub name: String,
    /// Its price at checkout.
    pub unit_price: Money,
    /// Units bought.
    pub quantity: Quantity,
    /// `unit_price × quantity`.
    pub line_total: Money,
}

/// One step of an order's history: who moved it where, when. Placement is the step from `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The status before (none for placement).
    pub from: Option<OrderStatus>,
    /// The status after.
    pub to: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// The user who did it (the buyer, or an admin).
    pub actor: Uuid,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// UUID v7.
    pub id: Uuid,
    /// The buyer.
    pub user_id: Uuid,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// What was bought (at least one line).
    pub items: Vec<OrderItem>,
    /// The sum of the lines.
    pub total: Money,
    /// The catalog reservation holding its stock (released on cancel).
    pub reservation_id: Uuid,
    /// The buyer's note, if any.
    pub note: Option<String>,
    /// Placement time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Every status change, oldest first, starting with placement.
    pub history: Vec<StatusChange>,
}

impl Order {
    /// Moves the order to `to` if the state machine allows it, recording who did it.
    pub fn transition(
        &mut self,
        to: OrderStatus,
        actor: Uuid,
        at: DateTime<Utc>,
    ) -> Result<StatusChange, IllegalTransition> {
        let from = self.status;
        self.status = from.transition(to)?;
        self.updated_at = at;
        let change = StatusChange {
            from: Some(from),
            to,
            at,
            actor,
        };
        self.history.push(change.clone());
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Currency;

    #[test]
    fn idempotency_keys_are_one_to_255_visible_ascii_characters() {
        assert_eq!(IdempotencyKey::parse(Some("a")).unwrap().as_str(), "a");
        let longest = "k".repeat(255);
        assert!(IdempotencyKey::parse(Some(&longest)).is_ok());
        let too_long = "k".repeat(256);
        for bad in [
            None,
            Some(""),
            Some(too_long.as_str()),
            Some("tab\there"),
            Some("ключ"),
        ] {
            let error = IdempotencyKey::parse(bad).unwrap_err();
            assert_eq!(error.field, "Idempotency-Key", "{bad:?}");
        }
    }

    #[test]
    fn a_transition_is_recorded_with_its_actor_and_an_illegal_one_changes_nothing() {
        let eur = Currency::parse("EUR", "c").unwrap();
        let now = crate::timestamp_now();
        let mut order = Order {
            id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            status: OrderStatus::Pending,
            items: Vec::new(),
            total: Money::price(0, eur).unwrap(),
            reservation_id: Uuid::now_v7(),
            note: None,
            created_at: now,
            updated_at: now,
            history: Vec::new(),
        };
        let admin = Uuid::now_v7();
        let change = order.transition(OrderStatus::Paid, admin, now).unwrap();
        assert_eq!(
            (change.from, change.to, change.actor),
            (Some(OrderStatus::Pending), OrderStatus::Paid, admin)
        );
        let before = order.clone();
        assert!(order.transition(OrderStatus::Refunded, admin, now).is_err());
        assert_eq!(order, before);
    }
}
