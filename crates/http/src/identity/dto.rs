use agora_app::identity::SessionTokens;
use agora_domain::identity::{AuditEntry, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user as the API shows it. Never carries the password hash.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    id: Uuid,
    email: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    age: Option<u8>,
    profile: serde_json::Value,
    role: &'static str,
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionDto {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AuditDto {
    id: Uuid,
    action: String,
    actor_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    ip: Option<String>,
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RegisterBody {
    pub email: Option<String>,
    pub password: Option<String>,
    pub name: Option<String>,
    pub age: Option<i64>,
    pub role: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginBody {
    pub email: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RefreshBody {
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TokenBody {
    pub token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct EmailBody {
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ResetBody {
    pub token: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChangePasswordBody {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileBody {
    pub name: Option<String>,
    pub age: Option<i64>,
    pub profile: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdminUserBody {
    pub role: Option<String>,
    pub tier: Option<String>,
    pub disabled: Option<bool>,
}
