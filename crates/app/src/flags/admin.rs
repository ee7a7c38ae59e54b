use agora_domain::{
    flags::{
        parse_description, parse_roles, parse_tiers, parse_user_ids, FeatureFlag, FlagKey,
        RolloutPercent,
    },
    identity::{Principal, Role, Tier},
    paging::{Page, PageRequest, SortOrder},
    FieldError, ValidationErrors,
};
use chrono::Utc;
use uuid::Uuid;

use super::Flags;
use crate::{require_admin, AppError, OnConstraint};

/// `POST /api/admin/flags`. Fields are optional so a missing one gets its own message.
#[derive(Debug, Clone, Default)]
pub struct NewFlagInput {
    /// Key (required).
    pub key: Option<String>,
    /// Description (default empty).
    pub description: Option<String>,
    /// Master switch (required: creating a flag states whether it is on).
    pub enabled: Option<bool>,
    /// 0–100 (required).
    pub rollout_percent: Option<i64>,
    /// Role restriction (`user`, `admin`); none by default.
    pub roles: Option<Vec<String>>,
    /// Tier restriction (`free`, `pro`, `enterprise`); none by default.
    pub tiers: Option<Vec<String>>,
    /// Users the flag is always on for (UUIDs); none by default.
    pub user_ids: Option<Vec<String>>,
}

/// `PATCH /api/admin/flags/{key}`: only the given fields change; an empty list clears a
/// restriction.
#[derive(Debug, Clone, Default)]
pub struct FlagChange {
    /// New description.
    pub description: Option<String>,
    /// New master switch.
    pub enabled: Option<bool>,
    /// New percentage.
    pub rollout_percent: Option<i64>,
    /// New role restriction.
    pub roles: Option<Vec<String>>,
    /// New tier restriction.
    pub tiers: Option<Vec<String>>,
    /// New list of users the flag is always on for.
    pub user_ids: Option<Vec<String>>,
}

/// A key in a path that is not a valid key names no flag: 404, like an unknown key.
fn path_key(raw: &str) -> Result<FlagKey, AppError> {
    FlagKey::parse(raw).map_err(|_| AppError::NotFound)
}

/// The optional fields shared by create and change, parsed with every error collected.
struct Parsed {
    description: Option<String>,
    rollout_percent: Option<RolloutPercent>,
    roles: Option<Vec<Role>>,
    tiers: Option<Vec<Tier>>,
    user_ids: Option<Vec<Uuid>>,
}

fn parse_fields(
    errors: &mut ValidationErrors,
    description: Option<&str>,
    rollout_percent: Option<i64>,
    roles: Option<&[String]>,
    tiers: Option<&[String]>,
    user_ids: Option<&[String]>,
) -> Parsed {
    Parsed {
        description: description.and_then(|d| errors.check(parse_description(d))),
        rollout_percent: rollout_percent.and_then(|p| errors.check(RolloutPercent::parse(p))),
        roles: roles.and_then(|r| errors.check(parse_roles(r))),
        tiers: tiers.and_then(|t| errors.check(parse_tiers(t))),
        user_ids: user_ids.and_then(|u| errors.check(parse_user_ids(u))),
    }
}

impl Flags {
    /// A page of flags (admin), read from the store rather than the cache so an administrator
    /// always sees the latest state. Flags are few (each is evaluated on every `GET /api/flags`),
    /// so sorting and paging happen here rather than in SQL; `sort.column` is `key`,
    /// `created_at` or `updated_at`.
    pub async fn list(
        &self,
        principal: &Principal,
        sort: SortOrder,
        page: PageRequest,
    ) -> Result<Page<FeatureFlag>, AppError> {
        require_admin(principal)?;
        let mut flags = self.deps.flags.list().await?;
        flags.sort_by(|a, b| {
            let order = match sort.column {
                "created_at" => a.created_at.cmp(&b.created_at),
                "updated_at" => a.updated_at.cmp(&b.updated_at),
                _ => std::cmp::Ordering::Equal,
            }
            .then_with(|| a.key.cmp(&b.key));
            if sort.descending {
                order.reverse()
            } else {
                order
            }
        });
        let total = flags.len() as u64;
        let items = flags
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .collect();
        Ok(Page { items, total })
    }

    /// One flag (admin).
    pub async fn get(&self, principal: &Principal, key: &str) -> Result<FeatureFlag, AppError> {
        require_admin(principal)?;
        let key = path_key(key)?;
        self.deps.flags.get(&key).await?.ok_or(AppError::NotFound)
    }

