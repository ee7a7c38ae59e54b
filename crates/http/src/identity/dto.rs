use agora_app::identity::SessionTokens;
use agora_domain::identity::{AuditEntry, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// Documentation-only: the JSON values come from `Role::as_str`/`Tier::as_str` of the domain,
// never from these enums, which only describe them.

/// What an account may do.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[schema(as = Role, rename_all = "lowercase")]
pub(super) enum RoleName {
    User,
    Admin,
}

/// The account's plan, which sets its rate limit.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[schema(as = Tier, rename_all = "lowercase")]
pub(super) enum TierName {
    Free,
    Pro,
    Enterprise,
}

/// A user as the API shows it. Never carries the password hash.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User, example = json!({
    "id": "0193a3f0-7d1e-7000-8000-000000000001", "email": "ann@example.org", "name": "Ann",
    "profile": {}, "role": "user", "tier": "free", "isVerified": false, "disabled": false,
    "createdAt": "2025-01-01T12:00:00Z", "updatedAt": "2025-01-01T12:00:00Z"
}))]
pub struct UserDto {
    id: Uuid,
    #[schema(format = Email)]
    email: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 120)]
    age: Option<u8>,
    /// Free-form attributes (a JSON object).
    #[schema(value_type = Object)]
    profile: serde_json::Value,
    #[schema(value_type = RoleName)]
    role: &'static str,
    #[schema(value_type = TierName)]
    tier: &'static str,
    is_verified: bool,
    disabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&User> for UserDto {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.as_str().to_owned(),
            name: user.name.as_str().to_owned(),
            age: user.age,
            profile: user.profile.clone(),
            role: user.role.as_str(),
            tier: user.tier.as_str(),
            is_verified: user.is_verified,
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// Fields of a user that `fields=` may select.
pub(super) const USER_FIELDS: &[&str] = &[
    "id",
    "email",
    "name",
    "age",
    "profile",
    "role",
    "tier",
    "isVerified",
    "disabled",
    "createdAt",
    "updatedAt",
];

/// A fresh token pair.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Session)]
pub(super) struct SessionDto {
    /// EdDSA-signed JWT for `Authorization: Bearer …`.
    access_token: String,
    /// Single-use token for `POST /api/auth/refresh`.
    refresh_token: String,
    #[schema(value_type = String, examples("Bearer"))]
    token_type: &'static str,
    /// Lifetime of the access token, in seconds.
    expires_in: u64,
    user: UserDto,
}

impl From<SessionTokens> for SessionDto {
    fn from(session: SessionTokens) -> Self {
        Self {
            user: UserDto::from(&session.user),
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            token_type: "Bearer",
            expires_in: session.expires_in,
        }
    }
}

/// One entry of the security audit log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AuditEntry)]
pub(super) struct AuditDto {
    id: Uuid,
    /// What happened, e.g. `user.login`.
    action: String,
    /// Who did it (absent for anonymous actions).
    actor_id: Option<Uuid>,
    /// Whom it concerned.
    subject_id: Option<Uuid>,
    /// Client address.
    ip: Option<String>,
    #[schema(value_type = Object)]
    details: serde_json::Value,
    created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditDto {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            action: entry.action,
            actor_id: entry.actor_id,
            subject_id: entry.subject_id,
            ip: entry.ip,
            details: entry.details,
            created_at: entry.created_at,
        }
    }
}

pub(super) const AUDIT_FIELDS: &[&str] = &[
    "id",
    "action",
    "actorId",
    "subjectId",
    "ip",
    "details",
    "createdAt",
];

// Request bodies keep every field optional in Rust so the use cases can report each missing one
// with API.md's message; their schemas state the contract (`required`, formats, ranges) instead.
// Every body refuses unknown fields (400), so `additionalProperties: false` is true (ADR 0017).

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = RegisterRequest)]
pub(super) struct RegisterBody {
    #[schema(required = true, schema_with = crate::rules::email)]
    pub email: Option<String>,
    /// At least 8 characters with an uppercase letter and a digit.
    #[schema(required = true, schema_with = crate::rules::new_password)]
    pub password: Option<String>,
    #[schema(required = true, schema_with = crate::rules::person_name)]
    pub name: Option<String>,
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 120)]
    pub age: Option<i64>,
    /// Only administrators may set a role other than `user` (403 otherwise).
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LoginRequest)]
pub(super) struct LoginBody {
    #[schema(required = true, schema_with = crate::rules::email)]
    pub email: Option<String>,
    #[schema(required = true, schema_with = crate::rules::login_password)]
    pub password: Option<String>,
}

