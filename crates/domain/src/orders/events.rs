//! The orders context's events (API.md "Events"). Their `type` and `data` are the wire contract.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::OrderStatus;
use crate::{catalog::Money, event::DomainEvent};

/// Facts of the orders context, published through the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum OrderEvent {
    /// A checkout placed an order (stock reserved, cart emptied).
    #[serde(rename = "order.placed")]
    OrderPlaced {
        /// The order.
        order_id: Uuid,
        /// The buyer.
        user_id: Uuid,
        /// What it costs.
        total: Money,
        /// Lines as `(product id, quantity)`.
        items: Vec<PlacedItem>,
    },
    /// An order moved from one status to another.
    #[serde(rename = "order.status_changed")]
    StatusChanged {
        /// The order.
        order_id: Uuid,
        /// The buyer (whom the status mail goes to).
        user_id: Uuid,
        /// Before.
        from: OrderStatus,
        /// After.
        to: OrderStatus,
        /// Who moved it (the buyer or an admin).
        actor: Uuid,
    },
}

/// One line of an `order.placed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedItem {
    /// The product.
    pub product_id: Uuid,
    /// Its name when bought (analytics' top products show it).
    pub name: String,
    /// Units.
    pub quantity: u32,
}

impl DomainEvent for OrderEvent {
    fn version(&self) -> u32 {
        1
    }

    fn aggregate_id(&self) -> Uuid {
        match self {
            Self::OrderPlaced { order_id, .. } | Self::StatusChanged { order_id, .. } => *order_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{catalog::Currency, event::EventEnvelope};

    #[test]
    fn events_travel_with_their_documented_names_and_round_trip() {
        let id = Uuid::now_v7();
        let placed = OrderEvent::OrderPlaced {
            order_id: id,
            user_id: Uuid::now_v7(),
            total: Money::price(10, Currency::parse("EUR", "c").unwrap()).unwrap(),
            items: vec![PlacedItem {
                product_id: Uuid::now_v7(),
                name: "Oak lamp".into(),
                quantity: 2,
            }],
        };
        let changed = OrderEvent::StatusChanged {
            order_id: id,
            user_id: Uuid::now_v7(),
            from: OrderStatus::Pending,
            to: OrderStatus::Paid,
            actor: Uuid::now_v7(),
        };
        for (event, name) in [(placed, "order.placed"), (changed, "order.status_changed")] {
            let envelope = EventEnvelope::wrap(&event).unwrap();
            assert_eq!(
                (envelope.event_type.as_str(), envelope.aggregate_id),
                (name, id)
            );
            assert_eq!(envelope.decode::<OrderEvent>().unwrap(), event);
        }
    }
}
