//! Orders use cases against in-memory fakes of their ports, with catalog answering its
//! `ProductCatalog` and `Inventory` ports in process over the same store.

mod cart;
mod checkout;
mod idempotency;
mod payment;
mod transitions;

use agora_domain::{
    catalog::Product,
    event::EventEnvelope,
    identity::{Principal, Role},
    orders::{IdempotencyKey, Order, OrderStatus},
};
use uuid::Uuid;

use super::{CheckoutRequest, CheckoutResponse};
use crate::{
    catalog::NewProductInput,
    testing::{self, OrdersHarness},
    AppError,
};

fn admin() -> Principal {
    testing::principal(Role::Admin)
}

/// A signed-in buyer with a verified email.
fn buyer() -> Principal {
    testing::principal(Role::User)
}

/// A product priced `amount` minor units of `currency` with `stock` units, created by an admin.
async fn product(h: &OrdersHarness, amount: i64, currency: &str, stock: i64) -> Product {
    let sku = format!("P-{}", &Uuid::new_v4().simple().to_string()[..12]).to_uppercase();
    h.catalog
        .create(
            &admin(),
            NewProductInput {
                sku: Some(sku.clone()),
                name: Some(format!("Thing {sku}")),
                description: Some(String::new()),
                price_amount: Some(amount),
                price_currency: Some(currency.into()),
                stock: Some(stock),
                category_id: None,
            },
        )
        .await
        .unwrap()
}

/// Puts `quantity` of `product` in the buyer's cart.
async fn put(h: &OrdersHarness, buyer: &Principal, product: Uuid, quantity: i64) {
    h.orders.put_item(buyer, product, quantity).await.unwrap();
}

/// How an order is answered: its JSON (the HTTP layer renders a DTO; any rendering will do
/// for replays, which store bytes).
fn render(order: &Order) -> Vec<u8> {
    serde_json::to_vec(order).unwrap()
}

fn request(key: &str, body: &str) -> CheckoutRequest {
    CheckoutRequest {
        key: IdempotencyKey::parse(Some(key)).unwrap(),
        body: body.as_bytes().to_vec(),
        note: None,
    }
}

async fn checkout(
    h: &OrdersHarness,
    buyer: &Principal,
    key: &str,
) -> Result<CheckoutResponse, AppError> {
    h.orders.checkout(buyer, request(key, "{}"), &render).await
}

/// Checks out the buyer's cart; the order placed.
async fn place(h: &OrdersHarness, buyer: &Principal) -> Order {
    let response = checkout(h, buyer, &Uuid::now_v7().to_string())
        .await
        .unwrap();
    assert_eq!(response.status, 201);
    serde_json::from_slice(&response.body).unwrap()
}

/// A pending order of one unit of a fresh product priced `amount` (stock 10).
async fn pending_order(h: &OrdersHarness, buyer: &Principal, amount: i64) -> Order {
    let item = product(h, amount, "EUR", 10).await;
    put(h, buyer, item.id, 1).await;
    place(h, buyer).await
}

/// A product's committed stock.
fn stock(h: &OrdersHarness, id: Uuid) -> u32 {
    h.db.committed()
        .products
        .iter()
        .find(|p| p.id == id)
        .unwrap()
        .stock
}

/// The committed order `id`.
fn stored(h: &OrdersHarness, id: Uuid) -> Order {
    h.db.committed()
        .orders
        .iter()
        .find(|o| o.id == id)
        .cloned()
        .unwrap()
}

/// The committed events of type `event_type`, oldest first.
fn events(h: &OrdersHarness, event_type: &str) -> Vec<EventEnvelope> {
    h.db.committed()
        .events()
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .cloned()
        .collect()
}

/// `(from, to, actor)` of every `order.status_changed` of `order`.
fn moves(h: &OrdersHarness, order: Uuid) -> Vec<(OrderStatus, OrderStatus, Uuid)> {
    events(h, "order.status_changed")
        .into_iter()
        .filter(|e| e.aggregate_id == order)
        .map(|e| {
            let status = |name: &str| serde_json::from_value(e.data[name].clone()).unwrap();
            let actor = serde_json::from_value(e.data["actor"].clone()).unwrap();
            (status("from"), status("to"), actor)
        })
        .collect()
}

/// A 409's code, message and the fields its details name.
fn conflict(error: AppError) -> (&'static str, String, Vec<String>) {
    match error {
        AppError::Conflict {
            code,
            message,
            details,
        } => (
            code,
            message,
            details.into_iter().map(|d| d.field).collect(),
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The fields a validation error names.
fn invalid(error: AppError) -> Vec<String> {
    match error {
        AppError::Validation(errors) => errors.errors().iter().map(|e| e.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}
