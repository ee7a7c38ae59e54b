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
    /// This relay's identity for SQLite's single-holder relay lease.
    holder: Uuid,
}

impl SqlOutbox {
    /// An outbox over `db`.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            wake: std::sync::Arc::default(),
            holder: Uuid::now_v7(),
        }
    }

    /// Notified after each commit of a transaction that enqueued messages (never on rollback:
    /// a relay woken for a rolled-back row would find nothing and poll again).
    pub fn wakeups(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.wake.clone()
    }
}

impl SqlOutbox {
    /// Takes or renews SQLite's relay lease; `false` while another process holds it.
    async fn hold_lease(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<bool, StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query(
                "UPDATE outbox_relay_lease SET holder = $1, until = $2 WHERE id = 1 AND (holder = $1 OR holder IS NULL OR until < $3)",
            )
            .bind(self.holder)
            .bind(now + lease)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err(map_sqlx_error)
        })
    }
}

impl SqlOutbox {
    /// Events committed after `after` (an outbox row id; UUID v7, so time-ordered), oldest
    /// first, with their row ids: what `agora events tail` prints.
    pub async fn events_after(
        &self,
        after: Uuid,
        limit: u32,
    ) -> Result<Vec<(Uuid, EventEnvelope)>, StoreError> {
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(
                "SELECT id, payload FROM outbox WHERE kind = 'event' AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)?;
            rows.iter()
                .map(|row| {
                    let id: Uuid = row.try_get("id").map_err(map_sqlx_error)?;
                    let payload: Json<serde_json::Value> =
                        row.try_get("payload").map_err(map_sqlx_error)?;
                    match decode("event", payload.0)? {
                        OutboxMessage::Event(event) => Ok((id, event)),
                        _ => Err(StoreError::Other("not an event".into())),
                    }
                })
                .collect()
        })
    }
}

/// Like `store::id_chunks`, numbering each chunk's placeholders after `taken` leading ones.
fn id_chunks_after(ids: &[Uuid], taken: usize) -> Vec<(Vec<Uuid>, String)> {
    crate::store::id_chunks(ids)
        .into_iter()
        .map(|(chunk, _)| {
            let list = (taken + 1..=taken + chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            (chunk, list)
        })
        .collect()
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
        let aggregate = match message {
            OutboxMessage::Event(event) => Some(event.aggregate_id),
            OutboxMessage::Mail(_) | OutboxMessage::Job(_) => None,
        };
        let now = Utc::now();
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO outbox (id, kind, payload, attempts, next_attempt_at, created_at, aggregate_id) VALUES ($1, $2, $3, 0, $4, $4, $5)",
            )
            .bind(Uuid::now_v7())
            .bind(kind)
            .bind(Json(&payload))
            .bind(now)
            .bind(aggregate)
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
        // single writer, so the statement is already exclusive, but another process on the same
        // file may relay too: only the lease holder claims.
        let skip_locked = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => {
                if !self.hold_lease(now, lease).await? {
                    return Ok(Vec::new());
                }
                ""
            }
        };
        // An event waits while an older one of its aggregate is undelivered (claimed elsewhere,
        // or waiting for its retry), unless that one is dead-lettered.
        let sql = format!(
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
               SELECT id FROM outbox o WHERE sent_at IS NULL AND next_attempt_at <= $2 \
               AND (locked_until IS NULL OR locked_until < $2) \
               AND (aggregate_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p \
                    WHERE p.aggregate_id = o.aggregate_id AND p.sent_at IS NULL AND p.id < o.id \
                    AND p.next_attempt_at < $4)) \
               ORDER BY id LIMIT $3{skip_locked}) \
             RETURNING id, kind, payload, attempts, created_at"
        );
        let mut undecodable = Vec::new();
        let mut items = on_writer!(&self.db, |pool| {
            let rows = sqlx::query(&sql)
                .bind(now + lease)
                .bind(now)
                .bind(i64::from(limit))
                .bind(dead_letter_at())
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
                let created_at = row.try_get("created_at").map_err(map_sqlx_error)?;
                match decode(&kind, payload.0) {
                    Ok(message) => items.push(OutboxItem {
                        id,
                        message,
                        attempts,
                        created_at,
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

    async fn mark_sent_many(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        let now = Utc::now();
        for (chunk, list) in id_chunks_after(ids, 1) {
            let sql = format!(
                "UPDATE outbox SET sent_at = $1, locked_until = NULL, last_error = NULL WHERE id IN ({list})"
            );
            on_writer!(&self.db, |pool| {
                let mut query = sqlx::query(&sql).bind(now);
                for id in &chunk {
                    query = query.bind(*id);
                }
                query.execute(pool).await.map_err(map_sqlx_error)?;
            });
        }
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
