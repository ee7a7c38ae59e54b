use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Where an order is in its life. The allowed moves are [`OrderStatus::can_become`]:
/// `pending → paid → shipped → delivered`, `pending | paid → cancelled`, `delivered → refunded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Placed, stock reserved, not paid yet.
    Pending,
    /// Payment captured.
    Paid,
    /// Handed to the carrier.
    Shipped,
    /// Arrived.
    Delivered,
    /// Withdrawn before shipping; its stock went back to the catalog.
    Cancelled,
    /// Paid back after delivery.
    Refunded,
}

/// A move the state machine does not allow; the message names both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("An order cannot move from {from} to {to}")]
pub struct IllegalTransition {
    /// The current status.
    pub from: OrderStatus,
    /// The status asked for.
    pub to: OrderStatus,
}

impl OrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [OrderStatus; 6] = [
        Self::Pending,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Refunded,
    ];

    /// The wire name (`pending`, `paid`, …), also the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// Parses a wire name; anything else is a validation error on `field`.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                FieldError::new(
                    field,
                    format!("Status must be one of: {}", names.join(", ")),
                )
            })
    }

    /// Whether the state machine allows `self → to`. Staying put is not a transition.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Paid)
                | (Paid, Shipped)
                | (Shipped, Delivered)
                | (Pending | Paid, Cancelled)
                | (Delivered, Refunded)
        )
    }

    /// `Ok(to)` when allowed, otherwise the [`IllegalTransition`] naming both ends.
    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// Whether stock reserved for the order should go back on entering this status.
    pub fn releases_stock(self) -> bool {
        self == Self::Cancelled
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    /// The whole state machine as a table: every (from, to) pair and whether it is allowed.
    /// Written out in full (36 rows) so a reader checks the rules by reading, not by deriving.
    const TABLE: [(OrderStatus, OrderStatus, bool); 36] = [
        (Pending, Pending, false),
        (Pending, Paid, true),
        (Pending, Shipped, false),
        (Pending, Delivered, false),
        (Pending, Cancelled, true),
        (Pending, Refunded, false),
        (Paid, Pending, false),
        (Paid, Paid, false),
        (Paid, Shipped, true),
        (Paid, Delivered, false),
        (Paid, Cancelled, true),
        (Paid, Refunded, false),
        (Shipped, Pending, false),
        (Shipped, Paid, false),
        (Shipped, Shipped, false),
        (Shipped, Delivered, true),
        (Shipped, Cancelled, false),
        (Shipped, Refunded, false),
        (Delivered, Pending, false),
        (Delivered, Paid, false),
        (Delivered, Shipped, false),
        (Delivered, Delivered, false),
        (Delivered, Cancelled, false),
        (Delivered, Refunded, true),
        (Cancelled, Pending, false),
        (Cancelled, Paid, false),
        (Cancelled, Shipped, false),
        (Cancelled, Delivered, false),
        (Cancelled, Cancelled, false),
        (Cancelled, Refunded, false),
        (Refunded, Pending, false),
        (Refunded, Paid, false),
        (Refunded, Shipped, false),
        (Refunded, Delivered, false),
        (Refunded, Cancelled, false),
        (Refunded, Refunded, false),
    ];

    #[test]
    fn every_pair_of_statuses_follows_the_table() {
        for (from, to, allowed) in TABLE {
            let result = from.transition(to);
            assert_eq!(result.is_ok(), allowed, "{from} -> {to}");
            if let Err(error) = result {
                assert_eq!(
                    error.to_string(),
                    format!("An order cannot move from {from} to {to}")
                );
            }
        }
    }

    #[test]
    fn the_table_covers_every_pair_once() {
        let mut pairs: Vec<_> = TABLE.iter().map(|(f, t, _)| (*f, *t)).collect();
        pairs.sort_by_key(|(f, t)| (f.as_str(), t.as_str()));
        pairs.dedup();
        assert_eq!(pairs.len(), OrderStatus::ALL.len() * OrderStatus::ALL.len());
    }

    #[test]
    fn statuses_parse_from_their_wire_names_only() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str(), "to").unwrap(), status);
        }
        for bad in ["", "Paid", "lost", "pending "] {
            let error = OrderStatus::parse(bad, "to").unwrap_err();
            assert_eq!(error.field, "to");
        }
    }

    #[test]
    fn only_cancelling_gives_stock_back() {
        let releasing: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.releases_stock())
            .collect();
        assert_eq!(releasing, [Cancelled]);
    }
}