    /// Creates a flag (admin). A taken key is a 409 `conflict` naming `key`.
    pub async fn create(
        &self,
        principal: &Principal,
        input: NewFlagInput,
    ) -> Result<FeatureFlag, AppError> {
        require_admin(principal)?;
        let mut errors = ValidationErrors::new();
        let key = match input.key.as_deref() {
            Some(raw) => errors.check(FlagKey::parse(raw)),
            None => {
                errors.push(FieldError::new("key", "Key is required"));
                None
            }
        };
        if input.enabled.is_none() {
            errors.push(FieldError::new("enabled", "Enabled is required"));
        }
        if input.rollout_percent.is_none() {
            errors.push(FieldError::new(
                "rolloutPercent",
                "Rollout percent is required",
            ));
        }
        let parsed = parse_fields(
            &mut errors,
            input.description.as_deref(),
            input.rollout_percent,
            input.roles.as_deref(),
            input.tiers.as_deref(),
            input.user_ids.as_deref(),
        );
        errors.into_result()?;
        let (Some(key), Some(enabled), Some(rollout_percent)) =
            (key, input.enabled, parsed.rollout_percent)
        else {
            unreachable!("validation passed, so every required field parsed");
        };

        let mut flag = FeatureFlag::new(
            key,
            parsed.description.unwrap_or_default(),
            enabled,
            rollout_percent,
            Utc::now(),
        );
        flag.roles = parsed.roles.unwrap_or_default();
        flag.tiers = parsed.tiers.unwrap_or_default();
        flag.user_ids = parsed.user_ids.unwrap_or_default();

        let mut tx = self.deps.uow.begin().await?;
        self.deps.flags.insert(&mut tx, &flag).await.on_constraint(
            "feature_flags_key_key",
            || AppError::Conflict {
                code: "conflict",
                message: "A flag with this key already exists".into(),
                details: vec![FieldError::new("key", "Key already exists")],
            },
        )?;
        self.invalidate_after_commit(&mut tx);
        tx.commit().await?;
        tracing::info!(key = %flag.key, actor = %principal.user_id, "flag created");
        Ok(flag)
    }

    /// Changes the given fields of a flag (admin).
    pub async fn update(
        &self,
        principal: &Principal,
        key: &str,
        change: FlagChange,
    ) -> Result<FeatureFlag, AppError> {
        require_admin(principal)?;
        let key = path_key(key)?;
        let mut errors = ValidationErrors::new();
        let parsed = parse_fields(
            &mut errors,
            change.description.as_deref(),
            change.rollout_percent,
            change.roles.as_deref(),
            change.tiers.as_deref(),
            change.user_ids.as_deref(),
        );
        errors.into_result()?;

        let mut tx = self.deps.uow.begin().await?;
        let current = self
            .deps
            .flags
            .find(&mut tx, &key)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut flag = current.clone();
        if let Some(description) = parsed.description {
            flag.description = description;
        }
        if let Some(enabled) = change.enabled {
            flag.enabled = enabled;
        }
        if let Some(percent) = parsed.rollout_percent {
            flag.rollout_percent = percent;
        }
        if let Some(roles) = parsed.roles {
            flag.roles = roles;
        }
        if let Some(tiers) = parsed.tiers {
            flag.tiers = tiers;
        }
        if let Some(user_ids) = parsed.user_ids {
            flag.user_ids = user_ids;
        }
        if flag == current {
            return Ok(flag);
        }
        flag.touch(Utc::now());
        if !self.deps.flags.update(&mut tx, &flag).await? {
            return Err(AppError::NotFound);
        }
        self.invalidate_after_commit(&mut tx);
        tx.commit().await?;
        tracing::info!(
            key = %flag.key,
            actor = %principal.user_id,
            enabled = flag.enabled,
            rollout_percent = flag.rollout_percent.value(),
            "flag updated"
        );
        Ok(flag)
    }

    /// Deletes a flag (admin). Code still asking for it gets "off".
    pub async fn delete(&self, principal: &Principal, key: &str) -> Result<(), AppError> {
        require_admin(principal)?;
        let key = path_key(key)?;
        let mut tx = self.deps.uow.begin().await?;
        if !self.deps.flags.delete(&mut tx, &key).await? {
            return Err(AppError::NotFound);
        }
        self.invalidate_after_commit(&mut tx);
        tx.commit().await?;
        tracing::info!(%key, actor = %principal.user_id, "flag deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::atomic::Ordering, time::Duration};

    use agora_domain::flags::Subject;

    use super::*;
    use crate::testing::flags_service as service;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            role,
            tier: Tier::Free,
            email_verified: true,
            token_id: "t".into(),
            session_id: Uuid::now_v7(),
            expires_at: Utc::now(),
        }
    }

