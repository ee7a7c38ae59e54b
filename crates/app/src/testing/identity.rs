//! Fakes of the identity ports: repositories over [`MemoryDb`], and deterministic stand-ins for
//! hashing, secrets, access tokens, the denylist and the failed-login limiter.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
};

use agora_domain::{
    identity::{
        AccessGrant, AuditEntry, Email, EmailTokenPurpose, Principal, Redemption, RefreshRecord,
        User,
    },
    paging::{Page, PageRequest, SortOrder},
    ports::{
        AccessTokens, AuditLog, EmailTokenRepository, Outbox, OutboxItem, OutboxMessage,
        PasswordHashError, PasswordHasher, RateLimiter, RefreshTokenRepository, SecretTokens,
        SessionStates, SessionStatus, StoreError, TokenDenylist, TokenError, Tx, UserFilter,
        UserRepository,
    },
    ratelimit::{gcra, refund, Decision, Quota},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{page_of, EmailTokenRow, MemoryDb};

#[async_trait]
impl UserRepository for MemoryDb {
    async fn insert(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError> {
        let tables = self.write(tx, "users.insert")?;
        if tables.users.iter().any(|u| u.email == user.email) {
            return Err(StoreError::Constraint {
                constraint: "users_email_key".into(),
            });
        }
        tables.users.push(user.clone());
        Ok(())
    }
    async fn find_by_email(&self, tx: &mut Tx, email: &Email) -> Result<Option<User>, StoreError> {
        let tables = self.write(tx, "users.find")?;
        Ok(tables.users.iter().find(|u| &u.email == email).cloned())
    }
    async fn find_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Option<User>, StoreError> {
        let tables = self.write(tx, "users.find")?;
        Ok(tables.users.iter().find(|u| u.id == id).cloned())
    }
    async fn update(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError> {
        let tables = self.write(tx, "users.update")?;
        if let Some(stored) = tables.users.iter_mut().find(|u| u.id == user.id) {
            *stored = user.clone();
        }
        Ok(())
    }
    async fn replace_password_hash(
        &self,
        tx: &mut Tx,
        id: Uuid,
        expected: &str,
        new: &str,
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "users.replace_password_hash")?;
        if let Some(stored) = tables
            .users
            .iter_mut()
            .find(|u| u.id == id && u.password_hash == expected)
        {
            new.clone_into(&mut stored.password_hash);
        }
        Ok(())
    }
    async fn get(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        Ok(self.committed().users.iter().find(|u| u.id == id).cloned())
    }
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<User>, StoreError> {
        self.check("users.get_many")?;
        // Storage order, like a table scan: callers must not rely on the order of `ids`.
        let users = &self.committed().users;
        Ok(users
            .iter()
            .filter(|u| ids.contains(&u.id))
            .cloned()
            .collect())
    }
    async fn get_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.check("users.get_by_email")?;
        Ok(self
            .committed()
            .users
            .iter()
            .find(|u| &u.email == email)
            .cloned())
    }
    async fn list(
        &self,
        filter: &UserFilter,
        _: SortOrder,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let users = self.committed().users.clone();
        let matching = users.into_iter().filter(|u| {
            filter.role.is_none_or(|r| u.role == r) && filter.tier.is_none_or(|t| u.tier == t)
        });
        Ok(page_of(matching.collect(), page))
    }
}

#[async_trait]
impl EmailTokenRepository for MemoryDb {
    async fn insert(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(tx, "email_tokens.insert")?
            .email_tokens
            .push(EmailTokenRow {
                hash: token_hash.to_owned(),
                user_id,
                purpose,
                expires_at,
                used: false,
            });
        Ok(())
    }
    async fn purge_expired(&self, tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let tokens = &mut self.write(tx, "email_tokens.purge")?.email_tokens;
        let count = tokens.len();
        tokens.retain(|t| t.expires_at >= before);
        Ok((count - tokens.len()) as u64)
    }
    async fn redeem(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redemption, StoreError> {
        let tables = self.write(tx, "email_tokens.redeem")?;
        let Some(token) = tables
            .email_tokens
            .iter_mut()
            .find(|t| t.hash == token_hash && t.purpose == purpose && !t.used)
        else {
            return Ok(Redemption::Invalid);
        };
        if token.expires_at <= now {
            return Ok(Redemption::Expired);
        }
        token.used = true;
        Ok(Redemption::Redeemed(token.user_id))
    }
    async fn spend_all(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        _now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let tables = self.write(tx, "email_tokens.spend_all")?;
        let mut spent = 0;
        for token in tables
            .email_tokens
            .iter_mut()
            .filter(|t| t.user_id == user_id && t.purpose == purpose && !t.used)
        {
            token.used = true;
            spent += 1;
        }
        Ok(spent)
    }
}

#[async_trait]
impl RefreshTokenRepository for MemoryDb {
    async fn insert(
        &self,
        tx: &mut Tx,
        record: &RefreshRecord,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        self.write(tx, "refresh_tokens.insert")?
            .refresh_tokens
            .push((token_hash.to_owned(), record.clone()));
        Ok(())
    }
    async fn find_by_hash(
        &self,
        tx: &mut Tx,
        token_hash: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        let tables = self.write(tx, "refresh_tokens.find")?;
        Ok(tables
            .refresh_tokens
            .iter()
            .find(|(hash, _)| hash == token_hash)
            .map(|(_, record)| record.clone()))
    }
    async fn mark_used(
        &self,
        tx: &mut Tx,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tables = self.write(tx, "refresh_tokens.mark_used")?;
        match tables.refresh_tokens.iter_mut().find(|(_, r)| r.id == id) {
            Some((_, r)) if r.used_at.is_none() && r.revoked_at.is_none() => {
                r.used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn revoke_family(
        &self,
        tx: &mut Tx,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "refresh_tokens.revoke")?;
        for (_, r) in &mut tables.refresh_tokens {
            if r.family_id == family_id && r.revoked_at.is_none() {
                r.revoked_at = Some(now);
            }
        }
        Ok(())
    }
    async fn purge_expired(&self, tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let tokens = &mut self.write(tx, "refresh_tokens.purge")?.refresh_tokens;
        let count = tokens.len();
        tokens.retain(|(_, r)| r.expires_at >= before);
        Ok((count - tokens.len()) as u64)
    }
    async fn revoke_user(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let tables = self.write(tx, "refresh_tokens.revoke")?;
        let mut families = Vec::new();
        for (_, r) in &mut tables.refresh_tokens {
            if r.user_id == user_id && Some(r.family_id) != keep && r.revoked_at.is_none() {
                r.revoked_at = Some(now);
                if !families.contains(&r.family_id) {
                    families.push(r.family_id);
                }
            }
        }
        Ok(families)
    }
}

/// The database's answer, from committed rows only (as a separate connection would see it).
#[async_trait]
impl SessionStates for MemoryDb {
    async fn status(&self, session_id: Uuid, user_id: Uuid) -> Result<SessionStatus, StoreError> {
        self.check("sessions.status")?;
        let tables = self.committed();
        match tables.users.iter().find(|u| u.id == user_id) {
            None => return Ok(SessionStatus::AccountDisabled),
            Some(user) if user.disabled => return Ok(SessionStatus::AccountDisabled),
            Some(_) => {}
        }
        let live = tables.refresh_tokens.iter().any(|(_, r)| {
            r.family_id == session_id && r.user_id == user_id && r.revoked_at.is_none()
        });
        Ok(if live {
            SessionStatus::Live
        } else {
            SessionStatus::Revoked
        })
    }
}

#[async_trait]
impl Outbox for MemoryDb {
    async fn enqueue(&self, tx: &mut Tx, message: &OutboxMessage) -> Result<(), StoreError> {
        self.write(tx, "outbox.enqueue")?
            .outbox
            .push(message.clone());
        Ok(())
    }
    // The relay's side is not what these tests are about: nothing is ever due.
    async fn claim(&self, _: u32, _: chrono::Duration) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(Vec::new())
    }
    async fn mark_sent_many(&self, _: &[Uuid]) -> Result<(), StoreError> {
        Ok(())
    }
    async fn mark_failed(&self, _: Uuid, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }
    async fn purge_delivered(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
    async fn pending_count(&self) -> Result<u64, StoreError> {
        Ok(self.committed().outbox.len() as u64)
    }
}

#[async_trait]
impl AuditLog for MemoryDb {
    async fn record(&self, tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
        self.write(tx, "audit.record")?.audit.push(entry.clone());
        Ok(())
    }
    async fn list(
        &self,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut entries = self.committed().audit.clone();
        if newest_first {
            entries.reverse();
        }
        Ok(page_of(entries, page))
    }
}

/// "Hashes" by prefixing, so a test can read what was hashed; counts verifications, which is
/// what makes unknown and known emails cost the same. `old:{password}` stands for a hash made
/// with earlier parameters: it verifies, and [`PasswordHasher::needs_rehash`] says so.
#[derive(Default)]
pub struct FakeHasher {
    /// Calls of `verify`.
    pub verifications: AtomicUsize,
}

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: String) -> Result<String, PasswordHashError> {
        Ok(format!("hash:{password}"))
    }
    async fn verify(&self, password: String, hash: String) -> Result<bool, PasswordHashError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        Ok(hash == format!("hash:{password}") || hash == format!("old:{password}"))
    }
    fn needs_rehash(&self, hash: &str) -> bool {
        hash.starts_with("old:")
    }
}

/// Numbered secrets with a readable "hash".
#[derive(Default)]
pub struct FakeSecrets {
    issued: AtomicUsize,
}

impl SecretTokens for FakeSecrets {
    fn generate(&self) -> String {
        format!("secret-{}", self.issued.fetch_add(1, Ordering::SeqCst))
    }
    fn hash(&self, token: &str) -> String {
        format!("sha:{token}")
    }
    fn derive(&self, secret: &str, context: &[u8]) -> String {
        format!("derived({secret},{})", hex(context))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Access tokens remembered in a map instead of signed.
#[derive(Default)]
pub struct FakeAccessTokens {
    issued: Mutex<HashMap<String, Principal>>,
}

/// Access token lifetime of the fakes, in seconds.
pub const ACCESS_TTL_SECS: u64 = 900;

#[async_trait::async_trait]
impl AccessTokens for FakeAccessTokens {
    async fn issue(&self, grant: &AccessGrant) -> Result<(String, u64), TokenError> {
        let mut issued = self.issued.lock().unwrap();
        let token_id = format!("jti-{}", grant.token_id);
        let principal = Principal {
            user_id: grant.user_id,
            role: grant.role,
            tier: grant.tier,
            email_verified: grant.email_verified,
            token_id: token_id.clone(),
            session_id: grant.session_id,
            expires_at: grant.issued_at + chrono::Duration::seconds(ACCESS_TTL_SECS as i64),
        };
        let token = format!("access-{token_id}");
        issued.insert(token.clone(), principal);
        Ok((token, ACCESS_TTL_SECS))
    }
    async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.issued
            .lock()
            .unwrap()
            .get(token)
            .cloned()
            .ok_or_else(|| TokenError::Invalid("unknown token".into()))
    }
    async fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [] })
    }
    fn lifetime_secs(&self) -> u64 {
        ACCESS_TTL_SECS
    }
}

