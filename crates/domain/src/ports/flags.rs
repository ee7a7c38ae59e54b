use std::sync::Arc;

use async_trait::async_trait;

use super::{StoreError, Tx};
use crate::flags::{FeatureFlag, FlagKey};

/// Persistence of feature flags. Reads outside a transaction serve evaluation (through the
/// application's cache); writes take the caller's transaction.
#[async_trait]
pub trait FlagRepository: Send + Sync {
    /// Every flag, ordered by key.
    async fn list(&self) -> Result<Vec<FeatureFlag>, StoreError>;
    /// One flag, outside any write transaction.
    async fn get(&self, key: &FlagKey) -> Result<Option<FeatureFlag>, StoreError>;
    /// One flag inside a transaction (to change it).
    async fn find(&self, tx: &mut Tx, key: &FlagKey) -> Result<Option<FeatureFlag>, StoreError>;
    /// Stores a new flag; a taken key fails with `StoreError::Constraint { "feature_flags_key_key" }`.
    async fn insert(&self, tx: &mut Tx, flag: &FeatureFlag) -> Result<(), StoreError>;
    /// Writes every mutable field of an existing flag; false if there is none with its key.
    async fn update(&self, tx: &mut Tx, flag: &FeatureFlag) -> Result<bool, StoreError>;
    /// Removes a flag; false if there was none.
    async fn delete(&self, tx: &mut Tx, key: &FlagKey) -> Result<bool, StoreError>;
}

/// Telling other replicas about a flag change failed; they catch up when their cache expires.
#[derive(Debug, thiserror::Error)]
#[error("flag change notification failed: {0}")]
pub struct NotifyError(pub String);

/// Told when flags changed somewhere (this replica or another).
pub trait FlagChangeListener: Send + Sync {
    /// Drops whatever the listener cached about flags.
    fn flags_changed(&self);
}

/// Spreads "flags changed" between the replicas of a deployment so each can drop its in-process
/// cache at once (Redis pub/sub when configured). The embedded default tells nobody: a single
/// process invalidates its own cache on write, and any other process reading the same database
/// converges when its cache entry expires.
#[async_trait]
pub trait FlagChangeNotifier: Send + Sync {
    /// Announces that flags changed (after the change committed).
    async fn publish(&self) -> Result<(), NotifyError>;
    /// Delivers every announcement — and every moment announcements may have been missed, such as
    /// a reconnection — to `listener` until [`FlagChangeNotifier::close`].
    async fn subscribe(&self, listener: Arc<dyn FlagChangeListener>) -> Result<(), NotifyError>;
    /// Stops delivering to subscribers.
    async fn close(&self) {}
}
