//! Orders' ports: carts, orders, idempotency keys, payment attempts, and the payment provider.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreError, Tx};
use crate::{
    catalog::Money,
    orders::{CartLine, IdempotencyKey, Order, OrderStatus, StatusChange},
    paging::{Page, PageRequest},
};

/// Persistence of carts: one line per (user, product).
#[async_trait]
pub trait CartRepository: Send + Sync {
    /// The user's lines, oldest first.
    async fn lines(&self, user_id: Uuid) -> Result<Vec<CartLine>, StoreError>;
    /// Sets a line's quantity (adds the line if missing, keeping `added_at` of an existing one).
    async fn put(&self, tx: &mut Tx, user_id: Uuid, line: &CartLine) -> Result<(), StoreError>;
    /// Removes a line; false if there was none.
    async fn remove(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        product_id: Uuid,
    ) -> Result<bool, StoreError>;
    /// Deletes exactly these lines (same product AND quantity); returns how many matched, so a
    /// checkout notices a cart changed since it was read.
    async fn remove_lines(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        lines: &[CartLine],
    ) -> Result<u64, StoreError>;
}

/// Sortable order columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSort {
    /// Placement time.
    CreatedAt,
    /// Total amount.
    Total,
    /// Status name.
    Status,
}

/// Which orders to list.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFilter {
    /// Only this buyer's.
    pub user_id: Option<Uuid>,
    /// Only in this status.
    pub status: Option<OrderStatus>,
    /// Placed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Placed before.
    pub to: Option<DateTime<Utc>>,
    /// Order.
    pub sort: OrderSort,
    /// Descending when true.
    pub descending: bool,
    /// Page.
    pub page: PageRequest,
}

/// Persistence of orders, their items and history.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order with its items and its first history entry.
    async fn insert(&self, tx: &mut Tx, order: &Order) -> Result<(), StoreError>;
    /// Reads one order inside a transaction (to change it).
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Order>, StoreError>;
    /// Reads one order.
    async fn get(&self, id: Uuid) -> Result<Option<Order>, StoreError>;
    /// Moves `order_id` from `expected` to `change.to` and records `change`; false (nothing
    /// written) when the stored status is no longer `expected`.
    async fn change_status(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        expected: OrderStatus,
        change: &StatusChange,
    ) -> Result<bool, StoreError>;
    /// One page of orders matching `filter` (items and history included).
    async fn list(&self, filter: &OrderFilter) -> Result<Page<Order>, StoreError>;
    /// Records, in the order's transaction, that its reservation is pending in catalog and must
    /// be confirmed after the commit (ADR 0031).
    async fn await_confirmation(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), StoreError>;
    /// Forgets the pending confirmation of `order_id` (confirmed, or the order was cancelled).
    async fn confirmation_done(&self, tx: &mut Tx, order_id: Uuid) -> Result<(), StoreError>;
    /// Up to `limit` orders whose reservation still awaits confirmation, oldest first, as
    /// `(order id, reservation id)`.
    async fn awaiting_confirmation(&self, limit: u32) -> Result<Vec<(Uuid, Uuid)>, StoreError>;
    /// Records, in the cancelling transaction, that the order's reservation is to be released
    /// by a catalog across processes after the commit (ADR 0031).
    async fn await_release(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), StoreError>;
    /// Forgets the pending release of `order_id` (catalog released it).
    async fn release_done(&self, tx: &mut Tx, order_id: Uuid) -> Result<(), StoreError>;
    /// Up to `limit` cancelled orders whose reservation still awaits its release, oldest first,
    /// as `(order id, reservation id)`.
    async fn awaiting_release(&self, limit: u32) -> Result<Vec<(Uuid, Uuid)>, StoreError>;
}

/// Where a remembered checkout is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// A request holds the key until `locked_until`; `order_id` is set once its order committed.
    InFlight {
        /// The holder's lease; after it a retry may take over (the holder crashed).
        locked_until: DateTime<Utc>,
        /// The order placed so far, if any.
        order_id: Option<Uuid>,
    },
    /// Finished: replay exactly this.
    Done {
        /// HTTP status of the original answer.
        status: u16,
        /// Body of the original answer, byte for byte.
        body: Vec<u8>,
    },
}

/// A stored `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// SHA-256 of the original request (method, path, body).
    pub fingerprint: String,
    /// Progress.
    pub state: IdempotencyState,
    /// When the key is forgotten.
    pub expires_at: DateTime<Utc>,
}

/// Persistence of idempotency keys, per (user, key). The unique (user, key) row is the lock:
/// whoever inserts it runs the request.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Inserts an in-flight row and commits it; `Ok(None)` when it was inserted (the caller holds
    /// the key), `Ok(Some(existing))` when the key was there already.
    async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
        locked_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Takes over an in-flight key whose lease `expired_lock` has run out; false when someone
    /// else took it (or it finished) first.
    async fn take_over(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        expired_lock: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Records the order the key's request placed, in the order's transaction.
    async fn attach_order(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        key: &IdempotencyKey,
        order_id: Uuid,
    ) -> Result<(), StoreError>;
    /// Stores the final answer.
    async fn complete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        key: &IdempotencyKey,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError>;
    /// Deletes the key (its request failed before placing anything, so a retry may run again).
    async fn forget(&self, user_id: Uuid, key: &IdempotencyKey) -> Result<(), StoreError>;
    /// Deletes keys that expired before `now`; returns how many.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Where a payment attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Recorded before calling the provider; an attempt left here crashed midway and is resumed
    /// with the same key.
    Started,
    /// Money taken.
    Captured,
    /// The provider said no.
    Declined,
    /// Money given back.
    Refunded,
}

impl PaymentStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Captured => "captured",
            Self::Declined => "declined",
            Self::Refunded => "refunded",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Started,
            Self::Captured,
            Self::Declined,
            Self::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// One attempt to pay an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAttempt {
    /// UUID v7.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// The provider's idempotency key: retrying with it never charges twice.
    pub key: String,
    /// The amount.
    pub amount: Money,
    /// Progress.
    pub status: PaymentStatus,
    /// The provider's reference once authorized.
    pub provider_ref: Option<String>,
    /// When recorded.
    pub created_at: DateTime<Utc>,
}

/// Persistence of payment attempts.
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Records an attempt (status `started`) before the provider is called.
    async fn insert(&self, tx: &mut Tx, attempt: &PaymentAttempt) -> Result<(), StoreError>;
    /// The attempts of an order, oldest first.
    async fn of_order(&self, order_id: Uuid) -> Result<Vec<PaymentAttempt>, StoreError>;
    /// Sets an attempt's status (and reference).
    async fn set_status(
        &self,
        tx: &mut Tx,
        id: Uuid,
        status: PaymentStatus,
        provider_ref: Option<&str>,
    ) -> Result<(), StoreError>;
}

/// A payment provider's refusal or failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The provider declined (card refused, limit); the reason is safe to log.
    #[error("declined: {0}")]
    Declined(String),
    /// The provider could not be reached or failed; retrying with the same key is safe.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

/// A payment provider (ADR 0016). Every call takes an idempotency key: repeating a call with
/// the same key returns the first call's outcome and never moves money twice.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Reserves `amount` on the buyer's means of payment; returns the provider's reference.
    async fn authorize(&self, key: &str, amount: Money) -> Result<String, PaymentError>;
    /// Takes the authorized amount.
    async fn capture(&self, key: &str, reference: &str) -> Result<(), PaymentError>;
    /// Gives a captured amount back.
    async fn refund(&self, key: &str, reference: &str, amount: Money) -> Result<(), PaymentError>;
}
