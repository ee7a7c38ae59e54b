use std::sync::Arc;

use agora_domain::{
    identity::Principal,
    ports::{AccessTokenVerifier, TokenDenylist, TokenError},
};

use super::{
    sessions::{session_key, token_key},
    Identity,
};
use crate::AppError;

/// Resolves bearer tokens to principals. Implemented by [`Identity`] in the process that owns
/// identity, and by [`TokenAuthenticator`] in a service that only verifies identity's tokens.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync {
    /// The caller behind `bearer`, or why not.
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError>;
}

#[async_trait::async_trait]
impl Authenticator for Identity {
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        Identity::authenticate(self, bearer).await
    }
}

impl Identity {
    /// Turns a bearer token into the caller: signature, algorithm, key id, issuer, audience and
    /// validity window first, then revocation of the token or of its whole session.
    // Debug level: this runs on every authenticated request, and the HTTP span already says
    // who called; at the default level the span costs nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        let verified = self.deps.access_tokens.verify(bearer).await;
        let principal = admit(verified, Some(self.deps.denylist.as_ref())).await?;
        tracing::Span::current().record("user_id", tracing::field::display(principal.user_id));
        Ok(principal)
    }
}

/// Authentication for a service that does not run identity: the same verification (a verifier
/// over identity's public keys) and, when the service can reach identity's denylist (Redis, or
/// identity's database), the same revocation check. Without a denylist a token is trusted until
/// it expires — access tokens are short-lived for that reason.
pub struct TokenAuthenticator {
    verifier: Arc<dyn AccessTokenVerifier>,
    denylist: Option<Arc<dyn TokenDenylist>>,
}

impl TokenAuthenticator {
    /// Verifies with `verifier`, checks revocation in `denylist` when there is one.
    pub fn new(
        verifier: Arc<dyn AccessTokenVerifier>,
        denylist: Option<Arc<dyn TokenDenylist>>,
    ) -> Self {
        Self { verifier, denylist }
    }
}

#[async_trait::async_trait]
impl Authenticator for TokenAuthenticator {
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        let verified = self.verifier.verify(bearer).await;
        admit(verified, self.denylist.as_deref()).await
    }
}

/// One rule for every authenticator: a token that does not verify is `authentication_failed`
/// (never more detail to the client), a verified one is then checked against revocation.
async fn admit(
    verified: Result<Principal, TokenError>,
    denylist: Option<&dyn TokenDenylist>,
) -> Result<Principal, AppError> {
    let principal = verified.map_err(|error| {
        match &error {
            TokenError::Expired => tracing::debug!("expired access token"),
            TokenError::Invalid(reason) => tracing::info!(%reason, "rejected access token"),
        }
        AppError::AuthenticationFailed
    })?;
    let Some(denylist) = denylist else {
        return Ok(principal);
    };
    let keys = [
        token_key(&principal.token_id),
        session_key(principal.session_id),
    ];
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    if denylist.is_denied(&keys).await? {
        return Err(AppError::TokenRevoked);
    }
    Ok(principal)
}
