//! Service-to-service authentication (ADR 0030): every call to another service's `/internal/…`
//! endpoint carries [`HEADER`] = `t=<unix seconds>,sig=<hex>` where `sig` is HMAC-SHA256, under
//! the deployment's shared secret, of `METHOD\nPATH_AND_QUERY\nT\nhex(SHA-256(body))`. The
//! receiver recomputes it and refuses a missing, malformed, wrong or stale signature. Pure
//! computation: the HTTP client adapters sign, the HTTP edge verifies.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The request header carrying the signature.
pub const HEADER: &str = "x-agora-signature";

/// How far a signature's timestamp may be from the receiver's clock (either way).
pub const MAX_SKEW_SECS: i64 = 60;

/// The shared secret; never printed.
#[derive(Clone)]
pub struct ServiceKey(Vec<u8>);

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceKey([redacted])")
    }
}

/// Why a signature was refused (the receiver answers 401 for each, and logs which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header.
    #[error("missing service signature")]
    Missing,
    /// The header is not `t=<int>,sig=<hex>`.
    #[error("malformed service signature")]
    Malformed,
    /// The timestamp is more than [`MAX_SKEW_SECS`] away from now.
    #[error("stale service signature")]
    Stale,
    /// The MAC does not match (wrong secret, or method/path/body changed).
    #[error("bad service signature")]
    Mismatch,
}

impl ServiceKey {
    /// A key from the configured secret.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self(secret.as_ref().to_vec())
    }

    fn mac(&self, method: &str, path: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        let body_hash = hex(&Sha256::digest(body));
        mac.update(
            format!(
                "{}\n{path}\n{timestamp}\n{body_hash}",
                method.to_ascii_uppercase()
            )
            .as_bytes(),
        );
        mac
    }

    /// The header value for a request signed at `timestamp` (unix seconds).
    pub fn sign(&self, method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(method, path, timestamp, body)
            .finalize()
            .into_bytes();
        format!("t={timestamp},sig={}", hex(&tag))
    }

    /// Checks `header` for this request at `now` (unix seconds); constant-time comparison.
    pub fn verify(
        &self,
        header: Option<&str>,
        method: &str,
        path: &str,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let (timestamp, signature) = parse(header).ok_or(SignatureError::Malformed)?;
        // `abs_diff`: a forged extreme timestamp must not overflow the subtraction.
        if now.abs_diff(timestamp) > MAX_SKEW_SECS.unsigned_abs() {
            return Err(SignatureError::Stale);
        }
        self.mac(method, path, timestamp, body)
            .verify_slice(&signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

fn parse(header: &str) -> Option<(i64, Vec<u8>)> {
    let (t, sig) = header.trim().split_once(',')?;
    let timestamp = t.strip_prefix("t=")?.parse().ok()?;
    let sig = sig.trim().strip_prefix("sig=")?;
    if sig.len() != 64 {
        return None;
    }
    let bytes = (0..sig.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(sig.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some((timestamp, bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_760_000_000;

    fn key() -> ServiceKey {
        ServiceKey::new("s3cret-shared-by-services")
    }

    #[test]
    fn extreme_timestamps_are_stale_not_an_overflow() {
        for t in [i64::MIN, i64::MAX] {
            let header = format!("t={t},sig={}", "0".repeat(64));
            assert_eq!(
                key().verify(Some(&header), "GET", "/internal/x", b"", NOW),
                Err(SignatureError::Stale)
            );
        }
    }

    #[test]
    fn a_signature_verifies_for_the_same_request_only() {
        let header = key().sign("put", "/internal/catalog/reservations/1", NOW, b"{}");
        let ok = key().verify(
            Some(&header),
            "PUT",
            "/internal/catalog/reservations/1",
            b"{}",
            NOW,
        );
        assert_eq!(ok, Ok(()));
        let check =
            |method, path, body: &[u8]| key().verify(Some(&header), method, path, body, NOW);
        assert_eq!(
            check("POST", "/internal/catalog/reservations/1", b"{}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check("PUT", "/internal/catalog/reservations/2", b"{}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check("PUT", "/internal/catalog/reservations/1", b"{ }"),
            Err(SignatureError::Mismatch)
        );
        let other = ServiceKey::new("another secret");
        assert_eq!(
            other.verify(
                Some(&header),
                "PUT",
                "/internal/catalog/reservations/1",
                b"{}",
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_malformed_and_stale_signatures_are_refused() {
        let verify = |header: Option<&str>, now| key().verify(header, "GET", "/x", b"", now);
        assert_eq!(verify(None, NOW), Err(SignatureError::Missing));
        for bad in [
            "",
            "t=1",
            "sig=ab",
            "t=x,sig=00",
            "t=1,sig=zz",
            "t=1,sig=abcd",
        ] {
            assert_eq!(
                verify(Some(bad), NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        let header = key().sign("GET", "/x", NOW, b"");
        assert_eq!(verify(Some(&header), NOW + MAX_SKEW_SECS), Ok(()));
        assert_eq!(verify(Some(&header), NOW - MAX_SKEW_SECS), Ok(()));
        assert_eq!(
            verify(Some(&header), NOW + MAX_SKEW_SECS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), NOW - MAX_SKEW_SECS - 1),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn the_secret_never_prints() {
        assert!(!format!("{:?}", key()).contains("s3cret"));
    }
}
