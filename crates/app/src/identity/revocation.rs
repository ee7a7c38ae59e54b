//! Revocation (ADR 0018). The database is the source of truth: a revoking change (logout, reuse
//! detection, password change or reset, an admin changing role, tier or the disabled flag)
//! revokes refresh-token families in the transaction that makes the change, and an access token
//! is admitted only while its session's family is alive and its account enabled. What sits in
//! front of the database is a cache of that answer, never the only copy of a revocation: losing
//! it (a Redis restart, a crash) costs a query, not a revoked token coming back.

use std::sync::Arc;

use agora_domain::{
    identity::Principal,
    ports::{SessionStates, SessionStatus, TaggedCache, TokenDenylist},
};
use uuid::Uuid;

use crate::AppError;

/// Admits a principal only while its session is live, from a cache of [`SessionStates`].
#[derive(Clone)]
pub struct SessionGuard {
    states: Arc<dyn SessionStates>,
    cache: Arc<dyn TaggedCache<SessionStatus>>,
}

fn session_tag(session_id: Uuid) -> String {
    format!("sid:{session_id}")
}

fn user_tag(user_id: Uuid) -> String {
    format!("uid:{user_id}")
}

impl SessionGuard {
    /// Answers from `cache`, loading misses from `states`.
    pub fn new(states: Arc<dyn SessionStates>, cache: Arc<dyn TaggedCache<SessionStatus>>) -> Self {
        Self { states, cache }
    }

    /// `Ok` while the principal's session is live; `token_revoked` once it was revoked or its
    /// account disabled; `unavailable` when the database cannot answer (never "admitted").
    pub async fn admit(&self, principal: &Principal) -> Result<(), AppError> {
        let (session, user) = (principal.session_id, principal.user_id);
        let key = session_tag(session);
        let user_key = user_tag(user);
        let tags = [key.as_str(), user_key.as_str()];
        let states = self.states.clone();
        let status = self
            .cache
            .get_or_load(
                &key,
                &tags,
                Box::pin(async move { states.status(session, user).await }),
            )
            .await?;
        match status {
            SessionStatus::Live => Ok(()),
            SessionStatus::Revoked | SessionStatus::AccountDisabled => Err(AppError::TokenRevoked),
        }
    }

    /// Forgets what is cached about `sessions` and, when given, every session of `user`. Call
    /// it after the revoking transaction committed: before, a concurrent request could cache
    /// the old answer again.
    pub async fn forget(&self, sessions: &[Uuid], user: Option<Uuid>) {
        let mut tags: Vec<String> = sessions.iter().copied().map(session_tag).collect();
        tags.extend(user.map(user_tag));
        if tags.is_empty() {
            return;
        }
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.cache.invalidate_tags(&tags).await;
    }
}

/// How an authenticator learns that a verified token was revoked.
#[derive(Clone)]
pub enum RevocationCheck {
    /// Identity's database, through a [`SessionGuard`]: identity itself, and any target that
    /// shares identity's database.
    Database(SessionGuard),
    /// Revocation notices in Redis, for a target that shares only Redis with identity: best
    /// effort (see [`TokenDenylist`]).
    Notices(Arc<dyn TokenDenylist>),
    /// Nothing reachable: a token is trusted until it expires (access tokens are short-lived).
    Unchecked,
}

/// The notice key of a revoked session (see [`RevocationCheck::Notices`]).
pub(super) fn notice_key(session_id: Uuid) -> String {
    session_tag(session_id)
}

impl RevocationCheck {
    /// `Ok` unless the check knows `principal`'s token was revoked.
    pub async fn admit(&self, principal: &Principal) -> Result<(), AppError> {
        match self {
            Self::Database(guard) => guard.admit(principal).await,
            Self::Notices(notices) => {
                match notices
                    .is_denied(&[notice_key(principal.session_id).as_str()])
                    .await
                {
                    Ok(true) => Err(AppError::TokenRevoked),
                    Ok(false) => Ok(()),
                    // Notices are best effort by design (a Redis restart forgets them too), so
                    // an unreachable Redis means "no notice known", not "refuse everyone".
                    Err(error) => {
                        tracing::warn!(%error, "revocation notices unreachable; token admitted");
                        Ok(())
                    }
                }
            }
            Self::Unchecked => Ok(()),
        }
    }
}
