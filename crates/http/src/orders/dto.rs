use agora_app::orders::{CartItemView, CartView};
use agora_domain::{
    catalog::Money,
    orders::{Order, OrderItem, StatusChange},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::catalog::MoneyDto;

fn money(m: Money) -> MoneyDto {
    MoneyDto {
        amount: m.amount,
        currency: m.currency.code().to_owned(),
    }
}

/// One line of an order, as bought.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OrderItem)]
pub struct OrderItemDto {
    product_id: Uuid,
    sku: String,
    name: String,
    unit_price: MoneyDto,
    quantity: u32,
    line_total: MoneyDto,
}

impl From<&OrderItem> for OrderItemDto {
    fn from(i: &OrderItem) -> Self {
        Self {
            product_id: i.product_id,
            sku: i.sku.clone(),
            name: i.name.clone(),
            unit_price: money(i.unit_price),
            quantity: i.quantity.get(),
            line_total: money(i.line_total),
        }
    }
}

/// One status change; `from` is null for placement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrderStatusChange)]
pub struct StatusChangeDto {
    from: Option<String>,
    to: String,
    at: DateTime<Utc>,
    /// The user who made the change (the buyer or an admin).
    actor: Uuid,
}

impl From<&StatusChange> for StatusChangeDto {
    fn from(c: &StatusChange) -> Self {
        Self {
            from: c.from.map(|s| s.as_str().to_owned()),
            to: c.to.as_str().to_owned(),
            at: c.at,
            actor: c.actor,
        }
    }
}

/// An order. `status`: `pending`, `paid`, `shipped`, `delivered`, `cancelled`, `refunded`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Order)]
pub struct OrderDto {
    id: Uuid,
    user_id: Uuid,
    status: String,
    items: Vec<OrderItemDto>,
    total: MoneyDto,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    history: Vec<StatusChangeDto>,
}

impl From<&Order> for OrderDto {
    fn from(o: &Order) -> Self {
        Self {
            id: o.id,
            user_id: o.user_id,
            status: o.status.as_str().to_owned(),
            items: o.items.iter().map(OrderItemDto::from).collect(),
            total: money(o.total),
            note: o.note.clone(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            history: o.history.iter().map(StatusChangeDto::from).collect(),
        }
    }
}

/// One cart line with the product's current name and price; `available: false` (name and
/// price null when the product no longer exists) blocks checkout until removed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CartItem)]
pub struct CartItemDto {
    product_id: Uuid,
    name: Option<String>,
    unit_price: Option<MoneyDto>,
    quantity: u32,
    line_total: Option<MoneyDto>,
    available: bool,
}

impl From<&CartItemView> for CartItemDto {
    fn from(i: &CartItemView) -> Self {
        Self {
            product_id: i.product_id,
            name: i.name.clone(),
            unit_price: i.unit_price.map(money),
            quantity: i.quantity.get(),
            line_total: i.line_total.map(money),
            available: i.available,
        }
    }
}

/// The caller's cart; `total` sums the available lines (null when there are none).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Cart)]
pub struct CartDto {
    items: Vec<CartItemDto>,
    total: Option<MoneyDto>,
}

impl From<&CartView> for CartDto {
    fn from(c: &CartView) -> Self {
        Self {
            items: c.items.iter().map(CartItemDto::from).collect(),
            total: c.total.map(money),
        }
    }
}

/// `PUT /api/cart/items/{productId}`: `quantity` 1–99.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CartItemRequest, example = json!({ "quantity": 2 }))]
pub(super) struct CartItemBody {
    /// Units, an integer 1–99.
    #[schema(value_type = i64, minimum = 1, maximum = 99)]
    pub quantity: Option<serde_json::Value>,
}

/// `POST /api/orders` (optional body): a note for the order, up to 500 characters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckoutRequest, example = json!({ "note": "Leave it with the neighbour" }))]
pub(super) struct CheckoutBody {
    #[schema(schema_with = crate::rules::order_note)]
    pub note: Option<String>,
}

/// `POST /api/admin/orders/{id}/transition`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TransitionRequest, example = json!({ "to": "shipped" }))]
pub(super) struct TransitionBody {
    /// The status to move to.
    // An `Option` only so that a missing one gets its own message; the document requires it.
    #[schema(value_type = String, required = true, pattern = "^(pending|paid|shipped|delivered|cancelled|refunded)$")]
    pub to: Option<String>,
}

/// Admin order list filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)] // documentation-only: the handler reads the query map
pub(super) struct AdminOrderFilterParams {
    /// Only orders in this status.
    #[param(pattern = "^(pending|paid|shipped|delivered|cancelled|refunded)$")]
    status: Option<String>,
    /// Only this buyer's orders.
    user_id: Option<Uuid>,
    /// Placed at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Placed before (RFC 3339).
    to: Option<DateTime<Utc>>,
}

/// Fields of an order that `fields=` may select.
pub(super) const ORDER_FIELDS: &[&str] = &[
    "id",
    "userId",
    "status",
    "items",
    "total",
    "note",
    "createdAt",
    "updatedAt",
    "history",
];
