//! Identity use cases: registration, email verification, login and sessions, password reset,
//! profiles, administration. Handlers call exactly one method of [`Identity`] per request.

mod admin;
mod authenticate;
mod directory;
mod mails;
mod order_mails;
mod passwords;
mod profile;
mod register;
mod revocation;
mod seed;
mod sessions;
mod welcome;

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;

use crate::AppError;
use agora_domain::{
    event::EventEnvelope,
    identity::IdentityEvent,
    ports::{
        AccessTokens, AuditLog, EmailTokenRepository, Outbox, OutboxMessage, PasswordHasher,
        RateLimiter, RefreshTokenRepository, SecretTokens, TokenDenylist, Tx, UnitOfWork,
        UserRepository,
    },
    ratelimit::Quota,
};

pub use admin::{AdminUserChange, UserListQuery};
pub use authenticate::{Authenticator, TokenAuthenticator};
pub use order_mails::OrderMails;
pub use passwords::{
    ChangePasswordInput, PasswordResetJob, ResetPasswordInput, PASSWORD_RESET_JOB,
};
pub use profile::ProfileChange;
pub use register::{CreateUserInput, RegisterInput, EMAIL_KEY};
pub use revocation::{RevocationCheck, SessionGuard};
pub use seed::{DemoAccount, SeedDemoAccounts, SeedOutcome, DEMO_ACCOUNTS};
pub use sessions::{LoginInput, SessionTokens, REFRESH_SPENT};
pub use welcome::WelcomeMail;

/// The ports identity needs, wired once by the composition root.
#[derive(Clone)]
pub struct IdentityDeps {
    /// Transactions.
    pub uow: Arc<dyn UnitOfWork>,
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Verification and reset tokens.
    pub email_tokens: Arc<dyn EmailTokenRepository>,
    /// Refresh-token families.
    pub refresh_tokens: Arc<dyn RefreshTokenRepository>,
    /// Whether a session is still live: the database, cached (ADR 0018).
    pub sessions: SessionGuard,
    /// Where revoked sessions are also announced for services that cannot read identity's
    /// database (Redis, when configured); best effort, never the source of truth.
    pub revocation_notices: Option<Arc<dyn TokenDenylist>>,
    /// JWT signing and verification.
    pub access_tokens: Arc<dyn AccessTokens>,
    /// Random tokens and their hashes.
    pub secrets: Arc<dyn SecretTokens>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Mails and events, delivered after commit.
    pub outbox: Arc<dyn Outbox>,
    /// Security audit trail.
    pub audit: Arc<dyn AuditLog>,
    /// Counts failed logins and reset requests per client IP + email.
    pub auth_limiter: Arc<dyn RateLimiter>,
}

/// Tunables of the identity context.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// Base URL of the web app, used in mailed links (no trailing slash).
    pub public_url: String,
    /// Refresh token lifetime (30 days).
    pub refresh_ttl: Duration,
    /// Verification link lifetime (24 h).
    pub verify_ttl: Duration,
    /// Password reset link lifetime (1 h).
    pub reset_ttl: Duration,
    /// Failed logins (and reset requests) allowed per client IP + email; `None` disables the limit.
    pub auth_failures: Option<Quota>,
    /// How long a spent refresh token still returns the pair it was exchanged for (two tabs
    /// refreshing at once); zero disables it. A reuse after it revokes the family (ADR 0015).
    pub refresh_grace: Duration,
    /// Registration with a taken email answers 201 (and mails the owner) instead of 409.
    pub registration_conceal_taken: bool,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            verify_ttl: Duration::from_secs(24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            auth_failures: Some(Quota {
                count: 5,
                period: Duration::from_secs(15 * 60),
            }),
            refresh_grace: Duration::from_secs(10),
            registration_conceal_taken: false,
        }
    }
}

/// The identity application service.
#[derive(Clone)]
pub struct Identity {
    deps: IdentityDeps,
    settings: IdentitySettings,
    /// A real hash of a random password, verified against when the email is unknown so that
    /// unknown and known emails take the same time. Computed in the background from `new`, so
    /// a start (a Lambda cold start above all) does not wait for an argon2 hash; a login that
    /// needs it first waits for that same computation.
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
}

impl Identity {
    /// Builds the service and starts computing the timing-equaliser hash.
    pub async fn new(
        deps: IdentityDeps,
        settings: IdentitySettings,
    ) -> Result<Self, crate::AppError> {
        let identity = Self {
            deps,
            settings,
            dummy_hash: Arc::default(),
        };
        let early = identity.clone();
        tokio::spawn(async move {
            if let Err(error) = early.dummy_hash().await {
                tracing::warn!(%error, "timing-equaliser hash not ready; the next login retries");
            }
        });
        Ok(identity)
    }

    /// The timing-equaliser hash, computed once.
    async fn dummy_hash(&self) -> Result<String, AppError> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let dummy = self.deps.secrets.generate();
                self.deps
                    .hasher
                    .hash(dummy)
                    .await
                    .context("hashing the timing-equaliser password")
            })
            .await
            .cloned()
            .map_err(AppError::Unexpected)
    }

    /// The public keys that verify this service's access tokens.
    pub async fn jwks(&self) -> serde_json::Value {
        self.deps.access_tokens.jwks().await
    }
}

impl Identity {
    /// Key of the failed-attempt counter for one client and one account.
    fn auth_key(kind: &str, ip: Option<&str>, email: &str) -> String {
        format!(
            "{kind}:{}:{}",
            ip.unwrap_or("-"),
            email.trim().to_lowercase()
        )
    }

    /// Counts one attempt against the client + email budget *before* the attempt runs, so
    /// parallel guesses cannot all slip past a check made before any failure was recorded.
    /// Returns whether a unit was reserved (to refund on success). A limiter that cannot count
    /// answers 503: an uncounted attempt would let guesses through (the built-in limiters do not
    /// fail: with Redis down they count in process, ADR 0018).
    async fn reserve_attempt(&self, key: &str) -> Result<bool, AppError> {
        let Some(quota) = self.settings.auth_failures else {
            return Ok(false);
        };
        match self.deps.auth_limiter.check(key, quota, 1).await {
            Ok(decision) if decision.allowed => Ok(true),
            Ok(decision) => Err(AppError::RateLimited {
                retry_after_secs: decision.retry_after_ms.div_ceil(1000),
                limit: Some(decision.limit),
                reset_secs: Some(decision.reset_ms.div_ceil(1000)),
            }),
            Err(error) => Err(error.into()),
        }
    }

    /// Gives back a reserved unit: a successful login is not a failed attempt.
    async fn refund_attempt(&self, key: &str) {
        let Some(quota) = self.settings.auth_failures else {
            return;
        };
        if let Err(error) = self.deps.auth_limiter.refund(key, quota, 1).await {
            tracing::warn!(%error, "could not refund a login attempt");
        }
    }
}

impl Identity {
    /// Writes `event` to the outbox inside `tx`: it is published once `tx` commits, and never if
    /// it rolls back.
    async fn emit(&self, tx: &mut Tx, event: IdentityEvent) -> Result<(), AppError> {
        let envelope = EventEnvelope::wrap(&event).map_err(|e| AppError::Unexpected(e.into()))?;
        self.deps
            .outbox
            .enqueue(tx, &OutboxMessage::Event(envelope))
            .await?;
        Ok(())
    }
}

pub(crate) fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests;