    fn input(key: &str, percent: i64) -> NewFlagInput {
        NewFlagInput {
            key: Some(key.into()),
            enabled: Some(true),
            rollout_percent: Some(percent),
            ..NewFlagInput::default()
        }
    }

    fn fields(error: AppError) -> Vec<String> {
        match error {
            AppError::Validation(errors) => {
                errors.errors().iter().map(|e| e.field.clone()).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn only_administrators_manage_flags() {
        let (flags, _, _) = service(Duration::from_secs(60));
        let user = principal(Role::User);
        assert!(matches!(
            flags.create(&user, input("new-flag", 5)).await,
            Err(AppError::InsufficientPermissions)
        ));
        assert!(matches!(
            flags.delete(&user, "new-flag").await,
            Err(AppError::InsufficientPermissions)
        ));
    }

    #[tokio::test]
    async fn every_invalid_field_is_reported_at_once() {
        let (flags, _, _) = service(Duration::from_secs(60));
        let bad = NewFlagInput {
            key: Some("Bad Key".into()),
            enabled: None,
            rollout_percent: Some(101),
            roles: Some(vec!["root".into()]),
            tiers: Some(vec!["gold".into()]),
            user_ids: Some(vec!["nope".into()]),
            description: None,
        };
        let error = flags
            .create(&principal(Role::Admin), bad)
            .await
            .unwrap_err();
        assert_eq!(
            fields(error),
            vec![
                "key",
                "enabled",
                "rolloutPercent",
                "roles",
                "tiers",
                "userIds"
            ]
        );
    }

    #[tokio::test]
    async fn a_change_drops_the_cache_and_tells_the_other_replicas() {
        let (flags, _, cache) = service(Duration::from_secs(3600));
        let admin = principal(Role::Admin);
        let subject = Subject::visitor(Uuid::now_v7());
        assert!(!flags.is_enabled("rollout", &subject).await);
        flags.create(&admin, input("rollout", 100)).await.unwrap();
        assert!(flags.is_enabled("rollout", &subject).await);
        let change = FlagChange {
            enabled: Some(false),
            ..FlagChange::default()
        };
        flags.update(&admin, "rollout", change).await.unwrap();
        assert!(!flags.is_enabled("rollout", &subject).await);
        flags.delete(&admin, "rollout").await.unwrap();
        assert_eq!(cache.invalidations.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_change_that_changes_nothing_writes_nothing() {
        let (flags, _, cache) = service(Duration::from_secs(60));
        let admin = principal(Role::Admin);
        let created = flags.create(&admin, input("same", 10)).await.unwrap();
        let change = FlagChange {
            rollout_percent: Some(10),
            ..FlagChange::default()
        };
        let unchanged = flags.update(&admin, "same", change).await.unwrap();
        assert_eq!(unchanged, created);
        assert_eq!(cache.invalidations.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn unknown_and_malformed_keys_are_not_found() {
        let (flags, _, _) = service(Duration::from_secs(60));
        let admin = principal(Role::Admin);
        for key in ["missing", "NOT A KEY"] {
            assert!(matches!(
                flags.update(&admin, key, FlagChange::default()).await,
                Err(AppError::NotFound)
            ));
            assert!(matches!(
                flags.delete(&admin, key).await,
                Err(AppError::NotFound)
            ));
        }
    }

    #[tokio::test]
    async fn a_taken_key_is_a_conflict_on_key() {
        let (flags, _, _) = service(Duration::from_secs(60));
        let admin = principal(Role::Admin);
        flags.create(&admin, input("twice", 10)).await.unwrap();
        match flags.create(&admin, input("twice", 20)).await {
            Err(AppError::Conflict { code, details, .. }) => {
                assert_eq!(code, "conflict");
                assert_eq!(details[0].field, "key");
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn lists_sort_and_page() {
        let (flags, _, _) = service(Duration::from_secs(60));
        let admin = principal(Role::Admin);
        for key in ["b-flag", "a-flag", "c-flag"] {
            flags.create(&admin, input(key, 1)).await.unwrap();
        }
        let by_key = SortOrder {
            column: "key",
            descending: false,
        };
        let page = flags
            .list(&admin, by_key, PageRequest { page: 2, limit: 2 })
            .await
            .unwrap();
        assert_eq!(page.total, 3);
        let keys: Vec<&str> = page.items.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, vec!["c-flag"]);
        let newest = SortOrder {
            column: "created_at",
            descending: true,
        };
        let page = flags
            .list(&admin, newest, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.items[0].key.as_str(), "c-flag");
    }
}
