//! Webhooks (API.md "Platform"): endpoints subscribed to event types, delivered per the Standard
//! Webhooks spec, and the address rules that keep them from reaching inside the network.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Event types an endpoint may subscribe to (the "CRM sync" fan-out), plus the test event.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "user.created",
    "order.placed",
    "order.status_changed",
    "post.published",
];

/// The type of the event `POST /api/admin/webhooks/{id}/test` sends.
pub const TEST_EVENT: &str = "webhook.test";

/// A subscribed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Id.
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Event types delivered to it.
    pub events: Vec<String>,
    /// For administrators.
    pub description: String,
    /// A disabled endpoint gets nothing (and its pending deliveries are dropped).
    pub enabled: bool,
    /// `whsec_<base64 key>`: shown once, at creation.
    pub secret: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One attempt to deliver a message: the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    /// The message id (`webhook-id`, the same for every attempt of one message).
    pub message_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `succeeded`, `failed` (retried) or `dead` (the last retry failed).
    pub status: String,
    /// The receiver's status, if it answered.
    pub response_code: Option<u16>,
    /// How long the attempt took.
    pub duration_ms: u64,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A message due for (another) attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMessage {
    /// `webhook-id`.
    pub id: Uuid,
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The exact body to sign and send: `{type, timestamp, data}`.
    pub body: String,
    /// Attempts so far, including this one.
    pub attempts: u32,
}

/// Whether an address is one a webhook must not reach unless allow-listed: loopback, private,
/// link-local (cloud metadata at 169.254.169.254), unique-local, shared (CGNAT), unspecified,
/// multicast or broadcast — anything but the public internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Whether a webhook may reach `ip`: public, or inside an allow-listed network.
pub fn may_reach(ip: IpAddr, allowed: &[ipnet::IpNet]) -> bool {
    !is_internal(ip) || allowed.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allow_listed() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = internal.parse().unwrap();
            assert!(!may_reach(ip, &[]), "{internal}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(may_reach(public.parse().unwrap(), &[]), "{public}");
        }
        let loopback: ipnet::IpNet = "127.0.0.0/8".parse().unwrap();
        assert!(may_reach("127.0.0.1".parse().unwrap(), &[loopback]));
        assert!(!may_reach("::1".parse().unwrap(), &[loopback]));
    }
}
