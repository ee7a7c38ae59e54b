//! Access tokens: JWTs signed with Ed25519 (`EdDSA`), verifiable by any service from the public
//! JWK Set at `/.well-known/jwks.json`, so no shared secret is handed around.
//!
//! Signing and verification are separate: [`JwtVerifier`] checks tokens against a [`KeyRing`]
//! (every key that still verifies), and is all a service without identity needs;
//! [`JwtAccessTokens`] adds the signer — a configured key, or the newest key of the
//! `signing_keys` table.

use std::sync::Arc;

use agora_domain::{
    identity::{AccessGrant, Principal},
    ports::{AccessTokenVerifier, AccessTokens, TokenError, VerificationKey},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{errors::ErrorKind, Algorithm, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    keyring::{KeyRefresh, KeyRing},
    signing_keys::{SqlSigningKeys, StoredSigner},
};

/// An Ed25519 private key with its derived key id.
#[derive(Clone)]
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(kid={})", self.kid())
    }
}

impl SigningKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self {
            key: ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// Parses a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(|key| Self { key })
            .map_err(|e| format!("not an Ed25519 PKCS#8 PEM private key: {e}"))
    }

    /// PKCS#8 PEM encoding, how keys are stored.
    pub fn to_pem(&self) -> Result<String, String> {
        self.key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| e.to_string())
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.verifying_key().as_bytes().to_vec()
    }

    /// Key id: a digest of the public key, so rotating the key changes it.
    pub fn kid(&self) -> String {
        kid_of(self.key.verifying_key().as_bytes())
    }

    /// The public half, verifying for as long as the key is in use.
    pub fn verification_key(&self) -> VerificationKey {
        VerificationKey {
            kid: self.kid(),
            public_key: self.public_key(),
            verifies_until: None,
        }
    }
}

/// The key id of a raw Ed25519 public key: the first 8 bytes of its SHA-256, in hex.
pub(crate) fn kid_of(public_key: &[u8]) -> String {
    let digest = Sha256::digest(public_key);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A key ready to sign: its id and encoding key.
pub(crate) struct Signer {
    pub(crate) kid: String,
    encoding: EncodingKey,
}

impl Signer {
    pub(crate) fn new(key: &SigningKey) -> Result<Self, String> {
        let der = key.key.to_pkcs8_der().map_err(|e| e.to_string())?;
        Ok(Self {
            kid: key.kid(),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
        })
    }
}

/// Issuer, audience and lifetime of access tokens.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
    /// Lifetime in seconds (15 min by default).
    pub lifetime_secs: u64,
}

impl Default for JwtSettings {
    fn default() -> Self {
        Self {
            issuer: "agora".into(),
            audience: "agora".into(),
            lifetime_secs: 15 * 60,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    role: String,
    tier: String,
    /// Email verified at issue time.
    ev: bool,
    /// Session (refresh family).
    sid: Uuid,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    iss: String,
    aud: String,
}

/// Verifies access tokens with the keys of a [`KeyRing`]: only `EdDSA`, only a known and still
/// valid key id, this issuer and audience, within `nbf`/`exp` (5 s leeway). The one verification
/// path, used by identity and by every service that verifies identity's tokens.
#[derive(Debug)]
pub struct JwtVerifier {
    ring: KeyRing,
    validation: Validation,
}

impl JwtVerifier {
    /// A verifier for tokens of `settings`' issuer and audience, signed by keys of `ring`.
    pub fn new(ring: KeyRing, settings: &JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self { ring, validation }
    }

    /// The keys it verifies with.
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }
}

fn timestamp(secs: i64) -> Result<DateTime<Utc>, TokenError> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| TokenError::Invalid("exp out of range".into()))
}

#[async_trait]
impl AccessTokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        // Checked before any key lookup, so a token of another algorithm never makes the ring
        // reload; `validation` checks it again.
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid("algorithm not allowed".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Invalid("no key id".into()))?;
        let decoding = self
            .ring
            .decoding_key(&kid)
            .await
            .ok_or_else(|| TokenError::Invalid("unknown key id".into()))?;
        let data = jsonwebtoken::decode::<Claims>(token, &decoding, &self.validation).map_err(
            |e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            },
        )?;
        let claims = data.claims;
        Ok(Principal {
            user_id: claims.sub,
            role: claims
                .role
                .parse()
                .map_err(|_| TokenError::Invalid("unknown role".into()))?,
            tier: claims
                .tier
                .parse()
                .map_err(|_| TokenError::Invalid("unknown tier".into()))?,
            email_verified: claims.ev,
            token_id: claims.jti,
            session_id: claims.sid,
            expires_at: timestamp(claims.exp)?,
        })
    }
}

/// Where the signing key comes from.
enum Signing {
    /// Configured (`jwt.private_key[_file]`): rotation means replacing it and restarting.
    Fixed(Arc<Signer>),
    /// The newest key of the `signing_keys` table, re-read when older than the refresh age.
    Stored(StoredSigner),
}

/// The JWT adapter of [`AccessTokens`].
pub struct JwtAccessTokens {
    signing: Signing,
    verifier: JwtVerifier,
    settings: JwtSettings,
}

impl std::fmt::Debug for JwtAccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwtAccessTokens({:?})", self.verifier.ring)
    }
}

