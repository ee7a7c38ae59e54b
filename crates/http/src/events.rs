//! Event backbone HTTP API: dead letters and their replay (API.md "Platform", ADR 0019).

use std::collections::HashMap;

use agora_app::platform::DeadLetters;
use agora_domain::{event::EventEnvelope, ports::DeadLetter};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi, ToSchema,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    auth::AdminUser,
    identity::path_id,
    openapi::{BadRequest, Forbidden, NotFound, TooManyRequests, Unauthorized},
    paging::{paginated, ListSpec, Paginated},
    ApiError,
};

/// An event one consumer gave up on.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DeadLetter)]
struct DeadLetterDto {
    /// Id of the dead letter (replay it with this id).
    id: Uuid,
    /// The event, in its bus envelope (`id`, `type`, `version`, `occurredAt`, `aggregateId`,
    /// `data`).
    #[schema(value_type = Object)]
    event: EventEnvelope,
    /// The consumer that failed.
    consumer: String,
    /// Attempts made.
    attempts: u32,
    /// The last attempt's error.
    last_error: String,
    /// When it was given up on.
    dead_at: DateTime<Utc>,
}

impl From<DeadLetter> for DeadLetterDto {
    fn from(dead: DeadLetter) -> Self {
        Self {
            id: dead.id,
            event: dead.event,
            consumer: dead.consumer,
            attempts: dead.attempts,
            last_error: dead.last_error,
            dead_at: dead.dead_at,
        }
    }
}

const DEAD_LIST: ListSpec = ListSpec {
    sortable: &[("deadAt", "dead_at")],
    default_sort: "-deadAt",
    fields: &["id", "event", "consumer", "attempts", "lastError", "deadAt"],
};

/// `GET /api/admin/events/dead`, `POST /api/admin/events/dead/{id}/replay`.
pub fn events_api() -> OpenApiRouter<DeadLetters> {
    OpenApiRouter::with_openapi(EventsApi::openapi())
        .routes(routes!(list_dead))
        .routes(routes!(replay_dead))
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags((name = "events", description = "The event backbone: dead letters and replay.")))]
struct EventsApi;

/// `page`, `limit`, `sort`, `fields` of dead letters, from [`DEAD_LIST`].
struct DeadListParams;

impl IntoParams for DeadListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        DEAD_LIST.openapi_params()
    }
}

/// Events a consumer gave up on after its maximum attempts, newest first (admin)
#[utoipa::path(
    get,
    path = "/api/admin/events/dead",
    tag = "events",
    params(DeadListParams),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "One page of dead letters", body = Paginated<DeadLetterDto>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list_dead(
    State(dead): State<DeadLetters>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let request = DEAD_LIST.parse(&query)?;
    let page = dead.list(&principal, request.page).await?;
    Ok(Json(paginated(page.map(DeadLetterDto::from), &request)))
}

/// Publishes a dead letter's event again (admin)
///
/// The event keeps its id: consumers that applied it skip it, the one that gave up applies it
/// once. The dead letter is removed; a second replay of the same id is 404.
#[utoipa::path(
    post,
    path = "/api/admin/events/dead/{id}/replay",
    tag = "events",
    params(("id" = Uuid, Path, description = "Dead letter id")),
    security(("bearerAuth" = [])),
    responses(
        (status = 202, description = "Queued for delivery"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn replay_dead(
    State(dead): State<DeadLetters>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    dead.replay(&principal, path_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}
