use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Role, Tier};

/// The verified identity behind a request: what the access token said, after signature, expiry
/// and revocation checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user id (`sub`).
    pub user_id: Uuid,
    /// Role at issue time.
    pub role: Role,
    /// Tier at issue time.
    pub tier: Tier,
    /// Whether the email was verified at issue time.
    pub email_verified: bool,
    /// The token's unique id; logout denies it.
    pub token_id: String,
    /// The session (refresh-token family) the token belongs to; revoking it ends the session.
    pub session_id: Uuid,
    /// When the token stops being valid.
    pub expires_at: DateTime<Utc>,
}

impl Principal {
    /// True for administrators.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What goes into an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    /// Subject.
    pub user_id: Uuid,
    /// Role.
    pub role: Role,
    /// Tier.
    pub tier: Tier,
    /// Verified email.
    pub email_verified: bool,
    /// Session (refresh family).
    pub session_id: Uuid,
    /// The token's id (`jti`). With `issued_at` it makes issuing deterministic: the same grant
    /// issued again gives the same token (refresh grace period, ADR 0015).
    pub token_id: Uuid,
    /// `iat`/`nbf`; the expiry is counted from it.
    pub issued_at: DateTime<Utc>,
}

/// A stored refresh token (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// Row id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The family: every token rotated from one login shares it. It is also the session id.
    pub family_id: Uuid,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Set when the token was exchanged; presenting it again is reuse.
    pub used_at: Option<DateTime<Utc>>,
    /// Set when the family was revoked (logout, reuse, password reset).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a single-use email token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTokenPurpose {
    /// Proves the address (24 h).
    VerifyEmail,
    /// Allows a password reset (1 h).
    ResetPassword,
}

impl EmailTokenPurpose {
    /// Stable spelling for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailTokenPurpose::VerifyEmail => "verify_email",
            EmailTokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// Result of redeeming a single-use token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// Valid; now spent. Carries the user it belongs to.
    Redeemed(Uuid),
    /// Existed but expired.
    Expired,
    /// Unknown, already used, or for another purpose.
    Invalid,
}
