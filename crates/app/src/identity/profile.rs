use agora_domain::{
    identity::{parse_age, PersonName, Principal, User},
    FieldError, ValidationErrors,
};

use super::Identity;
use crate::AppError;

/// `PATCH /api/users/me`: only the given fields change.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    /// New display name.
    pub name: Option<String>,
    /// New age.
    pub age: Option<i64>,
    /// Replacement profile object.
    pub profile: Option<serde_json::Value>,
}

/// Profiles are free-form but bounded, so one user cannot bloat every response that embeds them.
const MAX_PROFILE_BYTES: usize = 16 * 1024;

impl Identity {
    /// The caller's account.
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %principal.user_id))]
    pub async fn me(&self, principal: &Principal) -> Result<User, AppError> {
        self.deps
            .users
            .get(principal.user_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Updates the caller's name, age and profile.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn update_me(
        &self,
        principal: &Principal,
        change: ProfileChange,
    ) -> Result<User, AppError> {
        let mut errors = ValidationErrors::new();
        let name = change
            .name
            .as_deref()
            .and_then(|raw| errors.check(PersonName::parse(raw)));
        let age = errors.check(parse_age(change.age)).flatten();
        if let Some(profile) = &change.profile {
            if !profile.is_object() {
                errors.push(FieldError::new("profile", "Profile must be a JSON object"));
            } else if profile.to_string().len() > MAX_PROFILE_BYTES {
                errors.push(FieldError::new("profile", "Profile must be at most 16 KiB"));
            }
        }
        errors.into_result()?;

        let mut tx = self.deps.uow.begin().await?;
        let mut user = self
            .deps
            .users
            .find_by_id(&mut tx, principal.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(name) = name {
            user.name = name;
        }
        if age.is_some() {
            user.age = age;
        }
        if let Some(profile) = change.profile {
            user.profile = profile;
        }
        user.updated_at = agora_domain::timestamp_now();
        self.deps.users.update(&mut tx, &user).await?;
        tx.commit().await?;
        Ok(user)
    }
}
