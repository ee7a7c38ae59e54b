use agora_domain::ports::{SessionStates, SessionStatus, StoreError};
use async_trait::async_trait;
use uuid::Uuid;

use crate::{
    on_pool,
    store::{map_sqlx_error, Database},
};

/// Session status read from identity's tables — the source of truth of revocation (ADR 0018).
#[derive(Debug, Clone)]
pub struct SqlSessionStates {
    db: Database,
}

impl SqlSessionStates {
    /// Reads from `db` (identity's database).
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Whether identity's tables are in `db` (a split target probes before relying on them).
    pub async fn reachable(&self) -> bool {
        self.status(Uuid::nil(), Uuid::nil()).await.is_ok()
    }
}

/// One round trip: the account's flag and whether the family still has an unrevoked token (a
/// revocation marks every token of the family; purged families are gone, hence revoked). Uses
/// the primary key of `users` and `refresh_tokens_family_id_idx`.
const STATUS: &str = "SELECT u.disabled, EXISTS (SELECT 1 FROM refresh_tokens r \
                      WHERE r.family_id = $1 AND r.user_id = $2 AND r.revoked_at IS NULL) \
                      FROM users u WHERE u.id = $2";

#[async_trait]
impl SessionStates for SqlSessionStates {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn status(&self, session_id: Uuid, user_id: Uuid) -> Result<SessionStatus, StoreError> {
        let row: Option<(bool, bool)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(STATUS)
                .bind(session_id)
                .bind(user_id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?
        });
        Ok(match row {
            None | Some((true, _)) => SessionStatus::AccountDisabled,
            Some((false, true)) => SessionStatus::Live,
            Some((false, false)) => SessionStatus::Revoked,
        })
    }
}
