use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::FlagKey;
use crate::{
    identity::{Role, Tier},
    FieldError,
};

/// Share of subjects (0–100 %) a flag is on for, once targeting has let them through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RolloutPercent(u8);

impl RolloutPercent {
    /// Nobody.
    pub const NONE: Self = Self(0);
    /// Everybody.
    pub const ALL: Self = Self(100);

    /// Parses user input: an integer 0–100.
    pub fn parse(raw: i64) -> Result<Self, FieldError> {
        match u8::try_from(raw) {
            Ok(percent) if percent <= 100 => Ok(Self(percent)),
            _ => Err(FieldError::new(
                "rolloutPercent",
                "Rollout percent must be an integer between 0 and 100",
            )),
        }
    }

    /// The percentage.
    pub fn value(self) -> u8 {
        self.0
    }
}

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Most user ids one flag may target by name; beyond that a role, a tier or a percentage says it
/// better (and the list is loaded on every evaluation).
pub const MAX_USER_IDS: usize = 1000;

/// A free-text description for administrators: trimmed, at most 500 characters.
pub fn parse_description(raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new(
            "description",
            "Description must be at most 500 characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Roles a flag is restricted to, de-duplicated in declaration order (`user`, `admin`).
pub fn parse_roles(raw: &[String]) -> Result<Vec<Role>, FieldError> {
    let mut roles = Vec::new();
    for text in raw {
        let role: Role = text.parse().map_err(|_| {
            FieldError::new(
                "roles",
                format!("Unknown role `{text}`; roles must be among: user, admin"),
            )
        })?;
        roles.push(role);
    }
    Ok(Role::ALL
        .iter()
        .copied()
        .filter(|r| roles.contains(r))
        .collect())
}

/// Tiers a flag is restricted to, de-duplicated in declaration order (`free`, `pro`, `enterprise`).
pub fn parse_tiers(raw: &[String]) -> Result<Vec<Tier>, FieldError> {
    let mut tiers = Vec::new();
    for text in raw {
        let tier: Tier = text.parse().map_err(|_| {
            FieldError::new(
                "tiers",
                format!("Unknown tier `{text}`; tiers must be among: free, pro, enterprise"),
            )
        })?;
        tiers.push(tier);
    }
    Ok(Tier::ALL
        .iter()
        .copied()
        .filter(|t| tiers.contains(t))
        .collect())
}

/// Users a flag is always on for: UUIDs, de-duplicated and sorted, at most [`MAX_USER_IDS`].
pub fn parse_user_ids(raw: &[String]) -> Result<Vec<Uuid>, FieldError> {
    let mut ids = raw
        .iter()
        .map(|text| {
            Uuid::try_parse(text).map_err(|_| {
                FieldError::new(
                    "userIds",
                    format!("User ids must be UUIDs; `{text}` is not one"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_USER_IDS {
        return Err(FieldError::new(
            "userIds",
            "A flag may name at most 1000 user ids; use roles, tiers or a percentage instead",
        ));
    }
    Ok(ids)
}

/// A feature flag as stored: whether it is on, for what share of subjects, and which subjects it
/// is restricted to or always on for. See [`super::evaluate`] for how these combine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureFlag {
    /// Unique name; code asks for flags by it.
    pub key: FlagKey,
    /// What the flag guards, for administrators.
    pub description: String,
    /// Master switch: a disabled flag is off for everybody.
    pub enabled: bool,
    /// Share of eligible subjects the flag is on for.
    pub rollout_percent: RolloutPercent,
    /// When non-empty, only users with one of these roles are eligible.
    pub roles: Vec<Role>,
    /// When non-empty, only users of one of these tiers are eligible.
    pub tiers: Vec<Tier>,
    /// Users the (enabled) flag is always on for, whatever the percentage and restrictions.
    pub user_ids: Vec<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl FeatureFlag {
    /// A new flag without targeting, stamped `now`.
    pub fn new(
        key: FlagKey,
        description: String,
        enabled: bool,
        rollout_percent: RolloutPercent,
        now: DateTime<Utc>,
    ) -> Self {
        let now = store_precision(now);
        Self {
            key,
            description,
            enabled,
            rollout_percent,
            roles: Vec::new(),
            tiers: Vec::new(),
            user_ids: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Records a change made at `now`.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = store_precision(now);
    }
}

/// Timestamps at the precision both stores keep (PostgreSQL: microseconds), so the flag a write
/// returns equals the flag a later read returns.
fn store_precision(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    proptest! {
        #[test]
        fn percent_accepts_exactly_zero_to_one_hundred(raw in -1000_i64..1000) {
            match RolloutPercent::parse(raw) {
                Ok(percent) => prop_assert_eq!(i64::from(percent.value()), raw),
                Err(error) => {
                    prop_assert!(!(0..=100).contains(&raw));
                    prop_assert_eq!(error.field, "rolloutPercent");
                }
            }
        }
    }

    #[test]
    fn percent_bounds() {
        assert_eq!(RolloutPercent::parse(0).unwrap(), RolloutPercent::NONE);
        assert_eq!(RolloutPercent::parse(100).unwrap(), RolloutPercent::ALL);
        for bad in [-1, 101, 256, i64::MIN, i64::MAX] {
            assert!(RolloutPercent::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_and_tiers_are_deduplicated_in_declaration_order() {
        let roles = parse_roles(&strings(&["admin", "user", "admin"])).unwrap();
        assert_eq!(roles, vec![Role::User, Role::Admin]);
        let tiers = parse_tiers(&strings(&["enterprise", "free"])).unwrap();
        assert_eq!(tiers, vec![Tier::Free, Tier::Enterprise]);
        assert!(parse_roles(&[]).unwrap().is_empty());
    }

    #[test]
    fn unknown_roles_and_tiers_name_their_field_and_value() {
        let error = parse_roles(&strings(&["user", "root"])).unwrap_err();
        assert_eq!(error.field, "roles");
        assert!(error.message.contains("`root`"), "{}", error.message);
        let error = parse_tiers(&strings(&["gold"])).unwrap_err();
        assert_eq!(error.field, "tiers");
        assert!(error.message.contains("`gold`"), "{}", error.message);
    }

    #[test]
    fn user_ids_must_be_uuids_and_are_bounded() {
        let id = Uuid::now_v7();
        let parsed = parse_user_ids(&[id.to_string(), id.to_string()]).unwrap();
        assert_eq!(parsed, vec![id]);
        assert_eq!(
            parse_user_ids(&strings(&["nope"])).unwrap_err().field,
            "userIds"
        );
        let many: Vec<String> = (0..=MAX_USER_IDS as u128)
            .map(|i| Uuid::from_u128(i).to_string())
            .collect();
        assert_eq!(parse_user_ids(&many).unwrap_err().field, "userIds");
    }

    #[test]
    fn timestamps_keep_microseconds_like_the_stores() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let key = FlagKey::parse("precise").unwrap();
        let mut flag = FeatureFlag::new(key, String::new(), true, RolloutPercent::ALL, now);
        assert_eq!(
            flag.created_at.to_rfc3339(),
            "2026-01-02T03:04:05.123456+00:00"
        );
        flag.touch(now + chrono::Duration::microseconds(1));
        assert_eq!(
            flag.updated_at.to_rfc3339(),
            "2026-01-02T03:04:05.123457+00:00"
        );
    }

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(parse_description("  Canary  ").unwrap(), "Canary");
        assert!(parse_description(&"é".repeat(500)).is_ok());
        assert_eq!(
            parse_description(&"é".repeat(501)).unwrap_err().field,
            "description"
        );
    }
}
