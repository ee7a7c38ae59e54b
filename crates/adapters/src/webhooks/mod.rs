//! Webhook adapters: the SQL store (endpoints, messages, delivery log) and the HTTP sender.

mod sender;

use agora_domain::{
    paging::{Page, PageRequest},
    ports::{StoreError, Tx, WebhookStore},
    webhooks::{DueMessage, Webhook, WebhookAttempt},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{types::Json, Row};
use uuid::Uuid;

pub use sender::HttpWebhookSender;

use crate::{
    on_pool, on_tx, on_writer,
    store::{
        map_sqlx_error,
        migrations::{migration, Migration},
        Backend, Column, Database,
    },
};

/// The webhooks context's schema, oldest first (`migrations/webhooks/`).
pub static MIGRATIONS: &[Migration] = &[migration!("webhooks", 1, "0001_create_webhooks")];

/// Webhooks in SQL.
#[derive(Debug, Clone)]
pub struct SqlWebhooks {
    db: Database,
}

impl SqlWebhooks {
    /// A store over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "id, url, events, description, enabled, secret, created_at, updated_at";

fn webhook<'r, R: Row>(row: &'r R) -> Result<Webhook, sqlx::Error>
where
    &'r str: sqlx::ColumnIndex<R>,
    Uuid: Column<'r, R>,
    String: Column<'r, R>,
    bool: Column<'r, R>,
    Json<Vec<String>>: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: row.try_get::<Json<Vec<String>>, _>("events")?.0,
        description: row.try_get("description")?,
        enabled: row.try_get("enabled")?,
        secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn attempt<'r, R: Row>(row: &'r R) -> Result<WebhookAttempt, sqlx::Error>
where
    &'r str: sqlx::ColumnIndex<R>,
    Uuid: Column<'r, R>,
    String: Column<'r, R>,
    Option<String>: Column<'r, R>,
    i32: Column<'r, R>,
    Option<i32>: Column<'r, R>,
    i64: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    Ok(WebhookAttempt {
        message_id: row.try_get("message_id")?,
        event_type: row.try_get("event_type")?,
        attempt: u32::try_from(row.try_get::<i32, _>("attempt")?).unwrap_or_default(),
        status: row.try_get("status")?,
        response_code: row
            .try_get::<Option<i32>, _>("response_code")?
            .and_then(|c| u16::try_from(c).ok()),
        duration_ms: u64::try_from(row.try_get::<i64, _>("duration_ms")?).unwrap_or_default(),
        error: row.try_get("error")?,
        at: row.try_get("at")?,
    })
}

