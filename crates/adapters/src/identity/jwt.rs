//! Access tokens: JWTs signed with Ed25519 (`EdDSA`), verifiable by any service from the public
//! JWK Set at `/.well-known/jwks.json`, so no shared secret is handed around.

use std::{fs, path::Path};

use agora_domain::{
    identity::{AccessGrant, Principal},
    ports::{AccessTokens, TokenError},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

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

    /// PKCS#8 PEM encoding, for storing the development key.
    pub fn to_pem(&self) -> Result<String, String> {
        self.key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| e.to_string())
    }

    /// Loads the key at `path`, or creates it (mode 0600) when absent — development only.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), String> {
        if path.exists() {
            let pem = fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            return Self::from_pem(&pem)
                .map(|key| (key, false))
                .map_err(|e| format!("{}: {e}", path.display()));
        }
        let key = Self::generate();
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        write_private(path, &key.to_pem()?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok((key, true))
    }

    fn public_x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes())
    }

    /// Key id: a digest of the public key, so rotating the key changes it.
    pub fn kid(&self) -> String {
        let digest = Sha256::digest(self.key.verifying_key().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    fs::write(path, contents)
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

/// The JWT adapter of [`AccessTokens`].
pub struct JwtAccessTokens {
    kid: String,
    x: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    settings: JwtSettings,
}

impl std::fmt::Debug for JwtAccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwtAccessTokens(kid={})", self.kid)
    }
}

impl JwtAccessTokens {
    /// Signs with `key`; verifies only `EdDSA` tokens of this key id, issuer and audience.
    pub fn new(key: &SigningKey, settings: JwtSettings) -> Result<Self, String> {
        let der = key.key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let x = key.public_x();
        let decoding = DecodingKey::from_ed_components(&x).map_err(|e| e.to_string())?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            kid: key.kid(),
            x,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding,
            validation,
            settings,
        })
    }
}

fn timestamp(secs: i64) -> Result<DateTime<Utc>, TokenError> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| TokenError::Invalid("exp out of range".into()))
}

impl AccessTokens for JwtAccessTokens {
    fn issue(&self, grant: &AccessGrant) -> Result<(String, u64), TokenError> {
        let now = Utc::now().timestamp();
        let lifetime = i64::try_from(self.settings.lifetime_secs).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: grant.user_id,
            role: grant.role.as_str().into(),
            tier: grant.tier.as_str().into(),
            ev: grant.email_verified,
            sid: grant.session_id,
            jti: Uuid::now_v7().to_string(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(lifetime),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((token, self.settings.lifetime_secs))
    }

    fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenError::Invalid("unknown key id".into()));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            })?;
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

    fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "alg": "EdDSA", "use": "sig" }]
        })
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
        }
    }

    #[test]
    fn an_issued_token_verifies_to_its_grant() {
        let tokens = JwtAccessTokens::new(&SigningKey::generate(), JwtSettings::default()).unwrap();
        let grant = grant();
        let (token, lifetime) = tokens.issue(&grant).unwrap();
        assert_eq!(lifetime, 900);
        let principal = tokens.verify(&token).unwrap();
        assert_eq!(
            (principal.user_id, principal.role, principal.tier),
            (grant.user_id, grant.role, grant.tier)
        );
        assert_eq!(principal.session_id, grant.session_id);
        assert!(principal.email_verified);
    }

    #[test]
    fn another_keys_token_is_rejected() {
        let ours = JwtAccessTokens::new(&SigningKey::generate(), JwtSettings::default()).unwrap();
        let theirs = JwtAccessTokens::new(&SigningKey::generate(), JwtSettings::default()).unwrap();
        let (token, _) = theirs.issue(&grant()).unwrap();
        assert!(matches!(ours.verify(&token), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn keys_round_trip_through_pem_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/jwt.pem");
        let (created, fresh) = SigningKey::load_or_create(&path).unwrap();
        assert!(fresh);
        let (loaded, fresh) = SigningKey::load_or_create(&path).unwrap();
        assert!(!fresh);
        assert_eq!(created.kid(), loaded.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn the_jwks_publishes_the_public_key_only() {
        let key = SigningKey::generate();
        let tokens = JwtAccessTokens::new(&key, JwtSettings::default()).unwrap();
        let jwks = tokens.jwks();
        assert_eq!(jwks["keys"][0]["kid"], key.kid());
        assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
        assert!(jwks["keys"][0].get("d").is_none());
    }
}
