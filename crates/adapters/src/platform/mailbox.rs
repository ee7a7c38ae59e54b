use agora_domain::{
    mail::OutgoingMail,
    paging::{Page, PageRequest},
    ports::{MailError, MailboxReader, Mailer, StoreError, StoredMail},
};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;
use uuid::Uuid;

use crate::{
    on_pool, on_writer,
    store::{map_sqlx_error, Database},
};

/// The embedded mail transport: "delivers" into a table that admins read at
/// `GET /api/admin/mailbox`. Used when no SMTP server is configured.
#[derive(Debug, Clone)]
pub struct SqlMailbox {
    db: Database,
}

impl SqlMailbox {
    /// A mailbox over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Mailer for SqlMailbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        on_writer!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO mailbox (id, to_address, subject, text_body, html_body, sent_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::now_v7())
            .bind(&mail.to)
            .bind(&mail.subject)
            .bind(&mail.text)
            .bind(&mail.html)
            .bind(Utc::now())
            .execute(pool)
            .await
            .map_err(|e| MailError(e.to_string()))?;
        });
        Ok(())
    }
}

#[async_trait]
impl MailboxReader for SqlMailbox {
    async fn list(
        &self,
        to: Option<&str>,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<StoredMail>, StoreError> {
        let direction = if newest_first { "DESC" } else { "ASC" };
        let filter = if to.is_some() {
            " WHERE to_address = $1"
        } else {
            ""
        };
        let select = format!(
            "SELECT id, to_address, subject, text_body, html_body, sent_at FROM mailbox{filter} \
             ORDER BY sent_at {direction}, id {direction} LIMIT {} OFFSET {}",
            page.limit,
            page.offset()
        );
        let count = format!("SELECT count(*) FROM mailbox{filter}");
        on_pool!(&self.db, |pool| {
            let mut rows = sqlx::query(&select);
            let mut total = sqlx::query_scalar::<_, i64>(&count);
            if let Some(to) = to {
                rows = rows.bind(to);
                total = total.bind(to);
            }
            let rows = rows.fetch_all(pool).await.map_err(map_sqlx_error)?;
            let total = total.fetch_one(pool).await.map_err(map_sqlx_error)?;
            let items = rows
                .iter()
                .map(|row| {
                    Ok(StoredMail {
                        id: row.try_get("id")?,
                        mail: OutgoingMail {
                            to: row.try_get("to_address")?,
                            subject: row.try_get("subject")?,
                            text: row.try_get("text_body")?,
                            html: row.try_get("html_body")?,
                        },
                        sent_at: row.try_get("sent_at")?,
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
