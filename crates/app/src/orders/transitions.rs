//! The order state machine applied: buyers cancel their own `pending`/`paid` orders, admins move
//! any order along the allowed transitions. Cancelling releases the stock through catalog's
//! `Inventory`: in the same transaction in the monolith, right after the commit across
//! processes (ADR 0031); refunds (and cancelling a paid order) go through the
//! payment provider first. Every move records `order.status_changed` with its actor.

use agora_domain::{
    identity::Principal,
    orders::{Order, OrderEvent, OrderStatus},
    ports::{InventoryError, PaymentStatus, Tx},
    timestamp_now,
};
use uuid::Uuid;

use super::{illegal, Orders};
use crate::{require_admin, AppError};

impl Orders {
    /// Cancels the caller's own order (only `pending` or `paid`; a paid one is refunded).
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, order_id = %id))]
    pub async fn cancel(&self, caller: &Principal, id: Uuid) -> Result<Order, AppError> {
        let order = self.own(caller, id).await?;
        self.move_order(order, OrderStatus::Cancelled, caller.user_id)
            .await
    }

    /// Moves any order to `to` (admin). An unknown status is 400 on `to`; a move the state
    /// machine forbids is 409 naming from and to.
    #[tracing::instrument(skip_all, fields(admin_id = %caller.user_id, order_id = %id))]
    pub async fn transition(
        &self,
        caller: &Principal,
        id: Uuid,
        to: &str,
    ) -> Result<Order, AppError> {
        require_admin(caller)?;
        let to = OrderStatus::parse(to, "to")?;
        let order = self.deps.orders.get(id).await?.ok_or(AppError::NotFound)?;
        self.move_order(order, to, caller.user_id).await
    }

    async fn move_order(
        &self,
        order: Order,
        to: OrderStatus,
        actor: Uuid,
    ) -> Result<Order, AppError> {
        order.status.transition(to).map_err(illegal)?;
        let order = if to == OrderStatus::Cancelled {
            self.settle_unfinished(order, actor).await?
        } else {
            order
        };
        // Money moves outside the transaction (a provider call must not hold a connection);
        // the refund is idempotent by key, so a failure after it is retried safely.
        let refunded = match (order.status, to) {
            (_, OrderStatus::Refunded) | (OrderStatus::Paid, OrderStatus::Cancelled) => {
                self.refund(&order).await?
            }
            _ => None,
        };
        let mut tx = self.deps.uow.begin().await?;
        if let Some(attempt) = refunded {
            self.deps
                .payments
                .set_status(&mut tx, attempt, PaymentStatus::Refunded, None)
                .await?;
        }
        let moved = self.apply(&mut tx, order, to, actor).await?;
        tx.commit().await?;
        self.release_after_commit(&moved).await;
        Ok(moved)
    }

    /// Writes `order → to` in `tx`: the status (only if still the one read), the history entry,
    /// the event, and the stock release when the new status gives stock back.
    pub(super) async fn apply(
        &self,
        tx: &mut Tx,
        mut order: Order,
        to: OrderStatus,
        actor: Uuid,
    ) -> Result<Order, AppError> {
        let from = order.status;
        let change = order
            .transition(to, actor, timestamp_now())
            .map_err(illegal)?;
        if !self
            .deps
            .orders
            .change_status(tx, order.id, from, &change)
            .await?
        {
            // Someone moved it first; report the move from where it actually is now.
            let current = self
                .deps
                .orders
                .find(tx, order.id)
                .await?
                .ok_or(AppError::NotFound)?;
            return Err(match current.status.transition(to) {
                Err(error) => illegal(error),
                Ok(_) => AppError::Conflict {
                    code: "conflict",
                    message: "The order changed meanwhile; reload and retry".into(),
                    details: Vec::new(),
                },
            });
        }
        self.emit(
            tx,
            OrderEvent::StatusChanged {
                order_id: order.id,
                user_id: order.user_id,
                from,
                to,
                actor,
            },
        )
        .await?;
        if to.releases_stock() {
            // A reservation still awaiting confirmation must not be confirmed after this.
            self.deps.orders.confirmation_done(tx, order.id).await?;
            if self.deps.inventory.joins_transactions() {
                self.deps
                    .inventory
                    .release(Some(tx), order.reservation_id)
                    .await
                    .map_err(release_error)?;
            } else {
                // A catalog across processes commits a release on its own, and it could not be
                // undone if this transaction then failed: it runs after the commit
                // ([`Orders::release_after_commit`]), and this row makes sure it does (ADR 0031).
                self.deps
                    .orders
                    .await_release(tx, order.id, order.reservation_id)
                    .await?;
            }
        }
        Ok(order)
    }

    /// After a commit that moved `order` to a status giving stock back: releases it in a catalog
    /// across processes (a no-op in the monolith, where the commit did). A failure is logged and
    /// left to the recovery task: the order's move stands either way.
    pub(super) async fn release_after_commit(&self, order: &Order) {
        if self.deps.inventory.joins_transactions() || !order.status.releases_stock() {
            return;
        }
        if let Err(error) = self.release_one(order.id, order.reservation_id).await {
            tracing::warn!(%error, order_id = %order.id, "stock not released yet; the recovery task retries");
        }
    }

    /// Releases a cancelled order's reservation and forgets the pending release.
    pub(super) async fn release_one(
        &self,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), AppError> {
        self.deps
            .inventory
            .release(None, reservation_id)
            .await
            .map_err(release_error)?;
        let mut tx = self.deps.uow.begin().await?;
        self.deps.orders.release_done(&mut tx, order_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn release_error(error: InventoryError) -> AppError {
    match error {
        InventoryError::Port(port) => AppError::from(port),
        other => AppError::Unexpected(anyhow::anyhow!("release failed: {other}")),
    }
}
