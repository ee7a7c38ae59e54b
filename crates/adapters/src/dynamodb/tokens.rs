//! Mailed single-use tokens and refresh-token families on DynamoDB (ADR 0022):
//! - `MAILTOKEN#<hash>` — a verification or reset token; `gsi1` = `USER#<id>#MAILTOKENS` /
//!   `<purpose>#<hash>` finds a user's tokens;
//! - `REFRESH#<hash>` — a refresh token, and `REFRESHID#<id>` pointing at it by id;
//! - `FAMILY#<id>` — a family (a session): its owner and `revoked_at`; `USER#<id>` /
//!   `FAMILY#<id>` lists a user's families in the user's partition (consistent reads).
//!
//! Expired items go by DynamoDB's TTL (`ttl`), so `purge_expired` has nothing to do.

use agora_domain::{
    identity::{EmailTokenPurpose, Redemption, RefreshRecord},
    ports::{EmailTokenRepository, RefreshTokenRepository, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Map};
use uuid::Uuid;

use super::{
    item::{get_s, get_time, get_uuid, key, opt_time, s, time, ttl, Item},
    tx::{DynamoTx, Write},
    users::user_pk,
    DynamoClient,
};

/// A refresh token already spent (or its family revoked) when the exchange commits: a
/// concurrent exchange won. Identity answers `token_revoked`.
pub const REFRESH_SPENT: &str = "refresh_tokens_spent";

fn mail_token_pk(hash: &str) -> String {
    format!("MAILTOKEN#{hash}")
}
const MAIL_TOKEN_SK: &str = "MAILTOKEN";
fn refresh_pk(hash: &str) -> String {
    format!("REFRESH#{hash}")
}
const REFRESH_SK: &str = "REFRESH";
fn refresh_id_pk(id: Uuid) -> String {
    format!("REFRESHID#{id}")
}
const REFRESH_ID_SK: &str = "REFRESHID";
fn family_pk(id: Uuid) -> String {
    format!("FAMILY#{id}")
}
const FAMILY_SK: &str = "FAMILY";
fn family_ref_sk(id: Uuid) -> String {
    format!("FAMILY#{id}")
}

/// Verification and reset tokens in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoEmailTokenRepository {
    client: DynamoClient,
}

impl DynamoEmailTokenRepository {
    /// A repository over `client`'s table.
    pub fn new(client: DynamoClient) -> Self {
        Self { client }
    }
}

fn spend(pk: &str, sk: &str, now: DateTime<Utc>) -> Write {
    Write::update(
        pk,
        sk,
        "SET used_at = if_not_exists(used_at, :now)",
        json!({ ":now": time(now) }),
    )
}

#[async_trait]
impl EmailTokenRepository for DynamoEmailTokenRepository {
    async fn insert(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut item = Map::new();
        item.insert("pk".into(), s(mail_token_pk(token_hash)));
        item.insert("sk".into(), s(MAIL_TOKEN_SK));
        item.insert(
            "gsi1pk".into(),
            s(format!("{}#MAILTOKENS", user_pk(user_id))),
        );
        item.insert(
            "gsi1sk".into(),
            s(format!("{}#{token_hash}", purpose.as_str())),
        );
        item.insert("user_id".into(), s(user_id.to_string()));
        item.insert("purpose".into(), s(purpose.as_str()));
        item.insert("expires_at".into(), time(expires_at));
        item.insert("ttl".into(), ttl(expires_at));
        tx.backend_mut::<DynamoTx>()?.push(Write::put(item))
    }

    async fn purge_expired(&self, tx: &mut Tx, _before: DateTime<Utc>) -> Result<u64, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        Ok(0)
    }

    /// The index is eventually consistent: a token mailed milliseconds ago may survive; it
    /// still expires (1 h for resets).
    async fn spend_all(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let items = self
            .client
            .query_all(json!({
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :user AND begins_with(gsi1sk, :purpose)",
                "ExpressionAttributeValues": {
                    ":user": s(format!("{}#MAILTOKENS", user_pk(user_id))),
                    ":purpose": s(format!("{}#", purpose.as_str())),
                },
            }))
            .await?;
        let tx = tx.backend_mut::<DynamoTx>()?;
        let mut spent = 0;
        for item in items.iter().filter(|i| !i.contains_key("used_at")) {
            let pk = get_s(item, "pk")?;
            // The token being redeemed in this transaction is already spent by it.
            if tx.touches(pk, MAIL_TOKEN_SK) {
                continue;
            }
            tx.push(spend(pk, MAIL_TOKEN_SK, now))?;
            spent += 1;
        }
        Ok(spent)
    }

    async fn redeem(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redemption, StoreError> {
        let pk = mail_token_pk(token_hash);
        let tx = tx.backend_mut::<DynamoTx>()?;
        let Some(item) = tx.client().get_item(&pk, MAIL_TOKEN_SK).await? else {
            return Ok(Redemption::Invalid);
        };
        if item.contains_key("used_at") || get_s(&item, "purpose")? != purpose.as_str() {
            return Ok(Redemption::Invalid);
        }
        if get_time(&item, "expires_at")? <= now {
            return Ok(Redemption::Expired);
        }
        tx.push(
            spend(&pk, MAIL_TOKEN_SK, now)
                .only_if("attribute_not_exists(used_at)", "email_tokens_spent"),
        )?;
        Ok(Redemption::Redeemed(get_uuid(&item, "user_id")?))
    }
}

/// Refresh tokens and their families in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoRefreshTokenRepository {
    client: DynamoClient,
}

impl DynamoRefreshTokenRepository {
    /// A repository over `client`'s table.
    pub fn new(client: DynamoClient) -> Self {
        Self { client }
    }

