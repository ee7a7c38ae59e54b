use agora_domain::{
    identity::{AuditEntry, Principal, Role, Tier, User},
    paging::{Page, PageRequest, SortOrder},
    ports::UserFilter,
    FieldError, ValidationErrors,
};
use serde_json::json;
use uuid::Uuid;

use super::Identity;
use crate::{require_admin, AppError};

/// `GET /api/admin/users` after the edge parsed paging and sorting.
#[derive(Debug, Clone)]
pub struct UserListQuery {
    /// Filters.
    pub filter: UserFilter,
    /// Order.
    pub sort: SortOrder,
    /// Page.
    pub page: PageRequest,
}

/// `PATCH /api/admin/users/{id}`: only the given fields change.
#[derive(Debug, Clone, Default)]
pub struct AdminUserChange {
    /// New role (`user`, `admin`).
    pub role: Option<String>,
    /// New tier (`free`, `pro`, `enterprise`).
    pub tier: Option<String>,
    /// Disable or re-enable.
    pub disabled: Option<bool>,
}

impl Identity {
    /// A page of accounts (admin).
    #[tracing::instrument(skip_all, fields(admin_id = %principal.user_id))]
    pub async fn list_users(
        &self,
        principal: &Principal,
        query: UserListQuery,
    ) -> Result<Page<User>, AppError> {
        require_admin(principal)?;
        Ok(self
            .deps
            .users
            .list(&query.filter, query.sort, query.page)
            .await?)
    }

    /// One account (admin).
    #[tracing::instrument(skip_all, fields(admin_id = %principal.user_id, user_id = %id))]
    pub async fn get_user(&self, principal: &Principal, id: Uuid) -> Result<User, AppError> {
        require_admin(principal)?;
        self.deps.users.get(id).await?.ok_or(AppError::NotFound)
    }

    /// Changes role, tier or disabled state (admin). Any change ends the account's sessions, so
    /// new permissions (or the lock-out) apply at once instead of when access tokens expire.
    #[tracing::instrument(skip_all, fields(admin_id = %principal.user_id, user_id = %id))]
    pub async fn update_user(
        &self,
        principal: &Principal,
        id: Uuid,
        change: AdminUserChange,
    ) -> Result<User, AppError> {
        require_admin(principal)?;
        let mut errors = ValidationErrors::new();
        let role = change.role.as_deref().and_then(|r| {
            errors.check(
                r.parse::<Role>()
                    .map_err(|_| FieldError::new("role", "Role must be one of: user, admin")),
            )
        });
        let tier =
            change.tier.as_deref().and_then(|t| {
                errors.check(t.parse::<Tier>().map_err(|_| {
                    FieldError::new("tier", "Tier must be one of: free, pro, enterprise")
                }))
            });
        errors.into_result()?;
        if id == principal.user_id
            && (role.is_some_and(|r| r != Role::Admin) || change.disabled == Some(true))
        {
            return Err(AppError::Conflict {
                code: "conflict",
                message: "Administrators cannot demote or disable themselves".into(),
                details: vec![],
            });
        }

        let now = agora_domain::timestamp_now();
        let mut tx = self.deps.uow.begin().await?;
        let mut user = self
            .deps
            .users
            .find_by_id(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut changes = serde_json::Map::new();
        if let Some(role) = role.filter(|r| *r != user.role) {
            changes.insert(
                "role".into(),
                json!({ "from": user.role.as_str(), "to": role.as_str() }),
            );
            user.role = role;
        }
        if let Some(tier) = tier.filter(|t| *t != user.tier) {
            changes.insert(
                "tier".into(),
                json!({ "from": user.tier.as_str(), "to": tier.as_str() }),
            );
            user.tier = tier;
        }
        if let Some(disabled) = change.disabled.filter(|d| *d != user.disabled) {
            changes.insert(
                "disabled".into(),
                json!({ "from": user.disabled, "to": disabled }),
            );
            user.disabled = disabled;
        }
        if changes.is_empty() {
            return Ok(user);
        }
        user.updated_at = now;
        self.deps.users.update(&mut tx, &user).await?;
        let sessions = self
            .deps
            .refresh_tokens
            .revoke_user(&mut tx, user.id, None, now)
            .await?;
        let entry = AuditEntry::new("admin.user_updated", Some(principal.user_id), Some(user.id))
            .with_details(serde_json::Value::Object(changes));
        self.deps.audit.record(&mut tx, &entry).await?;
        tx.commit().await?;
        // The user tag too: a disabled account must be refused even for a session whose family
        // was already gone from the list (and role/tier changes end every session).
        self.sessions_revoked(&sessions, Some(user.id)).await;
        Ok(user)
    }

    /// The audit trail, newest first (admin).
    #[tracing::instrument(skip_all, fields(admin_id = %principal.user_id))]
    pub async fn audit_log(
        &self,
        principal: &Principal,
        page: PageRequest,
        newest_first: bool,
    ) -> Result<Page<AuditEntry>, AppError> {
        require_admin(principal)?;
        Ok(self.deps.audit.list(page, newest_first).await?)
    }
}
