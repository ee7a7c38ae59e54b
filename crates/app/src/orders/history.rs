//! Reading orders: the buyer's history (newest first), one order (own, or any for admins), and
//! the admin list with filters.

use agora_domain::{
    identity::Principal,
    orders::{Order, OrderStatus},
    paging::{Page, PageRequest},
    ports::{OrderFilter, OrderSort},
    ValidationErrors,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Orders;
use crate::{require_admin, AppError};

/// The admin list's filters as the client sent them (validated by [`Orders::admin_list`]).
#[derive(Debug, Clone, Default)]
pub struct AdminOrderQuery {
    /// `status`.
    pub status: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// `from` (RFC 3339, inclusive).
    pub from: Option<String>,
    /// `to` (RFC 3339, exclusive).
    pub to: Option<String>,
}

impl Orders {
    /// The caller's orders, newest first.
    pub async fn history(
        &self,
        caller: &Principal,
        page: PageRequest,
    ) -> Result<Page<Order>, AppError> {
        let filter = OrderFilter {
            user_id: Some(caller.user_id),
            status: None,
            from: None,
            to: None,
            sort: OrderSort::CreatedAt,
            descending: true,
            page,
        };
        Ok(self.deps.orders.list(&filter).await?)
    }

    /// One order: the caller's own, or any for an admin; 404 for anyone else's.
    pub async fn order(&self, caller: &Principal, id: Uuid) -> Result<Order, AppError> {
        self.visible(caller, id).await
    }

    /// Every order matching the filters (admin).
    pub async fn admin_list(
        &self,
        caller: &Principal,
        query: AdminOrderQuery,
        sort: OrderSort,
        descending: bool,
        page: PageRequest,
    ) -> Result<Page<Order>, AppError> {
        require_admin(caller)?;
        let mut errors = ValidationErrors::new();
        let status = query
            .status
            .as_deref()
            .and_then(|raw| errors.check(OrderStatus::parse(raw, "status")));
        let user_id = query.user_id.as_deref().and_then(|raw| {
            errors.check(
                Uuid::parse_str(raw)
                    .map_err(|_| agora_domain::FieldError::new("userId", "userId must be a UUID")),
            )
        });
        let mut time = |name: &str, raw: Option<&str>| {
            raw.and_then(|raw| {
                errors.check(
                    DateTime::parse_from_rfc3339(raw)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|_| {
                            agora_domain::FieldError::new(
                                name,
                                format!(
                                    "{name} must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z"
                                ),
                            )
                        }),
                )
            })
        };
        let from = time("from", query.from.as_deref());
        let to = time("to", query.to.as_deref());
        errors.into_result()?;
        let filter = OrderFilter {
            user_id,
            status,
            from,
            to,
            sort,
            descending,
            page,
        };
        Ok(self.deps.orders.list(&filter).await?)
    }
}
