use agora_domain::{
    orders::{CartLine, Quantity},
    ports::{CartRepository, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::corrupt;
use crate::{
    on_pool, on_tx,
    store::{map_sqlx_error, Database},
};

/// Carts in the relational store.
#[derive(Debug, Clone)]
pub struct SqlCartRepository {
    db: Database,
}

impl SqlCartRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CartRepository for SqlCartRepository {
    async fn lines(&self, user_id: Uuid) -> Result<Vec<CartLine>, StoreError> {
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(
                "SELECT product_id, quantity, added_at FROM cart_items WHERE user_id = $1 \
                 ORDER BY added_at, product_id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)?;
            rows.iter()
                .map(|row| {
                    let quantity: i64 = row.try_get("quantity").map_err(map_sqlx_error)?;
                    Ok(CartLine {
                        product_id: row.try_get("product_id").map_err(map_sqlx_error)?,
                        quantity: Quantity::parse(quantity).map_err(|e| corrupt(e.message))?,
                        added_at: row
                            .try_get::<DateTime<Utc>, _>("added_at")
                            .map_err(map_sqlx_error)?,
                    })
                })
                .collect()
        })
    }

    async fn put(&self, tx: &mut Tx, user_id: Uuid, line: &CartLine) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO cart_items (user_id, product_id, quantity, added_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity",
            )
            .bind(user_id)
            .bind(line.product_id)
            .bind(i64::from(line.quantity.get()))
            .bind(line.added_at)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn remove(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        product_id: Uuid,
    ) -> Result<bool, StoreError> {
        on_tx!(tx, |conn| {
            let result =
                sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2")
                    .bind(user_id)
                    .bind(product_id)
                    .execute(conn)
                    .await
                    .map_err(map_sqlx_error)?;
            Ok(result.rows_affected() == 1)
        })
    }

    async fn remove_lines(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        lines: &[CartLine],
    ) -> Result<u64, StoreError> {
        let mut removed = 0;
        for line in lines {
            removed += on_tx!(tx, |conn| {
                sqlx::query(
                    "DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2 AND quantity = $3",
                )
                .bind(user_id)
                .bind(line.product_id)
                .bind(i64::from(line.quantity.get()))
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?
                .rows_affected()
            });
        }
        Ok(removed)
    }
}
