use super::StoreError;

/// Why a call to another context's published port failed. Published ports may be answered in
/// process (the monolith) or over the network (split targets), so their errors say only what a
/// caller can act on, never which backend or transport failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The providing context (or what it depends on: its database, the network to it) cannot
    /// answer now. Transient: the same call may succeed later. Callers answer 503, never 500.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The provider failed in a way a retry will not fix (a bug, corrupt data). The message is for
    /// logs only, never for clients.
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl From<StoreError> for PortError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(message) => Self::Unavailable(message),
            other => Self::Unexpected(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_store_is_transient_and_anything_else_is_not() {
        assert_eq!(
            PortError::from(StoreError::Unavailable("pool timed out".into())),
            PortError::Unavailable("pool timed out".into())
        );
        assert!(matches!(
            PortError::from(StoreError::ForeignTransaction),
            PortError::Unexpected(_)
        ));
    }
}
