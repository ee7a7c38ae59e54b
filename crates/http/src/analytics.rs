//! Analytics HTTP API: `GET /api/admin/stats` (API.md "Platform").

use agora_app::analytics::Analytics;
use agora_domain::analytics::Stats;
use axum::{extract::State, Json};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    auth::AdminUser,
    openapi::{Forbidden, TooManyRequests, Unauthorized},
    ApiError,
};

#[derive(Debug, Serialize, ToSchema)]
struct UsersOnDayDto {
    day: NaiveDate,
    count: u64,
}

/// Minor units and currency (empty for orders whose event carried no total).
#[derive(Debug, Serialize, ToSchema)]
struct RevenueDto {
    amount: i64,
    currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct OrdersOnDayDto {
    day: NaiveDate,
    count: u64,
    revenue: RevenueDto,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct TopProductDto {
    product_id: Uuid,
    name: String,
    quantity: u64,
}

/// Counters of the last 30 days, fed by events (the `analytics` consumer).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Stats)]
struct StatsDto {
    /// New users per day, oldest first.
    users_by_day: Vec<UsersOnDayDto>,
    /// Orders and revenue per day and currency, oldest first.
    orders_by_day: Vec<OrdersOnDayDto>,
    /// Products by units ordered, most first (10 at most).
    top_products: Vec<TopProductDto>,
}

impl From<Stats> for StatsDto {
    fn from(stats: Stats) -> Self {
        Self {
            users_by_day: stats
                .users_by_day
                .into_iter()
                .map(|d| UsersOnDayDto {
                    day: d.day,
                    count: d.count,
                })
                .collect(),
            orders_by_day: stats
                .orders_by_day
                .into_iter()
                .map(|d| OrdersOnDayDto {
                    day: d.day,
                    count: d.count,
                    revenue: RevenueDto {
                        amount: d.revenue,
                        currency: d.currency,
                    },
                })
                .collect(),
            top_products: stats
                .top_products
                .into_iter()
                .map(|p| TopProductDto {
                    product_id: p.product_id,
                    name: p.name,
                    quantity: p.quantity,
                })
                .collect(),
        }
    }
}

/// `GET /api/admin/stats`.
pub fn api() -> OpenApiRouter<Analytics> {
    OpenApiRouter::with_openapi(AnalyticsApi::openapi()).routes(routes!(stats))
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags((name = "analytics", description = "Counters fed by events.")))]
struct AnalyticsApi;

/// Users, orders, revenue per day and top products of the last 30 days (admin)
///
/// Counted by the `analytics` event consumer, so the numbers trail the events by the bus's
/// latency.
#[utoipa::path(
    get,
    path = "/api/admin/stats",
    tag = "analytics",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The counters", body = StatsDto),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn stats(
    State(analytics): State<Analytics>,
    AdminUser(principal): AdminUser,
) -> Result<Json<StatsDto>, ApiError> {
    Ok(Json(analytics.stats(&principal).await?.into()))
}
