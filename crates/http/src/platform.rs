//! Platform HTTP API: the embedded mailbox (API.md "Platform").

use std::collections::HashMap;

use agora_app::platform::Mailbox;
use agora_domain::ports::StoredMail;
use axum::{
    extract::{Query, State},
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
    paging::{paginated, ListSpec, Paginated},
    ApiError,
};

/// A mail as the embedded mailbox recorded it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Mail)]
struct MailDto {
    id: Uuid,
    /// Recipient address.
    to: String,
    subject: String,
    text: String,
    html: String,
    sent_at: DateTime<Utc>,
}

impl From<StoredMail> for MailDto {
    fn from(stored: StoredMail) -> Self {
        Self {
            id: stored.id,
            to: stored.mail.to,
            subject: stored.mail.subject,
            text: stored.mail.text,
            html: stored.mail.html,
            sent_at: stored.sent_at,
        }
    }
}

const MAILBOX_LIST: ListSpec = ListSpec {
    sortable: &[("sentAt", "sent_at")],
    default_sort: "-sentAt",
    fields: &["id", "to", "subject", "text", "html", "sentAt"],
};

/// `GET /api/admin/mailbox` (contributed only when mail goes to the embedded mailbox).
pub fn mailbox_api() -> OpenApiRouter<Mailbox> {
    OpenApiRouter::with_openapi(PlatformApi::openapi()).routes(routes!(list_mailbox))
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags((name = "platform", description = "Platform services: the embedded mailbox.")))]
struct PlatformApi;

/// `page`, `limit`, `sort`, `fields` of the mailbox, from [`MAILBOX_LIST`].
struct MailboxListParams;

impl IntoParams for MailboxListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        MAILBOX_LIST.openapi_params()
    }
}

/// Mailbox filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation-only: the handler reads the query map
struct MailboxFilter {
    /// Only mails to this address (compared case-insensitively, trimmed).
    #[param(schema_with = crate::rules::any_text)]
    to: Option<String>,
}

/// Mails sent through the embedded mailbox, newest first (admin)
///
/// Present only when no SMTP server is configured: mail is then kept here instead of sent.
#[utoipa::path(
    get,
    path = "/api/admin/mailbox",
    tag = "platform",
    params(MailboxListParams, MailboxFilter),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "One page of mails", body = Paginated<MailDto>),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::TooManyRequests)
    )
)]
async fn list_mailbox(
    State(mailbox): State<Mailbox>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let request = MAILBOX_LIST.parse(&query)?;
    let page = mailbox
        .list(
            &principal,
            query.get("to").map(String::as_str),
            request.page,
            request.sort.descending,
        )
        .await?;
    Ok(Json(paginated(page.map(MailDto::from), &request)))
}
