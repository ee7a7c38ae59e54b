//! Stock and reservations in catalog's tables (`products.stock`, `stock_reservations`), behind
//! the published `Inventory` port. Each line is one conditional `UPDATE … WHERE stock >= n`: the
//! row lock it takes (Postgres) or the single writer (SQLite) makes concurrent checkouts of the
//! last units safe without reading first.

use agora_domain::{
    ports::{
        InventoryError, ReservationLine, ReserveOutcome, Shortage, StockChange, StockRepository,
        StoreError, Tx,
    },
    timestamp_now,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use crate::{
    on_pool, on_tx,
    store::{map_sqlx_error, Database},
};

/// Stock in the relational store, on either backend. The database is needed only by the
/// sweeper's read outside a transaction ([`StockRepository::expired`]).
#[derive(Clone)]
pub struct SqlStockRepository {
    db: Database,
}

impl SqlStockRepository {
    /// Stock in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn units(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| StoreError::Other(format!("corrupt stock: {e}").into()))
}

#[async_trait]
impl StockRepository for SqlStockRepository {
    #[tracing::instrument(level = "debug", skip_all, fields(reservation_id = %reservation_id))]
    async fn reserve(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        lines: &[ReservationLine],
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<ReserveOutcome, StoreError> {
        let now = timestamp_now();
        // A final reservation is confirmed when made; a pending one when its caller confirms.
        let confirmed_at = expires_at.is_none().then_some(now);
        on_tx!(tx, |conn| {
            let existing: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM stock_reservations WHERE reservation_id = $1",
            )
            .bind(reservation_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            if existing > 0 {
                return Ok(ReserveOutcome::AlreadyReserved);
            }
            let (mut changes, mut short, mut gone) = (Vec::new(), Vec::new(), Vec::new());
            for line in lines {
                let quantity = i64::from(line.quantity);
                let after: Option<i64> = sqlx::query_scalar(
                    "UPDATE products SET stock = stock - $2, version = version + 1, updated_at = $3 \
                     WHERE id = $1 AND active AND stock >= $2 RETURNING stock",
                )
                .bind(line.product_id)
                .bind(quantity)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
                if let Some(after) = after {
                    changes.push(StockChange {
                        product_id: line.product_id,
                        before: units(after + quantity)?,
                        after: units(after)?,
                    });
                    continue;
                }
                let row = sqlx::query("SELECT stock, active FROM products WHERE id = $1")
                    .bind(line.product_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(map_sqlx_error)?;
                match row {
                    Some(row) if row.try_get::<bool, _>("active").map_err(map_sqlx_error)? => {
                        short.push(Shortage {
                            product_id: line.product_id,
                            requested: line.quantity,
                            available: units(row.try_get("stock").map_err(map_sqlx_error)?)?,
                        });
                    }
                    _ => gone.push(line.product_id),
                }
            }
            if !gone.is_empty() {
                return Ok(ReserveOutcome::Failed(InventoryError::NotForSale(gone)));
            }
            if !short.is_empty() {
                return Ok(ReserveOutcome::Failed(InventoryError::OutOfStock(short)));
            }
            for line in lines {
                sqlx::query(
                    "INSERT INTO stock_reservations \
                     (reservation_id, product_id, quantity, created_at, expires_at, confirmed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(reservation_id)
                .bind(line.product_id)
                .bind(i64::from(line.quantity))
                .bind(now)
                .bind(expires_at)
                .bind(confirmed_at)
                .execute(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            }
            Ok(ReserveOutcome::Reserved(changes))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(reservation_id = %reservation_id))]
    async fn release(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
    ) -> Result<Vec<StockChange>, StoreError> {
        give_back(tx, reservation_id, None).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(reservation_id = %reservation_id))]
    async fn confirm(&self, tx: &mut Tx, reservation_id: Uuid) -> Result<bool, StoreError> {
        let now = timestamp_now();
        on_tx!(tx, |conn| {
            let held = sqlx::query(
                "UPDATE stock_reservations SET expires_at = NULL, \
                 confirmed_at = COALESCE(confirmed_at, $2) \
                 WHERE reservation_id = $1 AND released_at IS NULL",
            )
            .bind(reservation_id)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?
            .rows_affected();
            Ok(held > 0)
        })
    }

    async fn expired(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Uuid>, StoreError> {
        on_pool!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT reservation_id FROM stock_reservations \
                 WHERE expires_at IS NOT NULL AND released_at IS NULL AND expires_at < $1 \
                 LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(reservation_id = %reservation_id))]
    async fn release_expired(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<StockChange>, StoreError> {
        give_back(tx, reservation_id, Some(now)).await
    }
}

/// Marks the reservation's unreleased lines released and puts their units back. The claim is the
/// `UPDATE … RETURNING` itself, so two concurrent releases (a retried compensation, the sweeper,
/// a cancel) give the units back once: the second finds no unreleased row. With `expired_at`
/// only a pending reservation whose time ran out by then is released.
async fn give_back(
    tx: &mut Tx,
    reservation_id: Uuid,
    expired_at: Option<DateTime<Utc>>,
) -> Result<Vec<StockChange>, StoreError> {
    let now = timestamp_now();
    let claim = if expired_at.is_some() {
        "UPDATE stock_reservations SET released_at = $2 \
         WHERE reservation_id = $1 AND released_at IS NULL \
           AND expires_at IS NOT NULL AND expires_at < $3 \
         RETURNING product_id, quantity"
    } else {
        "UPDATE stock_reservations SET released_at = $2 \
         WHERE reservation_id = $1 AND released_at IS NULL \
         RETURNING product_id, quantity"
    };
    on_tx!(tx, |conn| {
        let mut query = sqlx::query(claim).bind(reservation_id).bind(now);
        if let Some(at) = expired_at {
            query = query.bind(at);
        }
        let rows = query.fetch_all(&mut *conn).await.map_err(map_sqlx_error)?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            let product_id: Uuid = row.try_get("product_id").map_err(map_sqlx_error)?;
            let quantity: i64 = row.try_get("quantity").map_err(map_sqlx_error)?;
            lines.push((product_id, quantity));
        }
        // Products in id order, like reservations take them: no deadlock between the two.
        lines.sort_unstable();
        let mut changes = Vec::with_capacity(lines.len());
        for (product_id, quantity) in lines {
            let after: i64 = sqlx::query_scalar(
                "UPDATE products SET stock = stock + $2, version = version + 1, updated_at = $3 \
                 WHERE id = $1 RETURNING stock",
            )
            .bind(product_id)
            .bind(quantity)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            changes.push(StockChange {
                product_id,
                before: units(after - quantity)?,
                after: units(after)?,
            });
        }
        Ok(changes)
    })
}
