use agora_domain::ports::{StoreError, TokenDenylist};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::AsyncCommands;

use crate::redis::Commands;

/// The denylist in Redis (`AGORA_REDIS_URL`): one key per denied token or session, expiring with
/// it, shared by every replica.
#[derive(Clone)]
pub struct RedisDenylist {
    conn: Commands,
    prefix: String,
}

impl std::fmt::Debug for RedisDenylist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisDenylist(prefix={})", self.prefix)
    }
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {error}"))
}

impl RedisDenylist {
    /// Wraps a managed connection (reconnects by itself); keys are `<prefix>deny:<key>`.
    pub fn new(conn: Commands, prefix: &str) -> Self {
        Self {
            conn,
            prefix: prefix.to_owned(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}deny:{key}", self.prefix)
    }
}

#[async_trait]
impl TokenDenylist for RedisDenylist {
    async fn deny(&self, key: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let ttl_ms = (until - Utc::now()).num_milliseconds();
        if ttl_ms <= 0 {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        conn.pset_ex::<_, _, ()>(self.key(key), 1, u64::try_from(ttl_ms).unwrap_or(u64::MAX))
            .await
            .map_err(unavailable)
    }

    async fn is_denied(&self, keys: &[&str]) -> Result<bool, StoreError> {
        let keys: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let mut conn = self.conn.clone();
        let present: u64 = conn.exists(keys).await.map_err(unavailable)?;
        Ok(present > 0)
    }
}
