use agora_domain::{
    event::EventEnvelope,
    mail::OutgoingMail,
    ports::{dead_letter_at, Outbox, OutboxItem, OutboxMessage, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{types::Json, Row};
use uuid::Uuid;

use crate::{
    on_pool, on_tx, on_writer,
    store::{map_sqlx_error, Backend, Database},
};

/// The outbox table.
#[derive(Debug, Clone)]
pub struct SqlOutbox {
    db: Database,
    /// Signalled after a transaction that enqueued something commits, so this process's relay
    /// delivers at once instead of at its next poll.
    wake: std::sync::Arc<tokio::sync::Notify>,
}

impl SqlOutbox {
    /// An outbox over `db`.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            wake: std::sync::Arc::default(),
        }
    }

    /// Notified after each commit of a transaction that enqueued messages (never on rollback:
    /// a relay woken for a rolled-back row would find nothing and poll again).
    pub fn wakeups(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.wake.clone()
    }
}

fn encode(message: &OutboxMessage) -> Result<(&'static str, serde_json::Value), StoreError> {
    let encoded = match message {
        OutboxMessage::Mail(mail) => ("mail", serde_json::to_value(mail)),
        OutboxMessage::Event(event) => ("event", serde_json::to_value(event)),
        OutboxMessage::Job(job) => ("job", serde_json::to_value(job)),
    };
    match encoded {
        (kind, Ok(payload)) => Ok((kind, payload)),
        (_, Err(e)) => Err(StoreError::Other(Box::new(e))),
    }
}

fn decode(kind: &str, payload: serde_json::Value) -> Result<OutboxMessage, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Other(Box::new(e));
    match kind {
        "mail" => serde_json::from_value::<OutgoingMail>(payload)
            .map(OutboxMessage::Mail)
            .map_err(corrupt),
        "event" => serde_json::from_value::<EventEnvelope>(payload)
            .map(OutboxMessage::Event)
            .map_err(corrupt),
        "job" => serde_json::from_value::<agora_domain::ports::Job>(payload)
            .map(OutboxMessage::Job)
            .map_err(corrupt),
        other => Err(StoreError::Other(
            format!("unknown outbox kind {other}").into(),
        )),
    }
}

#[async_trait]
impl Outbox for SqlOutbox {
    async fn purge_delivered(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
                .bind(before)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
                .map_err(map_sqlx_error)
        })
    }

    async fn enqueue(&self, tx: &mut Tx, message: &OutboxMessage) -> Result<(), StoreError> {
        let (kind, payload) = encode(message)?;
        let now = Utc::now();
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO outbox (id, kind, payload, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, 0, $4, $4)",
            )
            .bind(Uuid::now_v7())
            .bind(kind)
            .bind(Json(&payload))
            .bind(now)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        let wake = self.wake.clone();
        tx.after_commit(move || wake.notify_one());
        Ok(())
    }

    async fn claim(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let now = Utc::now();
        // Postgres: rows another relay has locked are skipped rather than waited for. SQLite has a
        // single writer, so the statement is already exclusive.
        let skip_locked = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
               SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 \
               AND (locked_until IS NULL OR locked_until < $2) ORDER BY id LIMIT $3{skip_locked}) \
             RETURNING id, kind, payload, attempts"
        );
        let mut undecodable = Vec::new();
        let mut items = on_writer!(&self.db, |pool| {
            let rows = sqlx::query(&sql)
                .bind(now + lease)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let mut items = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: Uuid = row.try_get("id").map_err(map_sqlx_error)?;
                let kind: String = row.try_get("kind").map_err(map_sqlx_error)?;
                let payload: Json<serde_json::Value> =
                    row.try_get("payload").map_err(map_sqlx_error)?;
                let attempts =
                    u32::try_from(row.try_get::<i32, _>("attempts").map_err(map_sqlx_error)?)
                        .unwrap_or_default();
                match decode(&kind, payload.0) {
                    Ok(message) => items.push(OutboxItem {
                        id,
                        message,
                        attempts,
                    }),
                    // One row this binary cannot read must not hold up the rest of the batch.
                    Err(error) => undecodable.push((id, error.to_string())),
                }
            }
            items
        });
        for (id, error) in undecodable {
            tracing::error!(%id, %error, "outbox message cannot be decoded; dead-lettered");
            self.mark_failed(
                id,
                &format!("undecodable payload: {error}"),
                dead_letter_at(),
            )
            .await?;
        }
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    async fn mark_sent(&self, id: Uuid) -> Result<(), StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query("UPDATE outbox SET sent_at = $2, locked_until = NULL, last_error = NULL WHERE id = $1")
                .bind(id)
                .bind(Utc::now())
                .execute(pool)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query("UPDATE outbox SET locked_until = NULL, last_error = $2, next_attempt_at = $3 WHERE id = $1")
                .bind(id)
                .bind(error)
                .bind(retry_at)
                .execute(pool)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn pending_count(&self) -> Result<u64, StoreError> {
        let count: i64 = on_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                .fetch_one(pool)
                .await
                .map_err(map_sqlx_error)?
        });
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