    async fn record_of(&self, token: &Item) -> Result<RefreshRecord, StoreError> {
        let family_id = get_uuid(token, "family_id")?;
        let family = self
            .client
            .get_item(&family_pk(family_id), FAMILY_SK)
            .await?;
        Ok(RefreshRecord {
            id: get_uuid(token, "id")?,
            user_id: get_uuid(token, "user_id")?,
            family_id,
            expires_at: get_time(token, "expires_at")?,
            used_at: opt_time(token, "used_at")?,
            // A family whose item is gone (expired) is as dead as a revoked one.
            revoked_at: match family {
                Some(family) => opt_time(&family, "revoked_at")?,
                None => Some(get_time(token, "created_at")?),
            },
        })
    }
}

fn revoke(family_id: Uuid, now: DateTime<Utc>) -> Write {
    Write::update(
        &family_pk(family_id),
        FAMILY_SK,
        "SET revoked_at = if_not_exists(revoked_at, :now)",
        json!({ ":now": time(now) }),
    )
}

#[async_trait]
impl RefreshTokenRepository for DynamoRefreshTokenRepository {
    /// The token, its id pointer, and the family (created by the first token, extended by each
    /// rotation, refused once revoked).
    async fn insert(
        &self,
        tx: &mut Tx,
        record: &RefreshRecord,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let expires = ttl(record.expires_at);
        let mut token = Map::new();
        token.insert("pk".into(), s(refresh_pk(token_hash)));
        token.insert("sk".into(), s(REFRESH_SK));
        token.insert("id".into(), s(record.id.to_string()));
        token.insert("user_id".into(), s(record.user_id.to_string()));
        token.insert("family_id".into(), s(record.family_id.to_string()));
        token.insert("expires_at".into(), time(record.expires_at));
        token.insert("created_at".into(), time(now));
        token.insert("ttl".into(), expires.clone());
        let mut pointer = Map::new();
        pointer.insert("pk".into(), s(refresh_id_pk(record.id)));
        pointer.insert("sk".into(), s(REFRESH_ID_SK));
        pointer.insert("hash".into(), s(token_hash));
        pointer.insert("ttl".into(), expires.clone());
        let mut member = Map::new();
        member.insert("pk".into(), s(user_pk(record.user_id)));
        member.insert("sk".into(), s(family_ref_sk(record.family_id)));
        member.insert("ttl".into(), expires.clone());
        let family = Write::update(
            &family_pk(record.family_id),
            FAMILY_SK,
            "SET user_id = :user, created_at = if_not_exists(created_at, :now), #ttl = :ttl",
            json!({ ":user": s(record.user_id.to_string()), ":now": time(now), ":ttl": expires }),
        )
        .with_name("#ttl", "ttl")
        .only_if("attribute_not_exists(revoked_at)", REFRESH_SPENT);
        let tx = tx.backend_mut::<DynamoTx>()?;
        tx.push(Write::put(token))?;
        tx.push(Write::put(pointer))?;
        tx.push(Write::put(member))?;
        tx.push(family)
    }

    async fn find_by_hash(
        &self,
        tx: &mut Tx,
        token_hash: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        match self
            .client
            .get_item(&refresh_pk(token_hash), REFRESH_SK)
            .await?
        {
            Some(token) => Ok(Some(self.record_of(&token).await?)),
            None => Ok(None),
        }
    }

    /// Decided on consistent reads now; the write's condition catches a concurrent exchange at
    /// commit (reported as [`REFRESH_SPENT`]), and the successor's family write a concurrent
    /// revocation.
    async fn mark_used(
        &self,
        tx: &mut Tx,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        let Some(pointer) = self
            .client
            .get_item(&refresh_id_pk(id), REFRESH_ID_SK)
            .await?
        else {
            return Ok(false);
        };
        let pk = refresh_pk(get_s(&pointer, "hash")?);
        let Some(token) = self.client.get_item(&pk, REFRESH_SK).await? else {
            return Ok(false);
        };
        let record = self.record_of(&token).await?;
        if record.used_at.is_some() || record.revoked_at.is_some() {
            return Ok(false);
        }
        tx.backend_mut::<DynamoTx>()?.push(
            spend(&pk, REFRESH_SK, now).only_if("attribute_not_exists(used_at)", REFRESH_SPENT),
        )?;
        Ok(true)
    }

    async fn revoke_family(
        &self,
        tx: &mut Tx,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        tx.backend_mut::<DynamoTx>()?.push(revoke(family_id, now))
    }

    async fn purge_expired(&self, tx: &mut Tx, _before: DateTime<Utc>) -> Result<u64, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        Ok(0)
    }

    async fn revoke_user(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        let members = self
            .client
            .query_all(json!({
                "KeyConditionExpression": "pk = :user AND begins_with(sk, :family)",
                "ExpressionAttributeValues": {
                    ":user": s(user_pk(user_id)),
                    ":family": s("FAMILY#"),
                },
                "ConsistentRead": true,
            }))
            .await?;
        let keys = members
            .iter()
            .filter_map(|m| get_s(m, "sk").ok()?.strip_prefix("FAMILY#")?.parse().ok())
            .filter(|id: &Uuid| Some(*id) != keep)
            .map(|id| key(&family_pk(id), FAMILY_SK))
            .collect();
        let families = self.client.batch_get(keys).await?;
        let tx = tx.backend_mut::<DynamoTx>()?;
        let mut revoked = Vec::new();
        for family in families.iter().filter(|f| !f.contains_key("revoked_at")) {
            let id: Uuid = get_s(family, "pk")?
                .trim_start_matches("FAMILY#")
                .parse()
                .map_err(|e| StoreError::Other(format!("corrupt family item: {e}").into()))?;
            tx.push(revoke(id, now))?;
            revoked.push(id);
        }
        Ok(revoked)
    }
}
