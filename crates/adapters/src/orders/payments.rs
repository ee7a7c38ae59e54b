use agora_domain::{
    catalog::{Currency, Money},
    ports::{PaymentAttempt, PaymentRepository, PaymentStatus, StoreError, Tx},
    timestamp_now,
};
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use super::corrupt;
use crate::{
    on_pool, on_tx,
    store::{map_sqlx_error, Database},
};

/// Payment attempts in the relational store.
#[derive(Debug, Clone)]
pub struct SqlPaymentRepository {
    db: Database,
}

impl SqlPaymentRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PaymentRepository for SqlPaymentRepository {
    async fn insert(&self, tx: &mut Tx, attempt: &PaymentAttempt) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO payments (id, order_id, key, amount, currency, status, provider_ref, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(attempt.id)
            .bind(attempt.order_id)
            .bind(&attempt.key)
            .bind(attempt.amount.amount)
            .bind(attempt.amount.currency.code())
            .bind(attempt.status.as_str())
            .bind(attempt.provider_ref.as_deref())
            .bind(attempt.created_at)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn of_order(&self, order_id: Uuid) -> Result<Vec<PaymentAttempt>, StoreError> {
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(
                "SELECT id, order_id, key, amount, currency, status, provider_ref, created_at \
                 FROM payments WHERE order_id = $1 ORDER BY created_at, id",
            )
            .bind(order_id)
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)?;
            rows.iter()
                .map(|row| {
                    let code: String = row.try_get("currency").map_err(map_sqlx_error)?;
                    let status: String = row.try_get("status").map_err(map_sqlx_error)?;
                    Ok(PaymentAttempt {
                        id: row.try_get("id").map_err(map_sqlx_error)?,
                        order_id: row.try_get("order_id").map_err(map_sqlx_error)?,
                        key: row.try_get("key").map_err(map_sqlx_error)?,
                        amount: Money {
                            amount: row.try_get("amount").map_err(map_sqlx_error)?,
                            currency: Currency::parse(&code, "currency")
                                .map_err(|e| corrupt(e.message))?,
                        },
                        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt(status))?,
                        provider_ref: row.try_get("provider_ref").map_err(map_sqlx_error)?,
                        created_at: row.try_get("created_at").map_err(map_sqlx_error)?,
                    })
                })
                .collect()
        })
    }

    async fn set_status(
        &self,
        tx: &mut Tx,
        id: Uuid,
        status: PaymentStatus,
        provider_ref: Option<&str>,
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE payments SET status = $2, provider_ref = coalesce($3, provider_ref), updated_at = $4 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(provider_ref)
            .bind(timestamp_now())
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }
}
