use agora_domain::{
    identity::AuditEntry,
    paging::{Page, PageRequest},
    ports::{AuditLog, StoreError, Tx},
};
use async_trait::async_trait;
use sqlx::{types::Json, Row};

use crate::{
    on_pool, on_tx,
    store::{map_sqlx_error, Database},
};

/// The audit trail in the relational store.
#[derive(Debug, Clone)]
pub struct SqlAuditLog {
    db: Database,
}

impl SqlAuditLog {
    /// An audit log over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditLog for SqlAuditLog {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn record(&self, tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO audit_log (id, action, actor_id, subject_id, ip, details, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(entry.id)
            .bind(&entry.action)
            .bind(entry.actor_id)
            .bind(entry.subject_id)
            .bind(&entry.ip)
            .bind(Json(&entry.details))
            .bind(entry.created_at)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list(
        &self,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let direction = if newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT id, action, actor_id, subject_id, ip, details, created_at FROM audit_log \
             ORDER BY created_at {direction}, id {direction} LIMIT {} OFFSET {}",
            page.limit,
            page.offset()
        );
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(&sql)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                .fetch_one(pool)
                .await
                .map_err(map_sqlx_error)?;
            let items = rows
                .iter()
                .map(|row| {
                    Ok(AuditEntry {
                        id: row.try_get("id")?,
                        action: row.try_get("action")?,
                        actor_id: row.try_get("actor_id")?,
                        subject_id: row.try_get("subject_id")?,
                        ip: row.try_get("ip")?,
                        details: row.try_get::<Json<serde_json::Value>, _>("details")?.0,
                        created_at: row.try_get("created_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(map_sqlx_error)?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }
}
