//! Platform HTTP API: the embedded mailbox (API.md "Platform").

use std::collections::HashMap;

use agora_app::platform::Mailbox;
use agora_domain::ports::StoredMail;
use axum::{
    extract::{Query, State},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::AdminUser,
    paging::{paginated, ListSpec},
    ApiError,
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MailDto {
    id: Uuid,
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

/// `GET /api/admin/mailbox` (present only when mail goes to the embedded mailbox).
pub fn mailbox_routes(mailbox: Mailbox) -> Router {
    Router::new()
        .route("/api/admin/mailbox", get(list_mailbox))
        .with_state(mailbox)
}

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
        )
        .await?;
    Ok(Json(paginated(page.map(MailDto::from), &request)))
}
