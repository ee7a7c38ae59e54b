use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use agora_domain::ports::{StoreError, TokenDenylist};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    on_pool, on_writer,
    store::{map_sqlx_error, Database},
};

/// The embedded denylist: a table (durable, shared by replicas on one database) fronted by an
/// in-process cache of known denials. Denials are only ever added, so a cached "denied" is
/// always right until it expires; a miss falls through to the table, which sees other replicas'
/// denials too.
#[derive(Debug, Clone)]
pub struct SqlDenylist {
    db: Database,
    known: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

/// Bounded so a flood of logouts cannot grow memory without limit; the table stays authoritative.
const L1_CAPACITY: usize = 100_000;

impl SqlDenylist {
    /// A denylist over `db`.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            known: Arc::default(),
        }
    }

    fn remember(&self, key: &str, until: DateTime<Utc>) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= L1_CAPACITY {
            let now = Utc::now();
            known.retain(|_, expiry| *expiry > now);
            if known.len() >= L1_CAPACITY {
                known.clear();
            }
        }
        known.insert(key.to_owned(), until);
    }

    fn cached(&self, keys: &[&str]) -> bool {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let now = Utc::now();
        keys.iter()
            .any(|key| known.get(*key).is_some_and(|until| *until > now))
    }

    /// Deletes expired rows; called periodically by the identity module.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let now = Utc::now();
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, until| *until > now);
        on_writer!(&self.db, |pool| {
            sqlx::query("DELETE FROM denied_tokens WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(map_sqlx_error)
        })
    }
}

#[async_trait]
impl TokenDenylist for SqlDenylist {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn deny(&self, key: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "INSERT INTO denied_tokens (key, expires_at) VALUES ($1, $2) \
                   ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at";
        on_writer!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(key)
                .bind(until)
                .execute(pool)
                .await
                .map_err(map_sqlx_error)?;
        });
        self.remember(key, until);
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(keys = keys.len()))]
    async fn is_denied(&self, keys: &[&str]) -> Result<bool, StoreError> {
        if self.cached(keys) {
            return Ok(true);
        }
        let now = Utc::now();
        for key in keys {
            let until: Option<DateTime<Utc>> = on_pool!(&self.db, |pool| {
                sqlx::query_scalar(
                    "SELECT expires_at FROM denied_tokens WHERE key = $1 AND expires_at > $2",
                )
                .bind(*key)
                .bind(now)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?
            });
            if let Some(until) = until {
                self.remember(key, until);
                return Ok(true);
            }
        }
        Ok(false)
    }
}
