//! The application's one error type. The HTTP edge maps it to a status and body in one place;
//! use cases never think in status codes.

use agora_domain::{
    ports::{MailError, PasswordHashError, StoreError},
    FieldError, ValidationErrors,
};

/// Every way a use case can fail, as the client should understand it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke one or more rules.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    /// The thing asked for does not exist (or is hidden from the caller).
    #[error("not found")]
    NotFound,
    /// The email is already registered.
    #[error("email already registered")]
    EmailTaken,
    /// A state conflict: stale version, illegal transition, duplicate key, out of stock.
    #[error("conflict: {message}")]
    Conflict {
        /// Machine-readable code (`conflict`, `out_of_stock`, …).
        code: &'static str,
        /// Human message, safe to show.
        message: String,
        /// Offending fields, if any.
        details: Vec<FieldError>,
    },
    /// No credentials on a protected action.
    #[error("not authenticated")]
    NotAuthenticated,
    /// Credentials were presented but are wrong, expired or forged.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The token was revoked (logout, family reuse).
    #[error("token revoked")]
    TokenRevoked,
    /// Authenticated but the role does not allow this.
    #[error("insufficient permissions")]
    InsufficientPermissions,
    /// The action needs a verified email.
    #[error("email not verified")]
    EmailNotVerified,
    /// Too many requests; retry after the given number of seconds.
    #[error("rate limited; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry can succeed (at least 1).
        retry_after_secs: u64,
        /// The quota's count, for the `RateLimit-Limit` header, when known.
        limit: Option<u32>,
        /// Seconds until the whole quota is available again, when known.
        reset_secs: Option<u64>,
    },
    /// A required dependency is down; the message is for logs.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unforeseen failure; logged with the request id, answered as an opaque 500.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        Self::Validation(error.into())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Constraint { constraint } => from_constraint(&constraint),
            StoreError::Unavailable(message) => Self::Unavailable(message),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// The single table from constraint names (as declared in migrations) to client-facing errors, so
/// a unique index turns into the same 409 whichever use case tripped it.
fn from_constraint(constraint: &str) -> AppError {
    match constraint {
        "users_email_key" => AppError::EmailTaken,
        "products_sku_key" => AppError::Conflict {
            code: "conflict",
            message: "SKU already exists".into(),
            details: vec![FieldError::new("sku", "SKU already exists")],
        },
        "feature_flags_key_key" => AppError::Conflict {
            code: "conflict",
            message: "A flag with this key already exists".into(),
            details: vec![FieldError::new("key", "Key already exists")],
        },
        other => AppError::Unexpected(anyhow::anyhow!("unmapped constraint violation: {other}")),
    }
}

impl From<PasswordHashError> for AppError {
    fn from(error: PasswordHashError) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<MailError> for AppError {
    fn from(error: MailError) -> Self {
        Self::Unexpected(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_unique_index_means_email_taken() {
        let error: AppError = StoreError::Constraint {
            constraint: "users_email_key".into(),
        }
        .into();
        assert!(matches!(error, AppError::EmailTaken));
    }

    #[test]
    fn an_unknown_constraint_is_a_bug_not_a_client_error() {
        let error: AppError = StoreError::Constraint {
            constraint: "mystery".into(),
        }
        .into();
        assert!(matches!(error, AppError::Unexpected(_)));
    }
}