/// Denied keys with their expiry.
#[derive(Default)]
pub struct FakeDenylist {
    /// Key → denied until.
    pub denied: Mutex<HashMap<String, DateTime<Utc>>>,
}

#[async_trait]
impl TokenDenylist for FakeDenylist {
    async fn deny(&self, key: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.denied.lock().unwrap().insert(key.to_owned(), until);
        Ok(())
    }
    async fn is_denied(&self, keys: &[&str]) -> Result<bool, StoreError> {
        let denied = self.denied.lock().unwrap();
        Ok(keys.iter().any(|k| denied.contains_key(*k)))
    }
}

/// The domain's GCRA with the clock stopped: nothing refills during a test, so a budget is
/// exactly the quota's count.
#[derive(Default)]
pub struct FrozenLimiter {
    tats: Mutex<HashMap<String, i64>>,
}

#[async_trait]
impl RateLimiter for FrozenLimiter {
    async fn check(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
        let mut tats = self.tats.lock().unwrap();
        let (decision, tat) = gcra(0, tats.get(key).copied(), quota, cost);
        tats.insert(key.to_owned(), tat);
        Ok(decision)
    }
    async fn peek(&self, key: &str, quota: Quota) -> Result<Decision, StoreError> {
        Ok(gcra(0, self.tats.lock().unwrap().get(key).copied(), quota, 1).0)
    }
    async fn refund(&self, key: &str, quota: Quota, cost: u32) -> Result<(), StoreError> {
        let mut tats = self.tats.lock().unwrap();
        match refund(0, tats.get(key).copied(), quota, cost) {
            Some(tat) => tats.insert(key.to_owned(), tat),
            None => tats.remove(key),
        };
        Ok(())
    }
}
