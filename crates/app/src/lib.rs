//! Agora's use cases. Each is a small struct holding the ports it needs and one `execute` method
//! for one user intention; transactions appear in the signatures of the ports it calls.

pub mod analytics;
pub mod catalog;
pub mod content;
pub mod error;
pub mod flags;
pub mod identity;
pub mod orders;
pub mod platform;
#[cfg(test)]
pub(crate) mod testing;
pub mod webhooks;

pub use error::{AppError, ErrorKind, OnConstraint};

/// Admin-only actions: 403 `insufficient_permissions` for everyone else.
pub(crate) fn require_admin(principal: &agora_domain::identity::Principal) -> Result<(), AppError> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(AppError::InsufficientPermissions)
    }
}
