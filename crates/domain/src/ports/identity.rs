//! Identity's ports: the repositories and services its use cases need, and what identity
//! publishes to other contexts ([`UserDirectory`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{PortError, StoreError, Tx};
use crate::{
    identity::{
        AccessGrant, AuditEntry, Email, EmailTokenPurpose, PersonName, Principal, Redemption,
        RefreshRecord, Role, Tier, User,
    },
    paging::{Page, PageRequest, SortOrder},
};

/// Filters of the admin user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Case-insensitive substring of email or name.
    pub q: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only this tier.
    pub tier: Option<Tier>,
}

/// Persistence of user accounts.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user; a taken email fails with `StoreError::Constraint { "users_email_key" }`.
    async fn insert(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError>;
    /// Looks an account up by its normalised email.
    async fn find_by_email(&self, tx: &mut Tx, email: &Email) -> Result<Option<User>, StoreError>;
    /// Looks an account up by id inside a transaction (to update it).
    async fn find_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Option<User>, StoreError>;
    /// Writes every mutable field of an existing user.
    async fn update(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError>;
    /// Sets the password hash of `id` to `new` only if it is still `expected`, and nothing else:
    /// a rehash at login must not undo a password change or reset, or any other edit, made
    /// since `expected` was read. Where the store checks conditions at commit (DynamoDB), a
    /// stale `expected` fails the commit with `StoreError::Constraint`; elsewhere nothing is
    /// written.
    async fn replace_password_hash(
        &self,
        tx: &mut Tx,
        id: Uuid,
        expected: &str,
        new: &str,
    ) -> Result<(), StoreError>;
    /// Reads one account outside any write transaction.
    async fn get(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    /// Reads the accounts of `ids` outside any write transaction, in ONE query (adapters may
    /// split batches of more than 1000 ids): unknown ids are absent, repeated ids appear once,
    /// order is unspecified.
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<User>, StoreError>;
    /// Reads one account by email outside any write transaction (login, forgot password).
    async fn get_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;
    /// One page of accounts.
    async fn list(
        &self,
        filter: &UserFilter,
        sort: SortOrder,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError>;
}

/// What another context may know about a user: enough to attribute content (post authors,
/// comment authors) or show an order's owner, and nothing private — no email, no password hash,
/// no age, profile, tier or account state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    /// The user's id (UUID v7), as found in other contexts' references.
    pub id: Uuid,
    /// Display name, as the user chose it.
    pub name: PersonName,
    /// Permission level (lets content show e.g. a staff badge next to an admin's name).
    pub role: Role,
}

impl From<&User> for UserProfile {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            name: user.name.clone(),
            role: user.role,
        }
    }
}

/// Published by identity: public profiles of users, for other contexts. In the monolith the
/// identity service answers in process; a split target answers the same calls over HTTP.
///
/// Contract, for any implementation:
/// - read-only and idempotent: calling twice with the same ids has no effect and may be retried;
/// - one round trip to identity's store per call of up to 1000 ids (callers batch: a DataLoader
///   gathers the ids of one level and calls once);
/// - a profile appears at most once however often its id is repeated; unknown ids are simply
///   absent (not an error), so callers decide what a missing user means;
/// - disabled accounts still resolve, so what they wrote stays attributed;
/// - the order of the result is unspecified: index it by `id`;
/// - an empty `ids` returns an empty list without any I/O.
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// The public profiles of the users among `ids`. Fails with [`PortError::Unavailable`] when
    /// identity (or its store) cannot answer now.
    async fn profiles(&self, ids: &[Uuid]) -> Result<Vec<UserProfile>, PortError>;
}

