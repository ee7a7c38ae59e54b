use std::collections::BTreeMap;

use agora_domain::flags::FeatureFlag;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A feature flag as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = FeatureFlag, example = json!({
    "key": "new-checkout-flow", "description": "New checkout flow (canary)", "enabled": true,
    "rolloutPercent": 10, "roles": [], "tiers": ["pro", "enterprise"], "userIds": [],
    "createdAt": "2026-01-02T03:04:05.123456Z", "updatedAt": "2026-01-02T03:04:05.123456Z"
}))]
pub struct FlagDto {
    /// The flag's name: `^[a-z0-9][a-z0-9-]{1,62}$`.
    key: String,
    /// What the flag guards, for administrators.
    description: String,
    /// Master switch: a disabled flag is off for everybody.
    enabled: bool,
    /// Share (0–100) of eligible callers the flag is on for, bucketed by a hash of key and id.
    #[schema(minimum = 0, maximum = 100)]
    rollout_percent: u8,
    /// When non-empty, only users with one of these roles (`user`, `admin`) are eligible.
    roles: Vec<&'static str>,
    /// When non-empty, only users of one of these tiers (`free`, `pro`, `enterprise`) are eligible.
    tiers: Vec<&'static str>,
    /// Users the enabled flag is always on for.
    user_ids: Vec<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&FeatureFlag> for FlagDto {
    fn from(flag: &FeatureFlag) -> Self {
        Self {
            key: flag.key.as_str().to_owned(),
            description: flag.description.clone(),
            enabled: flag.enabled,
            rollout_percent: flag.rollout_percent.value(),
            roles: flag.roles.iter().map(|r| r.as_str()).collect(),
            tiers: flag.tiers.iter().map(|t| t.as_str()).collect(),
            user_ids: flag.user_ids.clone(),
            created_at: flag.created_at,
            updated_at: flag.updated_at,
        }
    }
}

// Describes what `GET /api/flags` renders (a `BTreeMap<String, bool>`), for the OpenAPI document.
/// Every flag evaluated for the caller, by key.
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[schema(as = EvaluatedFlags, example = json!({"new-checkout-flow": true, "dark-mode": false}))]
pub(super) struct EvaluatedFlags(BTreeMap<String, bool>);

/// Fields of a flag that `fields=` may select.
pub(super) const FLAG_FIELDS: &[&str] = &[
    "key",
    "description",
    "enabled",
    "rolloutPercent",
    "roles",
    "tiers",
    "userIds",
    "createdAt",
    "updatedAt",
];

/// A new flag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = NewFeatureFlagRequest, example = json!({
    "key": "new-checkout-flow", "description": "New checkout flow (canary)", "enabled": true,
    "rolloutPercent": 10, "tiers": ["pro", "enterprise"]
}))]
pub(super) struct NewFlagBody {
    #[schema(required = true, schema_with = crate::rules::flag_key)]
    pub key: Option<String>,
    #[schema(schema_with = crate::rules::flag_description)]
    pub description: Option<String>,
    /// Master switch.
    #[schema(required = true, value_type = bool)]
    pub enabled: Option<bool>,
    /// Share (0–100) of eligible callers the flag is on for.
    #[schema(required = true, value_type = i64, minimum = 0, maximum = 100)]
    pub rollout_percent: Option<i64>,
    #[schema(schema_with = crate::rules::flag_roles)]
    pub roles: Option<Vec<String>>,
    #[schema(schema_with = crate::rules::flag_tiers)]
    pub tiers: Option<Vec<String>>,
    #[schema(schema_with = crate::rules::flag_user_ids)]
    pub user_ids: Option<Vec<String>>,
}

/// Changes to a flag: only the given fields change (`null` leaves one as it is); an empty list
/// clears a restriction. The key is the flag's identity and cannot change (`key` here is an
/// unknown field, 400).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = FeatureFlagChange, example = json!({"enabled": true, "rolloutPercent": 25}))]
pub(super) struct FlagChangeBody {
    #[schema(schema_with = crate::rules::flag_description)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100)]
    pub rollout_percent: Option<i64>,
    #[schema(schema_with = crate::rules::flag_roles)]
    pub roles: Option<Vec<String>>,
    #[schema(schema_with = crate::rules::flag_tiers)]
    pub tiers: Option<Vec<String>>,
    #[schema(schema_with = crate::rules::flag_user_ids)]
    pub user_ids: Option<Vec<String>>,
}
