//! The checkout saga's steps that run outside the order's transaction (ADR 0031). With catalog
//! in process they are never needed: the reservation joins the order's transaction. With catalog
//! across the network the reservation is *pending* in catalog until confirmed:
//!
//! 1. reserve (catalog commits, pending, expires after `catalog.reservation_ttl`);
//! 2. commit the order together with an `unconfirmed_reservations` row;
//! 3. confirm, then delete the row.
//!
//! A failure before 2 commits is compensated at once ([`Orders::compensate`]: release, idempotent
//! by reservation id); a crash before the compensation leaves it to catalog's sweeper (expiry).
//! A failure or crash between 2 and 3 leaves the row, and the recovery task
//! ([`Orders::confirm_pending_reservations`]) confirms it. If the reservation expired first (orders
//! was down longer than the TTL), its stock is back on sale, so the order cannot be served from
//! it: a pending order is cancelled by the system; anything else is reported for an operator.
//!
//! Cancelling gives stock back the same way round: the cancel commits with an
//! `unreleased_reservations` row, then releases (idempotent) and deletes the row; the recovery
//! task ([`Orders::release_pending_reservations`]) retries what a failure or crash left.

use agora_domain::{orders::OrderStatus, ports::InventoryError};
use uuid::Uuid;

use super::Orders;
use crate::AppError;

/// The actor recorded in an order's history for moves the system makes by itself.
pub const SYSTEM_ACTOR: Uuid = Uuid::nil();

impl Orders {
    /// Gives a reservation's units back after the order that took them failed. Logged, never
    /// raised: the caller reports its own failure, and an expiring reservation is the backstop.
    pub(super) async fn compensate(&self, reservation_id: Uuid) {
        if let Err(release) = self.deps.inventory.release(None, reservation_id).await {
            tracing::error!(%release, %reservation_id, "compensating release failed; the reservation returns its stock when it expires");
        }
    }

    /// Confirms the pending reservation of a committed order and forgets it. A failure is
    /// logged and left to the recovery task (the row stays).
    pub(super) async fn confirm_reservation(&self, order_id: Uuid, reservation_id: Uuid) {
        if let Err(error) = self.confirm_one(order_id, reservation_id).await {
            tracing::warn!(%error, %order_id, %reservation_id, "reservation not confirmed yet; the recovery task retries");
        }
    }

    /// Confirms what a failed or crashed checkout left unconfirmed (up to `limit` orders);
    /// returns how many were settled. Run periodically by the orders module.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_pending_reservations(&self, limit: u32) -> Result<usize, AppError> {
        let pending = self.deps.orders.awaiting_confirmation(limit).await?;
        let mut settled = 0;
        for (order_id, reservation_id) in pending {
            match self.confirm_one(order_id, reservation_id).await {
                Ok(()) => settled += 1,
                Err(error @ AppError::Unavailable(_)) => {
                    // Catalog is down: the others would fail the same way.
                    return Err(error);
                }
                Err(error) => {
                    tracing::error!(%error, %order_id, %reservation_id, "could not settle a reservation");
                }
            }
        }
        Ok(settled)
    }

    /// Releases what cancels across processes left unreleased (a release that failed, or a
    /// crash between the cancel's commit and its release; up to `limit`); returns how many were
    /// released. Run periodically by the orders module, with the confirmations.
    #[tracing::instrument(skip_all)]
    pub async fn release_pending_reservations(&self, limit: u32) -> Result<usize, AppError> {
        let pending = self.deps.orders.awaiting_release(limit).await?;
        let mut released = 0;
        for (order_id, reservation_id) in pending {
            match self.release_one(order_id, reservation_id).await {
                Ok(()) => released += 1,
                Err(error @ AppError::Unavailable(_)) => return Err(error),
                Err(error) => {
                    tracing::error!(%error, %order_id, %reservation_id, "could not release a cancelled order's reservation");
                }
            }
        }
        Ok(released)
    }

    async fn confirm_one(&self, order_id: Uuid, reservation_id: Uuid) -> Result<(), AppError> {
        match self.deps.inventory.confirm(reservation_id).await {
            Ok(()) => {
                let mut tx = self.deps.uow.begin().await?;
                self.deps
                    .orders
                    .confirmation_done(&mut tx, order_id)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
            Err(InventoryError::NotHeld(_)) => self.reservation_lost(order_id).await,
            Err(InventoryError::Port(error)) => Err(error.into()),
            Err(other) => Err(AppError::Unexpected(anyhow::anyhow!(
                "confirm failed: {other}"
            ))),
        }
    }

    /// The order's reservation expired before it was confirmed: its units are back on sale.
    async fn reservation_lost(&self, order_id: Uuid) -> Result<(), AppError> {
        let mut tx = self.deps.uow.begin().await?;
        let order = self.deps.orders.find(&mut tx, order_id).await?;
        match order {
            Some(order) if order.status == OrderStatus::Pending => {
                tracing::warn!(%order_id, "reservation expired before confirmation; cancelling the order");
                // `apply` releases (a no-op: nothing is held) and forgets the confirmation.
                let cancelled = self
                    .apply(&mut tx, order, OrderStatus::Cancelled, SYSTEM_ACTOR)
                    .await?;
                tx.commit().await?;
                self.release_after_commit(&cancelled).await;
                return Ok(());
            }
            Some(order) => {
                tracing::error!(%order_id, status = %order.status, "reservation expired before confirmation but the order moved on; its stock is no longer held — check it by hand");
                self.deps
                    .orders
                    .confirmation_done(&mut tx, order_id)
                    .await?;
            }
            None => {
                self.deps
                    .orders
                    .confirmation_done(&mut tx, order_id)
                    .await?
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
