//! The application's one error type. The HTTP edge maps it to a status and body in one place;
//! use cases never think in status codes.

use agora_domain::{
    ports::{MailError, PasswordHashError, PortError, StoreError},
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
    /// The payment provider declined; the order stays `pending` (402 `payment_declined`).
    #[error("payment declined")]
    PaymentDeclined,
    /// An `Idempotency-Key` was reused with a different request (422 `idempotency_mismatch`).
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
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

/// What kind of failure an [`AppError`] is, for a transport to choose its status (HTTP) or
/// category (GraphQL) without matching on every variant. The mapping to statuses lives at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input broke rules; the caller can fix it.
    Validation,
    /// No credentials, or credentials that do not hold.
    Unauthenticated,
    /// Authenticated, but not allowed.
    Forbidden,
    /// Nothing there (or nothing the caller may see).
    NotFound,
    /// The current state does not allow it.
    Conflict,
    /// Payment is needed and was refused (a declined payment).
    PaymentRequired,
    /// Well-formed, but the request cannot be processed as sent (a reused idempotency key).
    Unprocessable,
    /// Too many requests.
    RateLimited,
    /// A dependency is down; retrying later may work.
    Unavailable,
    /// A bug; nothing the caller can do.
    Internal,
}

impl AppError {
    /// The machine-readable code every API reports (REST `code`, GraphQL `extensions.code`), as
    /// listed in API.md "Errors".
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::NotFound => "not_found",
            Self::EmailTaken => "email_taken",
            Self::Conflict { code, .. } => code,
            Self::NotAuthenticated => "not_authenticated",
            Self::AuthenticationFailed => "authentication_failed",
            Self::TokenRevoked => "token_revoked",
            Self::InsufficientPermissions => "insufficient_permissions",
            Self::EmailNotVerified => "email_not_verified",
            Self::PaymentDeclined => "payment_declined",
            Self::IdempotencyMismatch => "idempotency_mismatch",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Unexpected(_) => "internal",
        }
    }

    /// The message safe to show a client: the exact texts of API.md "Errors", or a conflict's
    /// specific message. Never internal detail (that is in [`std::fmt::Display`], for logs).
    pub fn message(&self) -> &str {
        match self {
            Self::Validation(_) => "Validation failed",
            Self::NotFound => "Not found",
            Self::EmailTaken => "Email already registered",
            Self::Conflict { message, .. } => message,
            Self::NotAuthenticated => "Not authenticated",
            Self::AuthenticationFailed => "Authentication failed",
            Self::TokenRevoked => "Token revoked",
            Self::InsufficientPermissions => "Insufficient permissions",
            Self::EmailNotVerified => "Email not verified",
            Self::PaymentDeclined => "Payment declined",
            Self::IdempotencyMismatch => "Idempotency key reused with a different request",
            Self::RateLimited { .. } => "Rate limit exceeded",
            Self::Unavailable(_) => "Service unavailable",
            Self::Unexpected(_) => "Internal server error",
        }
    }

    /// The category of the failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) => ErrorKind::Validation,
            Self::NotFound => ErrorKind::NotFound,
            Self::EmailTaken | Self::Conflict { .. } => ErrorKind::Conflict,
            Self::NotAuthenticated | Self::AuthenticationFailed | Self::TokenRevoked => {
                ErrorKind::Unauthenticated
            }
            Self::InsufficientPermissions | Self::EmailNotVerified => ErrorKind::Forbidden,
            Self::PaymentDeclined => ErrorKind::PaymentRequired,
            Self::IdempotencyMismatch => ErrorKind::Unprocessable,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Unexpected(_) => ErrorKind::Internal,
        }
    }

    /// The offending fields: every broken rule of a validation error, or a conflict's fields.
    pub fn details(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors.errors(),
            Self::Conflict { details, .. } => details,
            _ => &[],
        }
    }
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
            StoreError::Unavailable(message) => Self::Unavailable(message),
            // A constraint the writing use case did not claim with `on_constraint` is a bug (a
            // missing check or mapping), not something the client can fix.
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<PortError> for AppError {
    /// Another context being down (or unreachable over the network) is a 503 for our caller too,
    /// never an opaque 500.
    fn from(error: PortError) -> Self {
        match error {
            PortError::Unavailable(message) => Self::Unavailable(message),
            PortError::Unexpected(message) => {
                Self::Unexpected(anyhow::anyhow!("published port failed: {message}"))
            }
        }
    }
}

