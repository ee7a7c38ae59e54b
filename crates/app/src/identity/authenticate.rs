use agora_domain::{identity::Principal, ports::TokenError};

use super::{
    sessions::{session_key, token_key},
    Identity,
};
use crate::AppError;

/// Resolves bearer tokens to principals. Implemented by [`Identity`] in the process that owns
/// identity; a split service can implement it from the published JWKS alone.
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
        let principal = self.deps.access_tokens.verify(bearer).map_err(|error| {
            match &error {
                TokenError::Expired => tracing::debug!("expired access token"),
                TokenError::Invalid(reason) => tracing::info!(%reason, "rejected access token"),
            }
            AppError::AuthenticationFailed
        })?;
        tracing::Span::current().record("user_id", tracing::field::display(principal.user_id));
        let keys = [
            token_key(&principal.token_id),
            session_key(principal.session_id),
        ];
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        if self.deps.denylist.is_denied(&keys).await? {
            return Err(AppError::TokenRevoked);
        }
        Ok(principal)
    }
}