/// Single-use tokens sent by mail (verification, password reset); only hashes are stored.
#[async_trait]
pub trait EmailTokenRepository: Send + Sync {
    /// Stores a token hash.
    async fn insert(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Deletes tokens that expired before `before`; returns how many.
    async fn purge_expired(&self, tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Spends every unused token of `user_id` for `purpose` (a used reset link kills the other
    /// outstanding ones); returns how many.
    async fn spend_all(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Spends a token if it is valid for `purpose` now.
    async fn redeem(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        purpose: EmailTokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redemption, StoreError>;
}

/// Refresh tokens, grouped in families (one per login).
#[async_trait]
pub trait RefreshTokenRepository: Send + Sync {
    /// Stores a new token of a family.
    async fn insert(
        &self,
        tx: &mut Tx,
        record: &RefreshRecord,
        token_hash: &str,
    ) -> Result<(), StoreError>;
    /// Finds a token by hash, used or not.
    async fn find_by_hash(
        &self,
        tx: &mut Tx,
        token_hash: &str,
    ) -> Result<Option<RefreshRecord>, StoreError>;
    /// Marks a token spent; false if it already was (a concurrent exchange won) or its family was
    /// revoked meanwhile (on Postgres the update waits for a concurrent revocation to commit).
    async fn mark_used(
        &self,
        tx: &mut Tx,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Revokes every token of a family.
    async fn revoke_family(
        &self,
        tx: &mut Tx,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Deletes tokens that expired before `before`; returns how many.
    async fn purge_expired(&self, tx: &mut Tx, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Revokes every family of a user except `keep`, returning the families that were still live.
    async fn revoke_user(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError>;
}

/// Whether a session may still act, as identity's database knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionStatus {
    /// The session's refresh-token family is alive and the account enabled.
    Live,
    /// Logged out, revoked for reuse, ended by a password change or reset, or unknown (its rows
    /// are gone): its access tokens are refused.
    Revoked,
    /// The account was disabled (or deleted): every session of it is refused.
    AccountDisabled,
}

/// The source of truth of revocation (ADR 0018): the refresh-token families and the accounts in
/// identity's database. Every revoking change (logout, reuse detection, password change or
/// reset, an admin changing role, tier or the disabled flag) revokes families in the same
/// transaction as the change itself, so this answer can never lag behind a committed revocation.
/// Caches in front of it (L1, kept coherent through Redis pub/sub) may be lost at any time: a
/// miss simply asks again.
#[async_trait]
pub trait SessionStates: Send + Sync {
    /// The status of session `session_id` of user `user_id` (one indexed query).
    async fn status(&self, session_id: Uuid, user_id: Uuid) -> Result<SessionStatus, StoreError>;
}

/// A notice of revoked sessions for services that cannot read identity's database (a split
/// target sharing only Redis). Not the source of truth: identity writes it after the revoking
/// commit, best effort, and a Redis that loses its data forgets it — such a service then accepts
/// a revoked access token until it expires (`jwt.access_ttl`).
#[async_trait]
pub trait TokenDenylist: Send + Sync {
    /// Denies `key` (a token id or a session id) until `until`.
    async fn deny(&self, key: &str, until: DateTime<Utc>) -> Result<(), StoreError>;
    /// True if any of `keys` is denied.
    async fn is_denied(&self, keys: &[&str]) -> Result<bool, StoreError>;
}

/// Why an access token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Bad signature, wrong algorithm/key id/issuer/audience, malformed, not yet valid.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Past `exp`.
    #[error("token expired")]
    Expired,
}

/// Signs and verifies access tokens.
#[async_trait]
pub trait AccessTokens: Send + Sync {
    /// Issues a token with the current signing key; returns it and its lifetime in seconds.
    /// Async because the signer may first be refreshed from where keys are kept.
    async fn issue(&self, grant: &AccessGrant) -> Result<(String, u64), TokenError>;
    /// Verifies signature and claims (not revocation).
    async fn verify(&self, token: &str) -> Result<Principal, TokenError>;
    /// Public keys as a JWK Set: every key that still verifies, re-read when the cached ones
    /// may be missing a key another replica already signs with.
    async fn jwks(&self) -> serde_json::Value;
    /// Access token lifetime in seconds.
    fn lifetime_secs(&self) -> u64;
}

/// Random secrets for tokens and their one-way hashes for storage.
pub trait SecretTokens: Send + Sync {
    /// A new 256-bit random token, URL-safe.
    fn generate(&self) -> String;
    /// The storage form of a token (a hash; tokens are high-entropy, so no salt is needed).
    fn hash(&self, token: &str) -> String;
    /// A token derived from a secret one and a context, URL-safe and as strong as `secret`:
    /// the same inputs always give the same token, and it reveals nothing about `secret`.
    /// Used to re-issue a rotated refresh token during the grace period (ADR 0015) without
    /// storing it.
    fn derive(&self, secret: &str, context: &[u8]) -> String;
}

/// The security audit trail.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Records an entry as part of a transaction.
    async fn record(&self, tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError>;
    /// By time, newest first unless `newest_first` is false.
    async fn list(
        &self,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<AuditEntry>, StoreError>;
}
