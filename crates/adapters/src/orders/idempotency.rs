use agora_domain::{
    orders::IdempotencyKey,
    ports::{IdempotencyRecord, IdempotencyState, IdempotencyStore, StoreError, Tx, UnitOfWork},
    timestamp_now,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use crate::{
    on_pool, on_tx, on_writer,
    store::{map_sqlx_error, Database},
};

/// The unique (user, key) index: inserting the row is taking the lock.
const KEY_INDEX: &str = "idempotency_keys_user_id_key_key";

/// Idempotency keys in the relational store.
#[derive(Debug, Clone)]
pub struct SqlIdempotencyStore {
    db: Database,
}

impl SqlIdempotencyStore {
    /// A store over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn read(
        &self,
        user_id: Uuid,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(
                "SELECT fingerprint, order_id, response_status, response_body, locked_until, expires_at \
                 FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(key)
            .fetch_optional(pool)
            .await
            .map_err(map_sqlx_error)?;
            let Some(row) = row else { return Ok(None) };
            let status: Option<i64> = row.try_get("response_status").map_err(map_sqlx_error)?;
            let body: Option<Vec<u8>> = row.try_get("response_body").map_err(map_sqlx_error)?;
            let state = match (status, body) {
                (Some(status), Some(body)) => IdempotencyState::Done {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                },
                _ => IdempotencyState::InFlight {
                    locked_until: row
                        .try_get::<DateTime<Utc>, _>("locked_until")
                        .map_err(map_sqlx_error)?,
                    order_id: row.try_get("order_id").map_err(map_sqlx_error)?,
                },
            };
            Ok(Some(IdempotencyRecord {
                fingerprint: row.try_get("fingerprint").map_err(map_sqlx_error)?,
                state,
                expires_at: row.try_get("expires_at").map_err(map_sqlx_error)?,
            }))
        })
    }
}

#[async_trait]
impl IdempotencyStore for SqlIdempotencyStore {
    async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
        locked_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        // Its own short transaction, committed before the checkout starts: concurrent retries
        // see the claim at once (and answer 409) instead of queueing behind the checkout.
        let mut tx = self.db.begin().await?;
        let inserted: Result<(), StoreError> = on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO idempotency_keys (user_id, key, fingerprint, locked_until, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(user_id)
            .bind(key.as_str())
            .bind(fingerprint)
            .bind(locked_until)
            .bind(expires_at)
            .bind(timestamp_now())
            .execute(conn)
            .await
            .map(drop)
            .map_err(map_sqlx_error)
        });
        match inserted {
            Ok(()) => {
                tx.commit().await?;
                Ok(None)
            }
            Err(StoreError::Constraint { constraint }) if constraint == KEY_INDEX => {
                drop(tx);
                match self.read(user_id, key.as_str()).await? {
                    Some(existing) => Ok(Some(existing)),
                    // Forgotten between our insert and read (its request failed): claim again.
                    None => {
                        Box::pin(self.claim(user_id, key, fingerprint, locked_until, expires_at))
                            .await
                    }
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn take_over(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        expired_lock: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        on_writer!(&self.db, |pool| {
            let result = sqlx::query(
                "UPDATE idempotency_keys SET locked_until = $4 \
                 WHERE user_id = $1 AND key = $2 AND locked_until = $3 AND response_status IS NULL",
            )
            .bind(user_id)
            .bind(key.as_str())
            .bind(expired_lock)
            .bind(locked_until)
            .execute(pool)
            .await
            .map_err(map_sqlx_error)?;
            Ok(result.rows_affected() == 1)
        })
    }

    async fn attach_order(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        key: &IdempotencyKey,
        order_id: Uuid,
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE idempotency_keys SET order_id = $3 WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(key.as_str())
            .bind(order_id)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn complete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        key: &IdempotencyKey,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE idempotency_keys SET response_status = $3, response_body = $4 \
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(key.as_str())
            .bind(i64::from(status))
            .bind(body)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn forget(&self, user_id: Uuid, key: &IdempotencyKey) -> Result<(), StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                .bind(user_id)
                .bind(key.as_str())
                .execute(pool)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        on_writer!(&self.db, |pool| {
            let result = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await
                .map_err(map_sqlx_error)?;
            Ok(result.rows_affected())
        })
    }
}