/// Maps a named constraint violation to what the owning module means by it, where the module
/// writes (like realworld-axum-sqlx's `on_constraint`): `users.insert(..).await
/// .on_constraint("users_email_key", || AppError::EmailTaken)?`. No central table names every
/// module's indexes; an unclaimed violation stays an opaque 500.
pub trait OnConstraint<T> {
    /// `to()` when the failure is a violation of `constraint`; any other result unchanged.
    fn on_constraint(self, constraint: &str, to: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T, E: Into<AppError>> OnConstraint<T> for Result<T, E> {
    fn on_constraint(self, constraint: &str, to: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|error| match error.into() {
            AppError::Unexpected(inner)
                if matches!(
                    inner.downcast_ref::<StoreError>(),
                    Some(StoreError::Constraint { constraint: c }) if c == constraint
                ) =>
            {
                to()
            }
            other => other,
        })
    }
}

impl AppError {
    /// A 409 `conflict` on one field, e.g. a unique key that is taken.
    pub fn taken(field: &str, message: &str) -> Self {
        Self::Conflict {
            code: "conflict",
            message: message.to_owned(),
            details: vec![FieldError::new(field, message)],
        }
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

    fn violation(constraint: &str) -> Result<(), StoreError> {
        Err(StoreError::Constraint {
            constraint: constraint.into(),
        })
    }

    #[test]
    fn every_error_carries_the_documented_code_message_and_kind() {
        let cases = [
            (
                AppError::Validation(FieldError::new("f", "m").into()),
                "validation_failed",
                "Validation failed",
                ErrorKind::Validation,
            ),
            (
                AppError::NotFound,
                "not_found",
                "Not found",
                ErrorKind::NotFound,
            ),
            (
                AppError::EmailTaken,
                "email_taken",
                "Email already registered",
                ErrorKind::Conflict,
            ),
            (
                AppError::NotAuthenticated,
                "not_authenticated",
                "Not authenticated",
                ErrorKind::Unauthenticated,
            ),
            (
                AppError::AuthenticationFailed,
                "authentication_failed",
                "Authentication failed",
                ErrorKind::Unauthenticated,
            ),
            (
                AppError::TokenRevoked,
                "token_revoked",
                "Token revoked",
                ErrorKind::Unauthenticated,
            ),
            (
                AppError::InsufficientPermissions,
                "insufficient_permissions",
                "Insufficient permissions",
                ErrorKind::Forbidden,
            ),
            (
                AppError::EmailNotVerified,
                "email_not_verified",
                "Email not verified",
                ErrorKind::Forbidden,
            ),
            (
                AppError::PaymentDeclined,
                "payment_declined",
                "Payment declined",
                ErrorKind::PaymentRequired,
            ),
            (
                AppError::IdempotencyMismatch,
                "idempotency_mismatch",
                "Idempotency key reused with a different request",
                ErrorKind::Unprocessable,
            ),
            (
                AppError::RateLimited {
                    retry_after_secs: 3,
                    limit: None,
                    reset_secs: None,
                },
                "rate_limited",
                "Rate limit exceeded",
                ErrorKind::RateLimited,
            ),
            (
                AppError::Unavailable("db down at 10.0.0.3".into()),
                "unavailable",
                "Service unavailable",
                ErrorKind::Unavailable,
            ),
            (
                AppError::Unexpected(anyhow::anyhow!("SELECT secret FROM users")),
                "internal",
                "Internal server error",
                ErrorKind::Internal,
            ),
        ];
        for (error, code, message, kind) in cases {
            assert_eq!(
                (error.code(), error.message(), error.kind()),
                (code, message, kind)
            );
        }
    }

    #[test]
    fn a_conflict_reports_its_own_code_message_and_fields() {
        let error = AppError::taken("sku", "SKU already exists");
        assert_eq!(
            (error.code(), error.message(), error.kind()),
            ("conflict", "SKU already exists", ErrorKind::Conflict)
        );
        assert_eq!(error.details()[0].field, "sku");
    }

    #[test]
    fn a_claimed_constraint_becomes_the_module_s_error() {
        let error = violation("users_email_key")
            .on_constraint("users_email_key", || AppError::EmailTaken)
            .unwrap_err();
        assert!(matches!(error, AppError::EmailTaken));
    }

    #[test]
    fn claims_chain_and_only_the_named_one_matches() {
        let error = violation("b_key")
            .on_constraint("a_key", || AppError::EmailTaken)
            .on_constraint("b_key", || AppError::taken("b", "B is taken"))
            .unwrap_err();
        assert!(matches!(error, AppError::Conflict { ref details, .. } if details[0].field == "b"));
    }

    #[test]
    fn an_unclaimed_constraint_is_a_bug_not_a_client_error() {
        let error: AppError = violation("mystery").unwrap_err().into();
        assert!(matches!(error, AppError::Unexpected(_)));
        let error = violation("mystery")
            .on_constraint("other", || AppError::EmailTaken)
            .unwrap_err();
        assert!(matches!(error, AppError::Unexpected(_)));
    }

    #[test]
    fn an_unavailable_context_is_503_material_and_only_that() {
        let error: AppError = PortError::Unavailable("catalog down".into()).into();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        let error: AppError = PortError::Unexpected("corrupt row".into()).into();
        assert!(matches!(error, AppError::Unexpected(_)));
    }

    #[test]
    fn an_unavailable_store_is_503_material() {
        let error: AppError = StoreError::Unavailable("down".into()).into();
        assert!(matches!(error, AppError::Unavailable(_)));
    }
}
