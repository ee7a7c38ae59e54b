use agora_domain::{
    identity::{
        AccessGrant, AuditEntry, Email, EmailTokenPurpose, IdentityEvent, Principal, Redemption,
        RefreshRecord, User,
    },
    ports::Tx,
    FieldError, ValidationErrors,
};
use anyhow::Context as _;
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::{chrono_duration, Identity};
use crate::{AppError, OnConstraint};

/// A refresh token found spent, or its family revoked, as the exchange commits — reported by
/// stores that check the rotation at commit (DynamoDB's conditional writes, ADR 0022).
pub const REFRESH_SPENT: &str = "refresh_tokens_spent";

/// Login form; fields optional so a missing one gets its own message.
#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    /// Email address.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Client IP, for the audit trail.
    pub ip: Option<String>,
}

/// A new or rotated session.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    /// Short-lived JWT.
    pub access_token: String,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    /// The account.
    pub user: User,
}

impl Identity {
    /// Checks credentials and opens a session. Unknown email, wrong password and disabled account
    /// are indistinguishable to the caller (same error, a hash verified either way).
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn login(&self, input: LoginInput) -> Result<SessionTokens, AppError> {
        let mut errors = ValidationErrors::new();
        if input.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
            errors.push(FieldError::new("email", "Email is required"));
        }
        if input.password.as_deref().is_none_or(str::is_empty) {
            errors.push(FieldError::new("password", "Password is required"));
        }
        errors.into_result()?;
        let (email, password) = (
            input.email.unwrap_or_default(),
            input.password.unwrap_or_default(),
        );
        let attempts_key = Self::auth_key("login", input.ip.as_deref(), &email);
        let reserved = self.reserve_attempt(&attempts_key).await?;