impl JwtAccessTokens {
    /// Signs with the configured `key` and verifies with it alone.
    pub fn new(key: &SigningKey, settings: JwtSettings) -> Result<Self, String> {
        let ring = KeyRing::fixed(vec![key.verification_key()]);
        Ok(Self {
            signing: Signing::Fixed(Arc::new(Signer::new(key)?)),
            verifier: JwtVerifier::new(ring, &settings),
            settings,
        })
    }

    /// Signs with the newest stored key and verifies with every stored key still valid; both
    /// re-read from the table as `refresh` says, so a rotation reaches every replica. Creates the
    /// first key if the table has none.
    pub async fn stored(
        keys: SqlSigningKeys,
        settings: JwtSettings,
        refresh: KeyRefresh,
    ) -> Result<Self, String> {
        keys.ensure_active().await.map_err(|e| e.to_string())?;
        let signer = StoredSigner::load(keys.clone(), refresh).await?;
        let ring = KeyRing::new(Arc::new(keys), refresh);
        ring.reload().await.map_err(|e| e.to_string())?;
        Ok(Self {
            signing: Signing::Stored(signer),
            verifier: JwtVerifier::new(ring, &settings),
            settings,
        })
    }

    async fn signer(&self) -> Arc<Signer> {
        match &self.signing {
            Signing::Fixed(signer) => signer.clone(),
            Signing::Stored(stored) => {
                let (signer, changed) = stored.current().await;
                if changed {
                    // Publish the new key (JWKS, own verification) before the first token
                    // signed with it leaves this process.
                    let _ = self.verifier.ring.reload().await;
                }
                signer
            }
        }
    }
}

#[async_trait]
impl AccessTokens for JwtAccessTokens {
    async fn issue(&self, grant: &AccessGrant) -> Result<(String, u64), TokenError> {
        let signer = self.signer().await;
        let now = grant.issued_at.timestamp();
        let lifetime = i64::try_from(self.settings.lifetime_secs).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: grant.user_id,
            role: grant.role.as_str().into(),
            tier: grant.tier.as_str().into(),
            ev: grant.email_verified,
            sid: grant.session_id,
            jti: grant.token_id.to_string(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(lifetime),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(signer.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &signer.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((token, self.settings.lifetime_secs))
    }

    async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verifier.verify(token).await
    }

    async fn jwks(&self) -> serde_json::Value {
        if let Signing::Stored(_) = self.signing {
            self.verifier.ring.refresh_if_stale().await;
        }
        self.verifier.ring.jwks()
    }

    fn lifetime_secs(&self) -> u64 {
        self.settings.lifetime_secs
    }
}

#[cfg(test)]
mod tests {
    use agora_domain::identity::{Role, Tier};

    use super::*;

    fn grant() -> AccessGrant {
        AccessGrant {
            user_id: Uuid::now_v7(),
            role: Role::Admin,
            tier: Tier::Pro,
            email_verified: true,
            session_id: Uuid::now_v7(),
            token_id: Uuid::now_v7(),
            issued_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn an_issued_token_verifies_to_its_grant() {
        let tokens = JwtAccessTokens::new(&SigningKey::generate(), JwtSettings::default()).unwrap();
        let grant = grant();
        let (token, lifetime) = tokens.issue(&grant).await.unwrap();
        assert_eq!(lifetime, 900);
        let principal = tokens.verify(&token).await.unwrap();
        assert_eq!(
            (principal.user_id, principal.role, principal.tier),
            (grant.user_id, grant.role, grant.tier)
        );
        assert_eq!(principal.session_id, grant.session_id);
        assert!(principal.email_verified);
    }

    #[tokio::test]
    async fn another_keys_token_is_rejected() {
        let ours = JwtAccessTokens::new(&SigningKey::generate(), JwtSettings::default()).unwrap();
        let theirs = JwtAccessTokens::new(&SigningKey::generate(), JwtSettings::default()).unwrap();
        let (token, _) = theirs.issue(&grant()).await.unwrap();
        assert!(matches!(
            ours.verify(&token).await,
            Err(TokenError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn a_verifier_with_only_the_public_key_accepts_the_issuers_tokens() {
        let key = SigningKey::generate();
        let issuer = JwtAccessTokens::new(&key, JwtSettings::default()).unwrap();
        let ring = KeyRing::fixed(vec![key.verification_key()]);
        let verifier = JwtVerifier::new(ring, &JwtSettings::default());
        let (token, _) = issuer.issue(&grant()).await.unwrap();
        assert!(verifier.verify(&token).await.is_ok());
        let other = JwtSettings {
            audience: "elsewhere".into(),
            ..JwtSettings::default()
        };
        let (foreign, _) = JwtAccessTokens::new(&key, other)
            .unwrap()
            .issue(&grant())
            .await
            .unwrap();
        assert!(verifier.verify(&foreign).await.is_err());
    }

    #[test]
    fn keys_round_trip_through_pem() {
        let key = SigningKey::generate();
        let again = SigningKey::from_pem(&key.to_pem().unwrap()).unwrap();
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.kid(), kid_of(&key.public_key()));
    }

    #[tokio::test]
    async fn the_jwks_publishes_the_public_key_only() {
        let key = SigningKey::generate();
        let tokens = JwtAccessTokens::new(&key, JwtSettings::default()).unwrap();
        let jwks = tokens.jwks().await;
        assert_eq!(jwks["keys"][0]["kid"], key.kid());
        assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
        assert!(jwks["keys"][0].get("d").is_none());
    }
}
