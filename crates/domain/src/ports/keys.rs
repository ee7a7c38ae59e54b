//! Keys that verify access tokens. Identity signs; every service that serves authenticated routes
//! verifies, with public keys read from wherever identity publishes them (its database table or
//! its JWKS endpoint), so a split service never needs identity's private key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::TokenError;
use crate::identity::Principal;

/// A public key that verifies access tokens: Ed25519 (`EdDSA`), named by its `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// Key id, as in the token header.
    pub kid: String,
    /// The raw 32-byte Ed25519 public key.
    pub public_key: Vec<u8>,
    /// A retired key verifies until then (tokens it signed have expired by that time); `None`
    /// while the key still signs or when the source does not say (a JWKS lists only usable keys).
    pub verifies_until: Option<DateTime<Utc>>,
}

impl VerificationKey {
    /// False once a retired key's grace period is over.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.verifies_until.is_none_or(|until| now < until)
    }
}

/// The key source could not be read (database down, identity unreachable, bad document).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("verification keys unavailable: {0}")]
pub struct KeySourceError(pub String);

/// Where verifying keys come from. Implementations read the source on every call; caching and
/// refresh policy belong to the caller (a key ring).
#[async_trait]
pub trait VerificationKeys: Send + Sync {
    /// Every key that verifies tokens now.
    async fn fetch(&self) -> Result<Vec<VerificationKey>, KeySourceError>;
}

/// Checks an access token's signature and claims (not revocation). Async because an unknown key
/// id may make the verifier reload its keys before it answers.
#[async_trait]
pub trait AccessTokenVerifier: Send + Sync {
    /// The principal the token was issued to, or why it is not accepted.
    async fn verify(&self, token: &str) -> Result<Principal, TokenError>;
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn a_retired_key_stops_verifying_when_its_grace_ends() {
        let now = Utc::now();
        let mut key = VerificationKey {
            kid: "k".into(),
            public_key: vec![0; 32],
            verifies_until: None,
        };
        assert!(key.usable_at(now));
        key.verifies_until = Some(now + Duration::seconds(1));
        assert!(key.usable_at(now));
        key.verifies_until = Some(now);
        assert!(!key.usable_at(now));
    }
}
