//! Catalog's published [`Inventory`]: stock reservations, answered in process by [`Catalog`].
//! Stock lives in catalog's tables; other contexts change it only through this port (ADR 0016).

use agora_domain::{
    catalog::CatalogEvent,
    event::EventEnvelope,
    ports::{
        Hold, Inventory, InventoryError, OutboxMessage, PortError, ReservationLine, ReserveOutcome,
        StockChange, Tx,
    },
    timestamp_now,
};
use async_trait::async_trait;
use uuid::Uuid;

use super::Catalog;

#[async_trait]
impl Inventory for Catalog {
    #[tracing::instrument(skip_all, fields(reservation_id = %reservation_id, lines = lines.len()))]
    async fn reserve(
        &self,
        tx: Option<&mut Tx>,
        reservation_id: Uuid,
        lines: &[ReservationLine],
    ) -> Result<Hold, InventoryError> {
        match tx {
            // The caller's transaction makes it final with the caller's own writes.
            Some(tx) => {
                self.reserve_in(tx, reservation_id, lines, None).await?;
                Ok(Hold::Joined)
            }
            None => {
                let ttl = chrono::Duration::from_std(self.deps.reservation_ttl)
                    .map_err(|e| PortError::Unexpected(e.to_string()))?;
                let expires_at = timestamp_now() + ttl;
                let mut tx = self.deps.uow.begin().await?;
                // On failure the transaction is dropped: nothing of a partial reservation stays.
                self.reserve_in(&mut tx, reservation_id, lines, Some(expires_at))
                    .await?;
                tx.commit().await?;
                Ok(Hold::Pending)
            }
        }
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %reservation_id))]
    async fn confirm(&self, reservation_id: Uuid) -> Result<(), InventoryError> {
        let mut tx = self.deps.uow.begin().await?;
        if !self.deps.stock.confirm(&mut tx, reservation_id).await? {
            return Err(InventoryError::NotHeld(reservation_id));
        }
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %reservation_id))]
    async fn release(
        &self,
        tx: Option<&mut Tx>,
        reservation_id: Uuid,
    ) -> Result<(), InventoryError> {
        match tx {
            Some(tx) => self.release_in(tx, reservation_id).await,
            None => {
                let mut tx = self.deps.uow.begin().await?;
                self.release_in(&mut tx, reservation_id).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }
}

impl Catalog {
    /// Returns the units of up to `limit` pending reservations that expired (their holder never
    /// confirmed: it failed or crashed mid-checkout), each in its own transaction. The number
    /// released; run until it returns less than `limit`.
    #[tracing::instrument(skip_all)]
    pub async fn sweep_expired_reservations(&self, limit: u32) -> Result<usize, InventoryError> {
        let now = timestamp_now();
        let expired = self.deps.stock.expired(now, limit).await?;
        let mut released = 0;
        for reservation_id in expired {
            let mut tx = self.deps.uow.begin().await?;
            let changes = self
                .deps
                .stock
                .release_expired(&mut tx, reservation_id, now)
                .await?;
            self.stock_changed(&mut tx, &changes).await?;
            tx.commit().await?;
            if !changes.is_empty() {
                tracing::info!(%reservation_id, "expired reservation released");
                released += 1;
            }
        }
        Ok(released)
    }

    async fn reserve_in(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        lines: &[ReservationLine],
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), InventoryError> {
        match self
            .deps
            .stock
            .reserve(tx, reservation_id, lines, expires_at)
            .await?
        {
            ReserveOutcome::Reserved(changes) => self.stock_changed(tx, &changes).await,
            ReserveOutcome::AlreadyReserved => Ok(()),
            ReserveOutcome::Failed(error) => Err(error),
        }
    }

    async fn release_in(&self, tx: &mut Tx, reservation_id: Uuid) -> Result<(), InventoryError> {
        let changes = self.deps.stock.release(tx, reservation_id).await?;
        self.stock_changed(tx, &changes).await
    }

    /// After a stock change in `tx`: `product.stock_low` for each product that fell under the
    /// threshold (written with the change, so it exists exactly when the change commits), and the
    /// cached products dropped once `tx` commits — not before (a reader could cache the old stock
    /// again) and never for a rollback.
    async fn stock_changed(
        &self,
        tx: &mut Tx,
        changes: &[StockChange],
    ) -> Result<(), InventoryError> {
        let threshold = self.deps.stock_low_threshold;
        for change in changes {
            if change.before >= threshold && change.after < threshold {
                let event = CatalogEvent::StockLow {
                    product_id: change.product_id,
                    stock: change.after,
                    threshold,
                };
                let envelope = EventEnvelope::wrap(&event)
                    .map_err(|e| PortError::Unexpected(e.to_string()))?;
                self.deps
                    .outbox
                    .enqueue(tx, &OutboxMessage::Event(envelope))
                    .await?;
            }
            self.invalidate_after_commit(tx, change.product_id);
        }
        Ok(())
    }
}