        let user = match Email::parse(&email) {
            Ok(email) => self.deps.users.get_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = match &user {
            Some(user) => user.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let outdated = user
            .as_ref()
            .is_some_and(|u| self.deps.hasher.needs_rehash(&u.password_hash));
        let kept_for_rehash = outdated.then(|| password.clone());
        let password_ok = self.deps.hasher.verify(password, hash).await?;
        let user = match user {
            Some(user) if password_ok && !user.disabled => user,
            other => {
                let reason = match &other {
                    None => "unknown_email",
                    Some(u) if u.disabled && password_ok => "disabled",
                    Some(_) => "wrong_password",
                };
                let entry =
                    AuditEntry::new("auth.login_failed", None, other.as_ref().map(|u| u.id))
                        .with_details(
                            json!({ "email": email.trim().to_lowercase(), "reason": reason }),
                        )
                        .with_ip(input.ip);
                let mut tx = self.deps.uow.begin().await?;
                self.deps.audit.record(&mut tx, &entry).await?;
                tx.commit().await?;
                return Err(AppError::AuthenticationFailed);
            }
        };

        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        // Only failures count against the budget: a user's own logins never lock them out.
        if reserved {
            self.refund_attempt(&attempts_key).await;
        }
        let mut tx = self.deps.uow.begin().await?;
        let session = self
            .open_session(&mut tx, &user, Uuid::now_v7(), None)
            .await?;
        let entry = AuditEntry::new("auth.login", Some(user.id), None).with_ip(input.ip);
        self.deps.audit.record(&mut tx, &entry).await?;
        tx.commit().await?;
        if let Some(password) = kept_for_rehash {
            self.replace_outdated_hash(&user, password).await;
        }
        Ok(session)
    }

    /// Stores a hash of `password` at today's parameters for `user`, whose stored hash (the
    /// one it just verified against) has earlier ones: a changed default (ADR 0039). After the
    /// login has committed and in a transaction of its own, so the upgrade can only ever cost
    /// itself: a failure is logged and the next login tries again. Replaced only if the stored
    /// hash is still the verified one (a password change or reset since then wins).
    async fn replace_outdated_hash(&self, user: &User, password: String) {
        let upgraded = async {
            let rehashed = self.deps.hasher.hash(password).await?;
            let mut tx = self.deps.uow.begin().await?;
            self.deps
                .users
                .replace_password_hash(&mut tx, user.id, &user.password_hash, &rehashed)
                .await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        };
        if let Err(error) = upgraded.await {
            tracing::warn!(%error, user_id = %user.id, "outdated password hash kept; retried at the next login");
        }
    }

    /// Issues an access token and a refresh token of `family_id` for `user`, inside `tx`. A
    /// rotation (`rotated_from`: the presented token and its row id) derives the new refresh token
    /// from the presented one, so that it can be issued again during the grace period without
    /// being stored (ADR 0015); a login draws a random one.
    async fn open_session(
        &self,
        tx: &mut Tx,
        user: &User,
        family_id: Uuid,
        rotated_from: Option<(&str, Uuid)>,
    ) -> Result<SessionTokens, AppError> {
        let refresh_token = match rotated_from {
            Some((presented, spent_id)) => successor_token(self, presented, spent_id),
            None => self.deps.secrets.generate(),
        };
        let now = Utc::now();
        let record = RefreshRecord {
            id: Uuid::now_v7(),
            user_id: user.id,
            family_id,
            expires_at: now + chrono_duration(self.settings.refresh_ttl),
            used_at: None,
            revoked_at: None,
        };
        self.deps
            .refresh_tokens
            .insert(tx, &record, &self.deps.secrets.hash(&refresh_token))
            .await?;
        self.session_tokens(user, &record, refresh_token).await
    }

    /// The pair of a stored refresh token: the access token is a function of the user, the
    /// record and the refresh token (its `jti` is derived from the refresh token, its `iat` is the
    /// record's creation time), so issuing it again gives the same token.
    async fn session_tokens(
        &self,
        user: &User,
        record: &RefreshRecord,
        refresh_token: String,
    ) -> Result<SessionTokens, AppError> {
        let issued_at = record
            .id
            .get_timestamp()
            .and_then(|ts| {
                let (secs, _) = ts.to_unix();
                chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)
            })
            .unwrap_or_else(Utc::now);
        let grant = AccessGrant {
            user_id: user.id,
            role: user.role,
            tier: user.tier,
            email_verified: user.is_verified,
            session_id: record.family_id,
            token_id: token_id_for(&refresh_token),
            issued_at,
        };
        let (access_token, expires_in) = self
            .deps
            .access_tokens
            .issue(&grant)
            .await
            .context("signing an access token")?;
        Ok(SessionTokens {
            access_token,
            refresh_token,
            expires_in,
            user: user.clone(),
        })
    }

    /// Within the grace period after `spent` was exchanged, the pair it was exchanged for —
    /// while that successor is alive. `None` means "not within grace": a reuse.
    async fn reissue_within_grace(
        &self,
        tx: &mut Tx,
        presented: &str,
        spent: &RefreshRecord,
        now: chrono::DateTime<Utc>,
    ) -> Result<Option<SessionTokens>, AppError> {
        let grace = chrono_duration(self.settings.refresh_grace);
        let Some(used_at) = spent.used_at else {
            return Ok(None);
        };
        if grace.is_zero() || now > used_at + grace {
            return Ok(None);
        }
        let successor = successor_token(self, presented, spent.id);
        let Some(record) = self
            .deps
            .refresh_tokens
            .find_by_hash(tx, &self.deps.secrets.hash(&successor))
            .await?
        else {
            return Ok(None);
        };
        if record.family_id != spent.family_id || record.revoked_at.is_some() {
            return Ok(None);
        }
        let user = self
            .deps
            .users
            .find_by_id(tx, record.user_id)
            .await?
            .ok_or(AppError::AuthenticationFailed)?;
        if user.disabled {
            return Err(AppError::AuthenticationFailed);
        }
        Ok(Some(self.session_tokens(&user, &record, successor).await?))
    }

