use std::sync::Arc;

use agora_domain::{
    event::EventEnvelope,
    identity::Principal,
    paging::{Page, PageRequest},
    ports::{UnitOfWork, WebhookStore},
    webhooks::{may_reach, Webhook, WebhookAttempt, TEST_EVENT, WEBHOOK_EVENTS},
    FieldError, ValidationErrors,
};
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use uuid::Uuid;

use super::{message_body, WebhookSettings};
use crate::AppError;

/// `POST /api/admin/webhooks`.
#[derive(Debug, Clone)]
pub struct NewWebhookInput {
    /// Endpoint.
    pub url: String,
    /// Subscribed event types.
    pub events: Vec<String>,
    /// For administrators.
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// `PATCH /api/admin/webhooks/{id}`: absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    /// Endpoint.
    pub url: Option<String>,
    /// Subscribed event types.
    pub events: Option<Vec<String>>,
    /// For administrators.
    pub description: Option<String>,
    /// On or off.
    pub enabled: Option<bool>,
}

/// Webhook administration (admins only).
#[derive(Clone)]
pub struct Webhooks {
    store: Arc<dyn WebhookStore>,
    uow: Arc<dyn UnitOfWork>,
    settings: Arc<WebhookSettings>,
}

impl Webhooks {
    /// Wires the use cases.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        uow: Arc<dyn UnitOfWork>,
        settings: WebhookSettings,
    ) -> Self {
        Self {
            store,
            uow,
            settings: Arc::new(settings),
        }
    }

    /// Checks a URL: `http://` (the binary has no TLS client for HTTP yet), a host, and — when
    /// the host is an IP literal — not an internal address unless allow-listed. Hostnames are
    /// checked after resolution at every delivery.
    fn check_url(&self, raw: &str, errors: &mut ValidationErrors) {
        let problem = match url::Url::parse(raw.trim()) {
            Err(_) => Some("Invalid URL"),
            Ok(url) if url.scheme() != "http" => {
                Some("URL must start with http:// (https delivery is not supported yet)")
            }
            Ok(url) => match url.host() {
                None => Some("Invalid URL"),
                Some(url::Host::Ipv4(ip))
                    if !may_reach(ip.into(), &self.settings.allowed_networks) =>
                {
                    Some("URL points to a private, loopback or link-local address")
                }
                Some(url::Host::Ipv6(ip))
                    if !may_reach(ip.into(), &self.settings.allowed_networks) =>
                {
                    Some("URL points to a private, loopback or link-local address")
                }
                Some(_) => None,
            },
        };
        if let Some(message) = problem {
            errors.push(FieldError::new("url", message));
        }
    }

    fn check_events(events: &[String], errors: &mut ValidationErrors) {
        if events.is_empty() {
            errors.push(FieldError::new(
                "events",
                "At least one event type is required",
            ));
        }
        for event in events {
            if !WEBHOOK_EVENTS.contains(&event.as_str()) {
                errors.push(FieldError::new(
                    "events",
                    format!(
                        "Unknown event type `{event}`; one of: {}",
                        WEBHOOK_EVENTS.join(", ")
                    ),
                ));
            }
        }
    }

    fn check_description(description: &str, errors: &mut ValidationErrors) {
        if description.chars().count() > 500 {
            errors.push(FieldError::new(
                "description",
                "Description is at most 500 characters",
            ));
        }
    }

    /// Creates an endpoint; the answer is the only time its secret is shown.
    pub async fn create(
        &self,
        principal: &Principal,
        input: NewWebhookInput,
    ) -> Result<Webhook, AppError> {
        crate::require_admin(principal)?;
        let mut errors = ValidationErrors::new();
        self.check_url(&input.url, &mut errors);
        Self::check_events(&input.events, &mut errors);
        let description = input.description.unwrap_or_default();
        Self::check_description(&description, &mut errors);
        errors.into_result().map_err(AppError::Validation)?;
        let mut key = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut key);
        let now = Utc::now();
        let webhook = Webhook {
            id: Uuid::now_v7(),
            url: input.url.trim().to_owned(),
            events: input.events,
            description,
            enabled: input.enabled.unwrap_or(true),
            secret: format!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(key)
            ),
            created_at: now,
            updated_at: now,
        };
        self.store.create(&webhook).await?;
        Ok(webhook)
    }

    /// Endpoints, newest first.
    pub async fn list(
        &self,
        principal: &Principal,
        page: PageRequest,
    ) -> Result<Page<Webhook>, AppError> {
        crate::require_admin(principal)?;
        Ok(self.store.list(page).await?)
    }

    async fn existing(&self, id: Uuid) -> Result<Webhook, AppError> {
        self.store.get(id).await?.ok_or(AppError::NotFound)
    }

    /// Changes an endpoint.
    pub async fn update(
        &self,
        principal: &Principal,
        id: Uuid,
        change: WebhookChange,
    ) -> Result<Webhook, AppError> {
        crate::require_admin(principal)?;
        let mut webhook = self.existing(id).await?;
        let mut errors = ValidationErrors::new();
        if let Some(url) = change.url {
            self.check_url(&url, &mut errors);
            webhook.url = url.trim().to_owned();
        }
        if let Some(events) = change.events {
            Self::check_events(&events, &mut errors);
            webhook.events = events;
        }
        if let Some(description) = change.description {
            Self::check_description(&description, &mut errors);
            webhook.description = description;
        }
        if let Some(enabled) = change.enabled {
            webhook.enabled = enabled;
        }
        errors.into_result().map_err(AppError::Validation)?;
        webhook.updated_at = Utc::now();
        if !self.store.update(&webhook).await? {
            return Err(AppError::NotFound);
        }
        Ok(webhook)
    }

    /// Deletes an endpoint, its queued messages and its log.
    pub async fn delete(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        crate::require_admin(principal)?;
        if !self.store.delete(id).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// An endpoint's delivery log, newest first.
    pub async fn deliveries(
        &self,
        principal: &Principal,
        id: Uuid,
        page: PageRequest,
    ) -> Result<Page<WebhookAttempt>, AppError> {
        crate::require_admin(principal)?;
        self.existing(id).await?;
        Ok(self.store.attempts(id, page).await?)
    }

    /// Queues a `webhook.test` message for the endpoint; returns its id.
    pub async fn send_test(&self, principal: &Principal, id: Uuid) -> Result<Uuid, AppError> {
        crate::require_admin(principal)?;
        let webhook = self.existing(id).await?;
        let event = EventEnvelope::new(
            TEST_EVENT,
            webhook.id,
            serde_json::json!({"webhookId": webhook.id}),
        );
        let mut tx = self.uow.begin().await?;
        let message = self
            .store
            .enqueue(&mut tx, webhook.id, TEST_EVENT, &message_body(&event))
            .await?;
        tx.commit().await?;
        Ok(message)
    }
}
