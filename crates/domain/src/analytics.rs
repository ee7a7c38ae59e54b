//! Analytics: daily counters fed by events (API.md "Platform", `GET /api/admin/stats`).
//!
//! The counters read these event payloads (fields beyond these are ignored, missing ones count
//! as absent, so a producer may evolve its payload without breaking the counters):
//! - `user.created` — nothing but the envelope (`occurredAt` gives the day);
//! - `order.placed` — `total: {amount, currency}` (revenue; absent: the order counts, revenue 0)
//!   and `items: [{productId, name?, quantity}]` (top products; absent: none).

use chrono::NaiveDate;
use uuid::Uuid;

/// New users on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersOnDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// Accounts created.
    pub count: u64,
}

/// Orders placed on one day, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrdersOnDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// Orders placed.
    pub count: u64,
    /// Their total in minor units of `currency`.
    pub revenue: i64,
    /// ISO 4217 code; empty for orders whose event carried no total.
    pub currency: String,
}

/// A product by units ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopProduct {
    /// The product.
    pub product_id: Uuid,
    /// Its name when ordered (last seen).
    pub name: String,
    /// Units ordered.
    pub quantity: u64,
}

/// The admin's dashboard numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    /// Oldest day first.
    pub users_by_day: Vec<UsersOnDay>,
    /// Oldest day first.
    pub orders_by_day: Vec<OrdersOnDay>,
    /// Most units first.
    pub top_products: Vec<TopProduct>,
}

/// An order as the counters read it from `order.placed`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlacedOrder {
    /// Total in minor units (0 when absent).
    pub amount: i64,
    /// Its currency (empty when absent).
    pub currency: String,
    /// Its lines.
    pub items: Vec<OrderedProduct>,
}

impl PlacedOrder {
    /// Reads an `order.placed` payload, tolerating absent or malformed fields.
    pub fn from_payload(data: &serde_json::Value) -> Self {
        let total = &data["total"];
        let items = data["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        Some(OrderedProduct {
                            product_id: item["productId"].as_str()?.parse().ok()?,
                            name: item["name"].as_str().unwrap_or_default().to_owned(),
                            quantity: item["quantity"].as_u64().unwrap_or(1),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            amount: total["amount"].as_i64().unwrap_or(0),
            currency: total["currency"].as_str().unwrap_or_default().to_owned(),
            items,
        }
    }
}

/// One line of an order as the counters read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedProduct {
    /// The product.
    pub product_id: Uuid,
    /// Its name, if the event carried it.
    pub name: String,
    /// Units.
    pub quantity: u64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_order_payload_is_read_and_absent_fields_tolerated() {
        let product = Uuid::now_v7();
        let order = PlacedOrder::from_payload(&json!({
            "total": {"amount": 2599, "currency": "EUR"},
            "items": [{"productId": product, "name": "Tent", "quantity": 2}, {"sku": "no id"}],
        }));
        assert_eq!((order.amount, order.currency.as_str()), (2599, "EUR"));
        assert_eq!(
            order.items,
            [OrderedProduct {
                product_id: product,
                name: "Tent".into(),
                quantity: 2
            }]
        );
        assert_eq!(
            PlacedOrder::from_payload(&json!({})),
            PlacedOrder::default()
        );
    }
}