    /// Exchanges a refresh token for a new pair. The presented token is spent; presenting a spent
    /// token again means it was stolen or replayed, so the whole family is revoked.
    #[tracing::instrument(skip_all, fields(session_id = tracing::field::Empty))]
    pub async fn refresh(&self, refresh_token: Option<String>) -> Result<SessionTokens, AppError> {
        let presented = refresh_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| FieldError::new("refreshToken", "Refresh token is required"))?;
        let now = Utc::now();
        let mut tx = self.deps.uow.begin().await?;
        let record = self
            .deps
            .refresh_tokens
            .find_by_hash(&mut tx, &self.deps.secrets.hash(&presented))
            .await?
            .ok_or(AppError::AuthenticationFailed)?;
        tracing::Span::current().record("session_id", tracing::field::display(record.family_id));
        if record.revoked_at.is_some() {
            return Err(AppError::TokenRevoked);
        }
        let first_use = record.used_at.is_none()
            && self
                .deps
                .refresh_tokens
                .mark_used(&mut tx, record.id, now)
                .await?;
        let record = if !first_use && record.used_at.is_none() {
            // The update matched nothing although the token looked unused: either a concurrent
            // exchange spent it (a reuse, or a second tab within the grace period) or a
            // logout/reset revoked the family meanwhile — then the answer is simply "revoked",
            // and the family stays dead.
            let now_stored = self
                .deps
                .refresh_tokens
                .find_by_hash(&mut tx, &self.deps.secrets.hash(&presented))
                .await?
                .ok_or(AppError::AuthenticationFailed)?;
            if now_stored.revoked_at.is_some() {
                return Err(AppError::TokenRevoked);
            }
            now_stored
        } else {
            record
        };
        if !first_use {
            // Two tabs refreshing at once: the same spent token, shortly after its exchange,
            // gets the same new pair (RFC 9700 §4.14.2); anything later is a replay.
            if let Some(session) = self
                .reissue_within_grace(&mut tx, &presented, &record, now)
                .await?
            {
                return Ok(session);
            }
            self.deps
                .refresh_tokens
                .revoke_family(&mut tx, record.family_id, now)
                .await?;
            let entry = AuditEntry::new("auth.refresh_reuse_detected", None, Some(record.user_id))
                .with_details(json!({ "family": record.family_id }));
            self.deps.audit.record(&mut tx, &entry).await?;
            tx.commit().await?;
            self.sessions_revoked(&[record.family_id], None).await;
            return Err(AppError::TokenRevoked);
        }
        if record.expires_at <= now {
            return Err(AppError::AuthenticationFailed);
        }
        let user = self
            .deps
            .users
            .find_by_id(&mut tx, record.user_id)
            .await?
            .ok_or(AppError::AuthenticationFailed)?;
        if user.disabled {
            return Err(AppError::AuthenticationFailed);
        }
        let session = self
            .open_session(
                &mut tx,
                &user,
                record.family_id,
                Some((&presented, record.id)),
            )
            .await?;
        // A store that checks the rotation when it commits (DynamoDB) reports a concurrent
        // exchange or revocation of this family here: the token is no longer good.
        tx.commit()
            .await
            .on_constraint(REFRESH_SPENT, || AppError::TokenRevoked)?;
        Ok(session)
    }

    /// Ends the caller's session: its refresh family is revoked in the database, which every
    /// later request checks (through a cache that is told right after the commit).
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn logout(&self, principal: &Principal) -> Result<(), AppError> {
        let now = Utc::now();
        let mut tx = self.deps.uow.begin().await?;
        self.deps
            .refresh_tokens
            .revoke_family(&mut tx, principal.session_id, now)
            .await?;
        self.deps
            .audit
            .record(
                &mut tx,
                &AuditEntry::new("auth.logout", Some(principal.user_id), None),
            )
            .await?;
        tx.commit().await?;
        self.sessions_revoked(&[principal.session_id], None).await;
        Ok(())
    }

    /// After a revoking commit: drops what caches hold about `sessions` (and every session of
    /// `user`, when given), then announces the sessions to services that only share Redis.
    /// The revocation itself is already durable, so neither step can undo or fail it; an
    /// announcement that cannot be written is logged.
    pub(super) async fn sessions_revoked(&self, sessions: &[Uuid], user: Option<Uuid>) {
        self.deps.sessions.forget(sessions, user).await;
        let Some(notices) = &self.deps.revocation_notices else {
            return;
        };
        let until = Utc::now() + chrono_duration(self.access_ttl());
        for session in sessions {
            let key = super::revocation::notice_key(*session);
            if let Err(error) = notices.deny(&key, until).await {
                tracing::warn!(%session, %error, "could not announce a revoked session in Redis");
            }
        }
    }

    fn access_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.deps.access_tokens.lifetime_secs())
    }

    /// Deletes refresh and mail tokens that expired more than a day ago (they can no longer be
    /// used, and the day keeps recent ones for support questions). Returns how many.
    #[tracing::instrument(skip_all)]
    pub async fn purge_expired_tokens(&self) -> Result<u64, AppError> {
        let before = Utc::now() - chrono::Duration::days(1);
        let mut tx = self.deps.uow.begin().await?;
        let refresh = self
            .deps
            .refresh_tokens
            .purge_expired(&mut tx, before)
            .await?;
        let mail = self
            .deps
            .email_tokens
            .purge_expired(&mut tx, before)
            .await?;
        tx.commit().await?;
        Ok(refresh + mail)
    }

    /// Confirms an email address with the mailed token (single use, 24 h).
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn verify_email(&self, token: Option<String>) -> Result<(), AppError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| FieldError::new("token", "Token is required"))?;
        let mut tx = self.deps.uow.begin().await?;
        let redemption = self
            .deps
            .email_tokens
            .redeem(
                &mut tx,
                &self.deps.secrets.hash(&token),
                EmailTokenPurpose::VerifyEmail,
                Utc::now(),
            )
            .await?;
        let user_id = redeemed(redemption, "Verification link")?;
        tracing::Span::current().record("user_id", tracing::field::display(user_id));
        let mut user = self
            .deps
            .users
            .find_by_id(&mut tx, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !user.is_verified {
            user.is_verified = true;
            user.updated_at = agora_domain::timestamp_now();
            self.deps.users.update(&mut tx, &user).await?;
            self.emit(&mut tx, IdentityEvent::UserVerified { id: user.id })
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sends a new verification mail to the caller, unless already verified.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn resend_verification(&self, principal: &Principal) -> Result<(), AppError> {
        let mut tx = self.deps.uow.begin().await?;
        let user = self
            .deps
            .users
            .find_by_id(&mut tx, principal.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if user.is_verified {
            return Ok(());
        }
        self.send_verification(&mut tx, &user).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The refresh token that replaces `presented` (row `spent_id`): derived, not drawn, so that
/// the grace period can hand it out again without it being stored anywhere. The row id is never
/// shown to clients, so the spent token alone does not give its successor.
fn successor_token(identity: &Identity, presented: &str, spent_id: Uuid) -> String {
    identity.deps.secrets.derive(presented, spent_id.as_bytes())
}

/// The access token id (`jti`) that goes with a refresh token: a hash of it in UUID form, so a
/// re-issued pair carries the same `jti`, and the refresh token cannot be read back from it.
fn token_id_for(refresh_token: &str) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"agora access jti\0")
        .chain_update(refresh_token.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Turns a redemption into the user id or the 400 the API documents.
pub(super) fn redeemed(redemption: Redemption, what: &str) -> Result<Uuid, AppError> {
    match redemption {
        Redemption::Redeemed(user_id) => Ok(user_id),
        Redemption::Expired => Err(FieldError::new("token", format!("{what} has expired")).into()),
        Redemption::Invalid => {
            Err(FieldError::new("token", format!("{what} is invalid or was already used")).into())
        }
    }
}