/// A refresh token to exchange (it is spent by the exchange).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = RefreshRequest)]
pub(super) struct RefreshBody {
    #[schema(required = true, schema_with = crate::rules::token)]
    pub refresh_token: Option<String>,
}

/// A single-use token from a mailed link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenRequest)]
pub(super) struct TokenBody {
    #[schema(required = true, schema_with = crate::rules::token)]
    pub token: Option<String>,
}

/// An email address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EmailRequest)]
pub(super) struct EmailBody {
    #[schema(required = true, schema_with = crate::rules::email)]
    pub email: Option<String>,
}

/// A reset token from the mailed link and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResetPasswordRequest)]
pub(super) struct ResetBody {
    #[schema(required = true, schema_with = crate::rules::token)]
    pub token: Option<String>,
    /// At least 8 characters with an uppercase letter and a digit.
    #[schema(required = true, schema_with = crate::rules::new_password)]
    pub password: Option<String>,
}

/// The current password and its replacement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ChangePasswordRequest)]
pub(super) struct ChangePasswordBody {
    #[schema(required = true, schema_with = crate::rules::login_password)]
    pub current_password: Option<String>,
    /// At least 8 characters with an uppercase letter and a digit.
    #[schema(required = true, schema_with = crate::rules::new_password)]
    pub new_password: Option<String>,
}

/// Profile fields to change; absent fields stay as they are. Unknown fields are a 400.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProfileRequest)]
pub(super) struct ProfileBody {
    #[schema(schema_with = crate::rules::person_name_change)]
    pub name: Option<String>,
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 120)]
    pub age: Option<i64>,
    #[schema(schema_with = crate::rules::profile)]
    pub profile: Option<serde_json::Value>,
}

/// Account settings an administrator may change; absent fields stay. Any change ends the
/// account's sessions. Unknown fields are a 400.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdminUserRequest)]
pub(super) struct AdminUserBody {
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
    #[schema(value_type = Option<TierName>)]
    pub tier: Option<String>,
    /// A disabled account cannot log in.
    pub disabled: Option<bool>,
}

/// Admin user-list filters (the handler reads them from the query map).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation-only
pub(super) struct UserFilterParams {
    /// Case-insensitive search in email and name.
    #[param(schema_with = crate::rules::any_text)]
    q: Option<String>,
    /// Only accounts with this role.
    #[param(inline)]
    role: Option<RoleName>,
    /// Only accounts on this tier.
    #[param(inline)]
    tier: Option<TierName>,
}

/// `POST /api/auth/verify-email` succeeded.
#[derive(ToSchema)]
#[schema(example = json!({ "verified": true }))]
#[allow(dead_code)] // documentation-only: the handler renders the JSON directly
pub(super) struct Verified {
    /// Always `true`.
    verified: bool,
}

/// A JSON Web Key Set (RFC 7517).
#[derive(ToSchema)]
#[allow(dead_code)] // documentation-only: the token adapter renders the JSON
pub(super) struct Jwks {
    keys: Vec<Jwk>,
}

/// An Ed25519 public key (RFC 8037).
#[derive(ToSchema)]
#[schema(example = json!({
    "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "kid": "3f1c0b7a", "alg": "EdDSA", "use": "sig"
}))]
#[allow(dead_code)] // documentation-only
pub(super) struct Jwk {
    /// `OKP`.
    kty: String,
    /// `Ed25519`.
    crv: String,
    /// The public key, base64url.
    x: String,
    /// Key id, matched against the `kid` header of a token.
    kid: String,
    /// `EdDSA`.
    alg: String,
    /// `sig`.
    #[schema(rename = "use")]
    use_: String,
}
