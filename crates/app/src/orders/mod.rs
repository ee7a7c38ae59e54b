//! Orders use cases: the cart, checkout ([`Orders::checkout`], the one `PlaceOrder` path, with
//! `Idempotency-Key` handling), payment through the [`PaymentProvider`] port, the order state
//! machine (cancel, admin transitions, refunds) and order history. Orders never touch catalog's
//! tables: products are read through [`ProductCatalog`], stock is reserved through [`Inventory`].

mod cart;
mod checkout;
mod history;
mod idempotency;
mod payment;
mod saga;
mod transitions;

use std::{sync::Arc, time::Duration};

use agora_domain::{
    event::EventEnvelope,
    identity::Principal,
    orders::{IllegalTransition, Order, OrderEvent},
    ports::{
        CartRepository, FeatureGate, IdempotencyStore, Inventory, OrderRepository, Outbox,
        OutboxMessage, PaymentProvider, PaymentRepository, ProductCatalog, Tx, UnitOfWork,
    },
    FieldError,
};
use uuid::Uuid;

pub use cart::{CartItemView, CartView};
pub use checkout::{CheckoutRequest, CheckoutResponse, Render, NEW_CHECKOUT_FLOW};
pub use history::AdminOrderQuery;
pub use saga::SYSTEM_ACTOR;

use crate::AppError;

/// The ports orders need.
#[derive(Clone)]
pub struct OrdersDeps {
    /// Transactions.
    pub uow: Arc<dyn UnitOfWork>,
    /// Carts.
    pub carts: Arc<dyn CartRepository>,
    /// Orders.
    pub orders: Arc<dyn OrderRepository>,
    /// Idempotency keys of checkouts.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Payment attempts.
    pub payments: Arc<dyn PaymentRepository>,
    /// The payment provider.
    pub provider: Arc<dyn PaymentProvider>,
    /// Catalog's product snapshots.
    pub catalog: Arc<dyn ProductCatalog>,
    /// Catalog's stock reservations.
    pub inventory: Arc<dyn Inventory>,
    /// Events.
    pub outbox: Arc<dyn Outbox>,
    /// Feature flags (`new-checkout-flow`).
    pub flags: Arc<dyn FeatureGate>,
}

/// Tunables (`[orders]`).
#[derive(Debug, Clone)]
pub struct OrdersSettings {
    /// How long an `Idempotency-Key` is remembered (API.md: 24 h).
    pub idempotency_ttl: Duration,
    /// How long a checkout holds its key before a retry may take over (its holder crashed).
    pub idempotency_lease: Duration,
}

impl Default for OrdersSettings {
    fn default() -> Self {
        Self {
            idempotency_ttl: Duration::from_secs(24 * 3600),
            idempotency_lease: Duration::from_secs(30),
        }
    }
}

/// The orders application service. Cheap to clone.
#[derive(Clone)]
pub struct Orders {
    deps: OrdersDeps,
    settings: OrdersSettings,
}

impl Orders {
    /// Wires the service.
    pub fn new(deps: OrdersDeps, settings: OrdersSettings) -> Self {
        Self { deps, settings }
    }

    /// Deletes expired idempotency keys (housekeeping); returns how many.
    pub async fn purge_expired_keys(&self) -> Result<u64, AppError> {
        Ok(self
            .deps
            .idempotency
            .purge_expired(chrono::Utc::now())
            .await?)
    }

    /// Writes `event` to the outbox inside `tx`.
    async fn emit(&self, tx: &mut Tx, event: OrderEvent) -> Result<(), AppError> {
        let envelope = EventEnvelope::wrap(&event).map_err(|e| AppError::Unexpected(e.into()))?;
        self.deps
            .outbox
            .enqueue(tx, &OutboxMessage::Event(envelope))
            .await?;
        Ok(())
    }

    /// The order `id` if the caller may see it (their own, or any for an admin); 404 otherwise,
    /// so another user's order ids reveal nothing.
    async fn visible(&self, caller: &Principal, id: Uuid) -> Result<Order, AppError> {
        match self.deps.orders.get(id).await? {
            Some(order) if order.user_id == caller.user_id || caller.is_admin() => Ok(order),
            _ => Err(AppError::NotFound),
        }
    }

    /// The caller's own order `id` (404 for anyone else's, admins included: acting on an order
    /// as its buyer is for its buyer).
    async fn own(&self, caller: &Principal, id: Uuid) -> Result<Order, AppError> {
        match self.deps.orders.get(id).await? {
            Some(order) if order.user_id == caller.user_id => Ok(order),
            _ => Err(AppError::NotFound),
        }
    }
}

/// 409 `conflict` naming both ends of a move the state machine refuses.
fn illegal(error: IllegalTransition) -> AppError {
    AppError::Conflict {
        code: "conflict",
        message: error.to_string(),
        details: vec![FieldError::new(
            "status",
            format!("Current status is {}", error.from),
        )],
    }
}

fn require_verified(caller: &Principal) -> Result<(), AppError> {
    if caller.email_verified {
        Ok(())
    } else {
        Err(AppError::EmailNotVerified)
    }
}

#[cfg(test)]
mod tests;
