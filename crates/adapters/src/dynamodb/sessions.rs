//! Revocation's source of truth (ADR 0018) on DynamoDB: the account's `disabled` flag and the
//! family's `revoked_at`; and the denylist of revoked keys for services that only share the
//! table.

use agora_domain::ports::{SessionStates, SessionStatus, StoreError, TokenDenylist};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Map};
use uuid::Uuid;

use super::{
    item::{get_b, key, opt_s, s, time, ttl},
    users::{user_pk, USER_SK},
    DynamoClient,
};

/// Session status read from identity's table.
#[derive(Debug, Clone)]
pub struct DynamoSessionStates {
    client: DynamoClient,
}

impl DynamoSessionStates {
    /// Reads from `client`'s table.
    pub fn new(client: DynamoClient) -> Self {
        Self { client }
    }
}

#[async_trait]
impl SessionStates for DynamoSessionStates {
    /// One `BatchGetItem` of the user and the family, strongly consistent.
    async fn status(&self, session_id: Uuid, user_id: Uuid) -> Result<SessionStatus, StoreError> {
        let user_key = user_pk(user_id);
        let family_key = format!("FAMILY#{session_id}");
        let items = self
            .client
            .batch_get(vec![key(&user_key, USER_SK), key(&family_key, "FAMILY")])
            .await?;
        let find = |pk: &str| items.iter().find(|i| opt_s(i, "pk") == Some(pk));
        if find(&user_key).is_none_or(|user| get_b(user, "disabled")) {
            return Ok(SessionStatus::AccountDisabled);
        }
        let live = find(&family_key).is_some_and(|family| {
            !family.contains_key("revoked_at")
                && opt_s(family, "user_id") == Some(user_id.to_string().as_str())
        });
        Ok(if live {
            SessionStatus::Live
        } else {
            SessionStatus::Revoked
        })
    }
}

/// Denied token or session ids (`DENY#<key>`), deleted by TTL once they no longer matter.
#[derive(Debug, Clone)]
pub struct DynamoDenylist {
    client: DynamoClient,
}

impl DynamoDenylist {
    /// A denylist in `client`'s table.
    pub fn new(client: DynamoClient) -> Self {
        Self { client }
    }
}

fn deny_pk(key: &str) -> String {
    format!("DENY#{key}")
}

#[async_trait]
impl TokenDenylist for DynamoDenylist {
    async fn deny(&self, key: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = Map::new();
        item.insert("pk".into(), s(deny_pk(key)));
        item.insert("sk".into(), s("DENY"));
        item.insert("until".into(), time(until));
        item.insert("ttl".into(), ttl(until));
        self.client
            .call(
                "PutItem",
                &json!({ "TableName": self.client.table(), "Item": item }),
            )
            .await?;
        Ok(())
    }

    /// TTL deletion lags, so an entry counts only while `until` is ahead.
    async fn is_denied(&self, keys: &[&str]) -> Result<bool, StoreError> {
        let now = time(Utc::now());
        let now = now["S"].as_str().unwrap_or_default();
        let items = self
            .client
            .batch_get(keys.iter().map(|k| key(&deny_pk(k), "DENY")).collect())
            .await?;
        Ok(items
            .iter()
            .any(|i| opt_s(i, "until").is_some_and(|until| until > now)))
    }
}
