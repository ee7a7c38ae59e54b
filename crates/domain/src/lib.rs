//! Agora's domain: entities, value objects, domain events and the ports (traits) that adapters
//! implement. Nothing here performs I/O or depends on an async runtime, SQL or HTTP, so every rule
//! can be unit- and property-tested in isolation and every backend plugs in behind the same ports.

pub mod analytics;
pub mod catalog;
pub mod content;
pub mod event;
pub mod flags;
pub mod identity;
pub mod mail;
pub mod orders;
pub mod paging;
pub mod ports;
pub mod ratelimit;
pub mod service_api;
pub mod service_auth;
pub mod validation;
pub mod webhooks;

pub use validation::{FieldError, ValidationErrors};

/// The current time at microsecond precision — what both stores keep — so a value returned by a
/// write equals the same value read back later.
pub fn timestamp_now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
