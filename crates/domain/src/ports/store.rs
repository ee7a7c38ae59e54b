use std::any::Any;

use async_trait::async_trait;

/// Failures of the relational store, classified so the application can answer precisely.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or foreign-key constraint was violated; the name says which (e.g. `users_email_key`).
    #[error("constraint `{constraint}` violated")]
    Constraint {
        /// The constraint (index) name as declared in the migrations.
        constraint: String,
    },
    /// The database could not be reached or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A transaction from a different store was passed to a repository: a wiring bug.
    #[error("transaction belongs to a different store")]
    ForeignTransaction,
    /// Anything else; the message is for logs only, never for clients.
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a backend must provide to act as a transaction: commit, rollback, and access to its
/// concrete type for the repositories of the same backend.
#[async_trait]
pub trait TxBackend: Any + Send {
    /// Makes every write of the transaction durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Discards every write of the transaction.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
    /// Lets a repository of the same backend reach the concrete transaction.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// An open unit of work. Use cases receive `&mut Tx` so a reader sees what is atomic: every
/// repository call given the same `Tx` commits together or not at all. Dropping a `Tx` without
/// [`Tx::commit`] rolls it back, so an early `?` return never leaves half a write behind.
pub struct Tx(Box<dyn TxBackend>);

impl Tx {
    /// Wraps a backend transaction.
    pub fn new(backend: impl TxBackend) -> Self {
        Self(Box::new(backend))
    }

    /// Commits every write made through this transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.0.commit().await
    }

    /// Explicitly discards every write (dropping does the same, without reporting errors).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.0.rollback().await
    }

    /// The concrete backend transaction, for adapters of that backend only.
    pub fn backend_mut<T: TxBackend>(&mut self) -> Result<&mut T, StoreError> {
        self.0
            .as_any_mut()
            .downcast_mut::<T>()
            .ok_or(StoreError::ForeignTransaction)
    }
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tx")
    }
}

/// Opens transactions on the relational store.
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    /// Starts a read-write transaction.
    async fn begin(&self) -> Result<Tx, StoreError>;
}
