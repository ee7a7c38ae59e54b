//! Identity's published keys, read over HTTP from `<identity_url>/.well-known/jwks.json` by a
//! service that does not share identity's database.

use std::time::Duration;

use agora_domain::ports::{KeySourceError, VerificationKey, VerificationKeys};
use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Deserialize;

/// The JWK Set of an identity service.
#[derive(Debug, Clone)]
pub struct JwksKeys {
    client: reqwest::Client,
    url: String,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    kid: Option<String>,
    x: Option<String>,
}

impl Jwk {
    /// The Ed25519 signature keys; anything else in the set is not for us.
    fn verification_key(self) -> Option<VerificationKey> {
        let ed25519 = self.kty == "OKP" && self.crv.as_deref() == Some("Ed25519");
        let for_eddsa = self.alg.as_deref().is_none_or(|alg| alg == "EdDSA");
        let for_signatures = self.usage.as_deref().is_none_or(|usage| usage == "sig");
        if !(ed25519 && for_eddsa && for_signatures) {
            return None;
        }
        let public_key = URL_SAFE_NO_PAD.decode(self.x?).ok()?;
        Some(VerificationKey {
            kid: self.kid?,
            public_key,
            verifies_until: None,
        })
    }
}

impl JwksKeys {
    /// The keys of the identity service at `identity_url` (its base URL); each fetch gives up
    /// after `timeout`.
    pub fn new(identity_url: &str, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the JWKS client: {e}"))?;
        Ok(Self {
            client,
            url: format!(
                "{}/.well-known/jwks.json",
                identity_url.trim_end_matches('/')
            ),
        })
    }

    /// Where the keys are read from.
    pub fn url(&self) -> &str {
        &self.url
    }
}

#[async_trait]
impl VerificationKeys for JwksKeys {
    async fn fetch(&self) -> Result<Vec<VerificationKey>, KeySourceError> {
        let failed = |e: reqwest::Error| KeySourceError(format!("GET {}: {e}", self.url));
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        Ok(set
            .keys
            .into_iter()
            .filter_map(Jwk::verification_key)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ed25519_signature_keys_are_taken() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({ "keys": [
            { "kty": "OKP", "crv": "Ed25519", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "kid": "a", "alg": "EdDSA", "use": "sig" },
            { "kty": "OKP", "crv": "Ed25519", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "kid": "b", "use": "enc" },
            { "kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "c" },
            { "kty": "OKP", "crv": "Ed25519", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }
        ]}))
        .unwrap();
        let keys: Vec<VerificationKey> = set
            .keys
            .into_iter()
            .filter_map(Jwk::verification_key)
            .collect();
        assert_eq!(keys.len(), 1);
        assert_eq!((keys[0].kid.as_str(), keys[0].public_key.len()), ("a", 32));
    }
}
