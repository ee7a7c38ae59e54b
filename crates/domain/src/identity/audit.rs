use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A security-relevant fact, kept for administrators (`GET /api/admin/audit`).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// UUID v7.
    pub id: Uuid,
    /// Dotted action, e.g. `auth.login_failed`.
    pub action: String,
    /// Who did it, when known.
    pub actor_id: Option<Uuid>,
    /// Whom it concerned, when different or when the actor is unknown.
    pub subject_id: Option<Uuid>,
    /// Client IP, when known.
    pub ip: Option<String>,
    /// Extra facts (never secrets).
    pub details: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl AuditEntry {
    /// A new entry stamped now.
    pub fn new(action: &str, actor_id: Option<Uuid>, subject_id: Option<Uuid>) -> Self {
        Self {
            id: Uuid::now_v7(),
            action: action.to_owned(),
            actor_id,
            subject_id,
            ip: None,
            details: serde_json::json!({}),
            created_at: Utc::now(),
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// Adds the client IP.
    pub fn with_ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }
}