#[async_trait]
impl WebhookStore for SqlWebhooks {
    async fn create(&self, w: &Webhook) -> Result<(), StoreError> {
        on_writer!(&self.db, |pool| {
            sqlx::query(&format!(
                "INSERT INTO webhooks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(w.id)
            .bind(&w.url)
            .bind(Json(&w.events))
            .bind(&w.description)
            .bind(w.enabled)
            .bind(&w.secret)
            .bind(w.created_at)
            .bind(w.updated_at)
            .execute(pool)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn list(&self, page: PageRequest) -> Result<Page<Webhook>, StoreError> {
        let select = format!(
            "SELECT {COLUMNS} FROM webhooks ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            page.limit,
            page.offset()
        );
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(&select)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 = sqlx::query_scalar("SELECT count(*) FROM webhooks")
                .fetch_one(pool)
                .await
                .map_err(map_sqlx_error)?;
            let items = rows
                .iter()
                .map(webhook)
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_sqlx_error)?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Webhook>, StoreError> {
        let select = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&select)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.as_ref()
                .map(webhook)
                .transpose()
                .map_err(map_sqlx_error)
        })
    }

    async fn update(&self, w: &Webhook) -> Result<bool, StoreError> {
        let changed = on_writer!(&self.db, |pool| {
            sqlx::query(
                "UPDATE webhooks SET url = $2, events = $3, description = $4, enabled = $5, updated_at = $6 WHERE id = $1",
            )
            .bind(w.id)
            .bind(&w.url)
            .bind(Json(&w.events))
            .bind(&w.description)
            .bind(w.enabled)
            .bind(w.updated_at)
            .execute(pool)
            .await
            .map_err(map_sqlx_error)?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let deleted = on_writer!(&self.db, |pool| {
            sqlx::query("DELETE FROM webhooks WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map_err(map_sqlx_error)?
                .rows_affected()
        });
        Ok(deleted == 1)
    }

    async fn subscribed(&self, tx: &mut Tx, event_type: &str) -> Result<Vec<Webhook>, StoreError> {
        // Few endpoints: filter the subscription list here rather than in dialect-specific JSON.
        let select = format!("SELECT {COLUMNS} FROM webhooks WHERE enabled = $1");
        let all = on_tx!(tx, |conn| {
            let rows = sqlx::query(&select)
                .bind(true)
                .fetch_all(conn)
                .await
                .map_err(map_sqlx_error)?;
            rows.iter()
                .map(webhook)
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_sqlx_error)?
        });
        Ok(all
            .into_iter()
            .filter(|w| w.events.iter().any(|e| e == event_type))
            .collect())
    }

    async fn enqueue(
        &self,
        tx: &mut Tx,
        webhook_id: Uuid,
        event_type: &str,
        body: &str,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let now = Utc::now();
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO webhook_messages (id, webhook_id, event_type, body, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, 0, $5, $5)",
            )
            .bind(id)
            .bind(webhook_id)
            .bind(event_type)
            .bind(body)
            .bind(now)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(id)
    }

    async fn claim_due(
        &self,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<DueMessage>, StoreError> {
        let now = Utc::now();
        let skip_locked = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_messages SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
               SELECT id FROM webhook_messages WHERE done_at IS NULL AND next_attempt_at <= $2 \
               AND (locked_until IS NULL OR locked_until < $2) ORDER BY id LIMIT $3{skip_locked}) \
             RETURNING id, webhook_id, event_type, body, attempts"
        );
        let mut due = on_writer!(&self.db, |pool| {
            let rows = sqlx::query(&sql)
                .bind(now + lease)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            rows.iter()
                .map(|row| {
                    Ok(DueMessage {
                        id: row.try_get("id")?,
                        webhook_id: row.try_get("webhook_id")?,
                        event_type: row.try_get("event_type")?,
                        body: row.try_get("body")?,
                        attempts: u32::try_from(row.try_get::<i32, _>("attempts")?)
                            .unwrap_or_default(),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(map_sqlx_error)?
        });
        due.sort_by_key(|m| m.id);
        Ok(due)
    }

    async fn record(
        &self,
        webhook_id: Uuid,
        a: &WebhookAttempt,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut tx = agora_domain::ports::UnitOfWork::begin(&self.db).await?;
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO webhook_attempts (id, webhook_id, message_id, event_type, attempt, status, response_code, duration_ms, error, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(Uuid::now_v7())
            .bind(webhook_id)
            .bind(a.message_id)
            .bind(&a.event_type)
            .bind(i32::try_from(a.attempt).unwrap_or(i32::MAX))
            .bind(&a.status)
            .bind(a.response_code.map(i32::from))
            .bind(i64::try_from(a.duration_ms).unwrap_or(i64::MAX))
            .bind(&a.error)
            .bind(a.at)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            let finish = match retry_at {
                Some(at) => sqlx::query(
                    "UPDATE webhook_messages SET locked_until = NULL, next_attempt_at = $2 WHERE id = $1",
                )
                .bind(a.message_id)
                .bind(at),
                None => sqlx::query(
                    "UPDATE webhook_messages SET locked_until = NULL, done_at = $2 WHERE id = $1",
                )
                .bind(a.message_id)
                .bind(a.at),
            };
            finish.execute(&mut *conn).await.map_err(map_sqlx_error)?;
        });
        tx.commit().await
    }

    async fn attempts(
        &self,
        webhook_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<WebhookAttempt>, StoreError> {
        let select = format!(
            "SELECT message_id, event_type, attempt, status, response_code, duration_ms, error, at \
             FROM webhook_attempts WHERE webhook_id = $1 ORDER BY at DESC, id DESC LIMIT {} OFFSET {}",
            page.limit,
            page.offset()
        );
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(&select)
                .bind(webhook_id)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 =
                sqlx::query_scalar("SELECT count(*) FROM webhook_attempts WHERE webhook_id = $1")
                    .bind(webhook_id)
                    .fetch_one(pool)
                    .await
                    .map_err(map_sqlx_error)?;
            let items = rows
                .iter()
                .map(attempt)
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_sqlx_error)?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }
}
