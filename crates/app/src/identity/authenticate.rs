use std::sync::Arc;

use agora_domain::{
    identity::Principal,
    ports::{AccessTokenVerifier, TokenError},
};

use super::{revocation::RevocationCheck, Identity};
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
    /// validity window first, then whether its session is still live in the database (cached).
    // Debug level: this runs on every authenticated request, and the HTTP span already says
    // who called; at the default level the span costs nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        let principal = verified(self.deps.access_tokens.verify(bearer).await)?;
        self.deps.sessions.admit(&principal).await?;
        tracing::Span::current().record("user_id", tracing::field::display(principal.user_id));
        Ok(principal)
    }
}

/// Authentication for a service that does not run identity: the same verification (a verifier
/// over identity's public keys) and the revocation check the service can reach (see
/// [`RevocationCheck`]).
pub struct TokenAuthenticator {
    verifier: Arc<dyn AccessTokenVerifier>,
    revocation: RevocationCheck,
}

impl TokenAuthenticator {
    /// Verifies with `verifier`, then applies `revocation`.
    pub fn new(verifier: Arc<dyn AccessTokenVerifier>, revocation: RevocationCheck) -> Self {
        Self {
            verifier,
            revocation,
        }
    }
}

#[async_trait::async_trait]
impl Authenticator for TokenAuthenticator {
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        let principal = verified(self.verifier.verify(bearer).await)?;
        self.revocation.admit(&principal).await?;
        Ok(principal)
    }
}

/// One rule for every authenticator: a token that does not verify is `authentication_failed`,
/// never with more detail to the client.
fn verified(verified: Result<Principal, TokenError>) -> Result<Principal, AppError> {
    verified.map_err(|error| {
        match &error {
            TokenError::Expired => tracing::debug!("expired access token"),
            TokenError::Invalid(reason) => tracing::info!(%reason, "rejected access token"),
        }
        AppError::AuthenticationFailed
    })
}
