//! Webhook administration (API.md "Platform"): endpoints, their delivery log, a test message.

mod dto;

use std::collections::HashMap;

use agora_app::webhooks::{NewWebhookInput, WebhookChange, Webhooks};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
    Json,
};
use serde_json::Value;
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use self::dto::{AttemptDto, NewWebhookBody, TestQueuedDto, WebhookDto, WebhookPatchBody};
use crate::{
    auth::AdminUser,
    identity::path_id,
    openapi::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized,
        UnsupportedMediaType,
    },
    paging::{paginated, ListSpec, Paginated},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

const WEBHOOK_LIST: ListSpec = ListSpec {
    sortable: &[("createdAt", "created_at")],
    default_sort: "-createdAt",
    fields: &[
        "id",
        "url",
        "events",
        "description",
        "enabled",
        "createdAt",
        "updatedAt",
    ],
};

const DELIVERY_LIST: ListSpec = ListSpec {
    sortable: &[("at", "at")],
    default_sort: "-at",
    fields: &[
        "messageId",
        "event",
        "status",
        "responseCode",
        "durationMs",
        "attempt",
        "error",
        "at",
    ],
};

/// The webhook routes.
pub fn api() -> OpenApiRouter<Webhooks> {
    OpenApiRouter::with_openapi(WebhooksApi::openapi())
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(send_test))
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags((name = "webhooks", description = "Webhook endpoints (Standard Webhooks), their delivery log.")))]
struct WebhooksApi;

struct WebhookListParams;

impl IntoParams for WebhookListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        WEBHOOK_LIST.openapi_params()
    }
}

struct DeliveryListParams;

impl IntoParams for DeliveryListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        DELIVERY_LIST.openapi_params()
    }
}

/// Webhook endpoints, newest first (admin)
#[utoipa::path(get, path = "/api/admin/webhooks", tag = "webhooks", params(WebhookListParams),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "One page of endpoints", body = Paginated<WebhookDto>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list_webhooks(
    State(webhooks): State<Webhooks>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = WEBHOOK_LIST.parse(&query)?;
    let page = webhooks.list(&principal, request.page).await?;
    Ok(Json(paginated(page.map(WebhookDto::from), &request)))
}

/// Subscribe an endpoint (admin); the answer shows its `whsec_` secret, once
#[utoipa::path(post, path = "/api/admin/webhooks", tag = "webhooks", request_body = NewWebhookBody,
    security(("bearerAuth" = [])),
    responses(
        (status = 201, description = "Created, with its secret", body = WebhookDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn create_webhook(
    State(webhooks): State<Webhooks>,
    AdminUser(principal): AdminUser,
    ApiJson(body): ApiJson<NewWebhookBody>,
) -> ApiResult<impl IntoResponse> {
    let input = NewWebhookInput {
        url: body.url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
    };
    let webhook = webhooks.create(&principal, input).await?;
    Ok((StatusCode::CREATED, Json(WebhookDto::with_secret(webhook))))
}

/// Change an endpoint (admin)
#[utoipa::path(patch, path = "/api/admin/webhooks/{id}", tag = "webhooks", request_body = WebhookPatchBody,
    params(("id" = Uuid, Path, description = "Webhook id")),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The changed endpoint", body = WebhookDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn update_webhook(
    State(webhooks): State<Webhooks>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookPatchBody>,
) -> ApiResult<Json<WebhookDto>> {
    let change = WebhookChange {
        url: body.url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
    };
    let webhook = webhooks.update(&principal, path_id(&id)?, change).await?;
    Ok(Json(WebhookDto::from(webhook)))
}

/// Delete an endpoint with its pending messages and log (admin)
#[utoipa::path(delete, path = "/api/admin/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    security(("bearerAuth" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn delete_webhook(
    State(webhooks): State<Webhooks>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    webhooks.delete(&principal, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's delivery log, newest first: one entry per attempt (admin)
#[utoipa::path(get, path = "/api/admin/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"), DeliveryListParams),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "One page of attempts", body = Paginated<AttemptDto>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list_deliveries(
    State(webhooks): State<Webhooks>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = DELIVERY_LIST.parse(&query)?;
    let page = webhooks
        .deliveries(&principal, path_id(&id)?, request.page)
        .await?;
    Ok(Json(paginated(page.map(AttemptDto::from), &request)))
}

/// Send a `webhook.test` message to the endpoint (admin)
#[utoipa::path(post, path = "/api/admin/webhooks/{id}/test", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    security(("bearerAuth" = [])),
    responses(
        (status = 202, description = "Queued; see the delivery log", body = TestQueuedDto),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn send_test(
    State(webhooks): State<Webhooks>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let message_id = webhooks.send_test(&principal, path_id(&id)?).await?;
    Ok((StatusCode::ACCEPTED, Json(TestQueuedDto { message_id })))
}
