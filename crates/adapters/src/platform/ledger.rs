use agora_domain::{
    event::EventEnvelope,
    paging::{Page, PageRequest},
    ports::{ConsumerLedger, DeadLetter, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::{types::Json, Row};
use uuid::Uuid;

use crate::{
    on_pool, on_tx, on_writer,
    store::{map_sqlx_error, Column, Database},
};

/// The consumers' inbox and failures (`inbox`, `event_failures`).
#[derive(Debug, Clone)]
pub struct SqlConsumerLedger {
    db: Database,
}

impl SqlConsumerLedger {
    /// A ledger over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const DEAD_COLUMNS: &str = "id, consumer, event, attempts, last_error, dead_at";

fn dead_letter<'r, R: Row>(row: &'r R) -> Result<DeadLetter, sqlx::Error>
where
    &'r str: sqlx::ColumnIndex<R>,
    Uuid: Column<'r, R>,
    String: Column<'r, R>,
    i32: Column<'r, R>,
    Json<EventEnvelope>: Column<'r, R>,
    chrono::DateTime<Utc>: Column<'r, R>,
{
    Ok(DeadLetter {
        id: row.try_get("id")?,
        consumer: row.try_get("consumer")?,
        event: row.try_get::<Json<EventEnvelope>, _>("event")?.0,
        attempts: u32::try_from(row.try_get::<i32, _>("attempts")?).unwrap_or_default(),
        last_error: row.try_get("last_error")?,
        dead_at: row.try_get("dead_at")?,
    })
}

#[async_trait]
impl ConsumerLedger for SqlConsumerLedger {
    async fn record(
        &self,
        tx: &mut Tx,
        consumer: &str,
        event_id: Uuid,
    ) -> Result<bool, StoreError> {
        let first = on_tx!(tx, |conn| {
            let inserted = sqlx::query(
                "INSERT INTO inbox (consumer, event_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(consumer)
            .bind(event_id)
            .bind(Utc::now())
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?
            .rows_affected()
                == 1;
            if inserted {
                sqlx::query("DELETE FROM event_failures WHERE consumer = $1 AND event_id = $2")
                    .bind(consumer)
                    .bind(event_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_sqlx_error)?;
            }
            inserted
        });
        Ok(first)
    }

    async fn failed(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        error: &str,
    ) -> Result<u32, StoreError> {
        let attempts: i32 = on_writer!(&self.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO event_failures (id, consumer, event_id, event, attempts, last_error, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6) \
                 ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = event_failures.attempts + 1, \
                 last_error = excluded.last_error, updated_at = excluded.updated_at, dead_at = NULL \
                 RETURNING attempts",
            )
            .bind(Uuid::now_v7())
            .bind(consumer)
            .bind(event.id)
            .bind(Json(event))
            .bind(error)
            .bind(Utc::now())
            .fetch_one(pool)
            .await
            .map_err(map_sqlx_error)?
        });
        Ok(u32::try_from(attempts).unwrap_or_default())
    }

    async fn bury(&self, consumer: &str, event_id: Uuid) -> Result<(), StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query(
                "UPDATE event_failures SET dead_at = $3 WHERE consumer = $1 AND event_id = $2",
            )
            .bind(consumer)
            .bind(event_id)
            .bind(Utc::now())
            .execute(pool)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn dead_letters(&self, page: PageRequest) -> Result<Page<DeadLetter>, StoreError> {
        let select = format!(
            "SELECT {DEAD_COLUMNS} FROM event_failures WHERE dead_at IS NOT NULL \
             ORDER BY dead_at DESC, id DESC LIMIT {} OFFSET {}",
            page.limit,
            page.offset()
        );
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(&select)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 =
                sqlx::query_scalar("SELECT count(*) FROM event_failures WHERE dead_at IS NOT NULL")
                    .fetch_one(pool)
                    .await
                    .map_err(map_sqlx_error)?;
            let items = rows
                .iter()
                .map(dead_letter)
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_sqlx_error)?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }

    async fn take_dead_letter(
        &self,
        tx: &mut Tx,
        id: Uuid,
    ) -> Result<Option<DeadLetter>, StoreError> {
        let sql = format!(
            "DELETE FROM event_failures WHERE id = $1 AND dead_at IS NOT NULL RETURNING {DEAD_COLUMNS}"
        );
        let taken = on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            row.as_ref()
                .map(dead_letter)
                .transpose()
                .map_err(map_sqlx_error)?
        });
        Ok(taken)
    }
}
