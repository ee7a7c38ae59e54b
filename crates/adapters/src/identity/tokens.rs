use agora_domain::{
    identity::{EmailTokenPurpose, Redemption, RefreshRecord},
    ports::{EmailTokenRepository, RefreshTokenRepository, SecretTokens, StoreError, Tx},
};
use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, FromRow, Row};
use uuid::Uuid;

use crate::{
    on_tx,
    store::{map_sqlx_error, Column},
};

/// 256-bit tokens from the OS RNG, stored as SHA-256 hex.
#[derive(Debug, Default, Clone)]
pub struct RandomSecretTokens;

impl SecretTokens for RandomSecretTokens {
    fn generate(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn hash(&self, token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn derive(&self, secret: &str, context: &[u8]) -> String {
        // HMAC-SHA256 keyed with the secret: the secret is 256 random bits, so the result is
        // as unguessable as the secret and reveals nothing about it.
        let mut key = [0u8; 64];
        if secret.len() > 64 {
            key[..32].copy_from_slice(&Sha256::digest(secret.as_bytes()));
        } else {
            key[..secret.len()].copy_from_slice(secret.as_bytes());
        }
        let pad = |byte: u8| key.map(|k| k ^ byte);
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(context)
            .finalize();
        let outer = Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize();
        URL_SAFE_NO_PAD.encode(outer)
    }
}

/// Deletes the rows of a token table (`table` is a literal from this module, never input) that expired
/// before `before`.
async fn purge_expired(
    tx: &mut Tx,
    table: &'static str,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let sql = format!("DELETE FROM {table} WHERE expires_at < $1");
    on_tx!(tx, |conn| {
        let done = sqlx::query(&sql)
            .bind(before)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        Ok(done.rows_affected())
    })
}

/// Mailed single-use tokens.
#[derive(Debug, Default, Clone)]
pub struct SqlEmailTokenRepository;

#[async_trait]
impl EmailTokenRepository for SqlEmailTokenRepository {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn purge_expired(&self, tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, StoreError> {
        purge_expired(tx, "email_tokens", before).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn insert(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(purpose.as_str())
            .bind(expires_at)
            .bind(Utc::now())
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(purpose = purpose.as_str()))]
    async fn spend_all(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        on_tx!(tx, |conn| {
            let done = sqlx::query(
                "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .bind(purpose.as_str())
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
            Ok(done.rows_affected())
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(purpose = purpose.as_str()))]
    async fn redeem(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redemption, StoreError> {
        on_tx!(tx, |conn| {
            // One statement both checks and spends the token, so two concurrent redemptions
            // cannot both succeed.
            let spent = sqlx::query(
                "UPDATE email_tokens SET used_at = $1 \
                 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING user_id",
            )
            .bind(now)
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            if let Some(row) = spent {
                return Ok(Redemption::Redeemed(
                    row.try_get("user_id").map_err(map_sqlx_error)?,
                ));
            }
            let expired = sqlx::query(
                "SELECT 1 FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL",
            )
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            Ok(if expired.is_some() {
                Redemption::Expired
            } else {
                Redemption::Invalid
            })
        })
    }
}

/// Refresh-token families.
#[derive(Debug, Default, Clone)]
pub struct SqlRefreshTokenRepository;

/// A `refresh_tokens` row (without the hash), decoded by either backend.
struct RefreshRow(RefreshRecord);

impl<'r, R: Row> FromRow<'r, R> for RefreshRow
where
    &'r str: ColumnIndex<R>,
    Uuid: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
    Option<DateTime<Utc>>: Column<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(RefreshRecord {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            family_id: row.try_get("family_id")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
            revoked_at: row.try_get("revoked_at")?,
        }))
    }
}

#[async_trait]
impl RefreshTokenRepository for SqlRefreshTokenRepository {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn purge_expired(&self, tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, StoreError> {
        purge_expired(tx, "refresh_tokens", before).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn insert(
        &self,
        tx: &mut Tx,
        record: &RefreshRecord,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(record.id)
            .bind(record.user_id)
            .bind(record.family_id)
            .bind(token_hash)
            .bind(record.expires_at)
            .bind(Utc::now())
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_by_hash(
        &self,
        tx: &mut Tx,
        token_hash: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        on_tx!(tx, |conn| {
            let row: Option<RefreshRow> = sqlx::query_as(
                "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(conn)
            .await
            .map_err(map_sqlx_error)?;
            Ok(row.map(|RefreshRow(record)| record))
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    async fn mark_used(
        &self,
        tx: &mut Tx,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        on_tx!(tx, |conn| {
            let result = sqlx::query(
                "UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
            Ok(result.rows_affected() == 1)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(family_id = %family_id))]
    async fn revoke_family(
        &self,
        tx: &mut Tx,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
                .bind(family_id)
                .bind(now)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
    async fn revoke_user(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        // A nil UUID never names a family, so "keep nothing" needs no second statement.
        let keep = keep.unwrap_or(Uuid::nil());
        on_tx!(tx, |conn| {
            let rows = sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $2 \
                 WHERE user_id = $1 AND family_id <> $3 AND revoked_at IS NULL RETURNING family_id",
            )
            .bind(user_id)
            .bind(now)
            .bind(keep)
            .fetch_all(conn)
            .await
            .map_err(map_sqlx_error)?;
            let mut families = rows
                .iter()
                .map(|row| row.try_get::<Uuid, _>("family_id").map_err(map_sqlx_error))
                .collect::<Result<Vec<_>, _>>()?;
            families.sort_unstable();
            families.dedup();
            Ok(families)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_url_safe_and_hash_stably() {
        let secrets = RandomSecretTokens;
        let token = secrets.generate();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, secrets.generate());
        assert_eq!(secrets.hash(&token), secrets.hash(&token));
        assert_eq!(secrets.hash(&token).len(), 64);
    }

    #[test]
    fn derive_is_hmac_sha256() {
        // RFC 4231 test case 2 ("Jefe" / "what do ya want for nothing?").
        let mac = RandomSecretTokens.derive("Jefe", b"what do ya want for nothing?");
        let hex: String = URL_SAFE_NO_PAD
            .decode(mac)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
