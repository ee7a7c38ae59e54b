use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Email, PersonName, Role, Tier};

/// A registered account as stored. The password hash is opaque to the domain (a PHC string).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// UUID v7: time-ordered, so it sorts like `created_at`.
    pub id: Uuid,
    /// Normalised, unique address.
    pub email: Email,
    /// PHC-format password hash; never leaves the server.
    pub password_hash: String,
    /// Display name.
    pub name: PersonName,
    /// Optional age (1–120).
    pub age: Option<u8>,
    /// Free-form profile attributes chosen by the user.
    pub profile: serde_json::Value,
    /// Permission level.
    pub role: Role,
    /// Commercial tier.
    pub tier: Tier,
    /// Whether the user proved ownership of `email`.
    pub is_verified: bool,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last modification time.
    pub updated_at: DateTime<Utc>,
}

/// Everything needed to create an account; the id and timestamps are assigned here so the caller
/// can emit events referencing the id inside the same transaction.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Normalised address.
    pub email: Email,
    /// Already-hashed password.
    pub password_hash: String,
    /// Display name.
    pub name: PersonName,
    /// Permission level.
    pub role: Role,
    /// Commercial tier.
    pub tier: Tier,
    /// Whether the address counts as proven (true for operator-created accounts).
    pub is_verified: bool,
}

impl NewUser {
    /// Materialises the user with a fresh v7 id, stamped `now`.
    pub fn into_user(self, now: DateTime<Utc>) -> User {
        User {
            id: Uuid::now_v7(),
            email: self.email,
            password_hash: self.password_hash,
            name: self.name,
            age: None,
            profile: serde_json::json!({}),
            role: self.role,
            tier: self.tier,
            is_verified: self.is_verified,
            disabled: false,
            created_at: now,
            updated_at: now,
        }
    }
}
