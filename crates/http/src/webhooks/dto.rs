use agora_domain::webhooks::{Webhook, WebhookAttempt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A webhook endpoint. `secret` is present only in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Webhook)]
pub struct WebhookDto {
    id: Uuid,
    /// Where deliveries are POSTed.
    url: String,
    /// Subscribed event types.
    events: Vec<String>,
    description: String,
    enabled: bool,
    /// `whsec_…`, to verify `webhook-signature` (Standard Webhooks); shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl WebhookDto {
    /// Without its secret.
    pub fn from(webhook: Webhook) -> Self {
        Self {
            secret: None,
            ..Self::with_secret(webhook)
        }
    }

    /// With its secret (creation only).
    pub fn with_secret(webhook: Webhook) -> Self {
        Self {
            id: webhook.id,
            url: webhook.url,
            events: webhook.events,
            description: webhook.description,
            enabled: webhook.enabled,
            secret: Some(webhook.secret),
            created_at: webhook.created_at,
            updated_at: webhook.updated_at,
        }
    }
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "http://crm.example.com/hooks/agora", "events": ["user.created", "order.placed"], "description": "CRM sync"}))]
pub struct NewWebhookBody {
    /// `http://` URL; an IP literal in a private, loopback or link-local range is refused unless
    /// allow-listed (`webhooks.allowed_networks`), hostnames are checked at each delivery.
    #[schema(schema_with = crate::rules::webhook_url)]
    pub url: String,
    /// Any of `user.created`, `order.placed`, `order.status_changed`, `post.published`.
    #[schema(schema_with = crate::rules::webhook_events)]
    pub events: Vec<String>,
    #[schema(schema_with = crate::rules::webhook_description)]
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchBody {
    #[schema(schema_with = crate::rules::webhook_url_change)]
    pub url: Option<String>,
    #[schema(schema_with = crate::rules::webhook_events_change)]
    pub events: Option<Vec<String>>,
    #[schema(schema_with = crate::rules::webhook_description)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// One attempt of one message (the delivery log).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookDelivery)]
pub struct AttemptDto {
    /// The message's `webhook-id` (the same on each of its attempts).
    message_id: Uuid,
    /// The event type.
    event: String,
    /// `succeeded`, `failed` (retried later) or `dead` (no retry left).
    status: String,
    /// The receiver's HTTP status, when it answered.
    response_code: Option<u16>,
    duration_ms: u64,
    /// 1 for the first attempt.
    attempt: u32,
    /// Why it failed.
    error: Option<String>,
    at: DateTime<Utc>,
}

impl From<WebhookAttempt> for AttemptDto {
    fn from(a: WebhookAttempt) -> Self {
        Self {
            message_id: a.message_id,
            event: a.event_type,
            status: a.status,
            response_code: a.response_code,
            duration_ms: a.duration_ms,
            attempt: a.attempt,
            error: a.error,
            at: a.at,
        }
    }
}

/// `POST /api/admin/webhooks/{id}/test`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestQueuedDto {
    /// The test message's `webhook-id`.
    pub message_id: Uuid,
}
