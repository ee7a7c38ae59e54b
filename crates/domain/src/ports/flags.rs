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

/// Published by flags: whether a flag is on for a subject, for other contexts' server-side
/// decisions (orders' `new-checkout-flow`). An unknown flag, or a flag store that cannot be read,
/// is off: a flag guards new behaviour and the old one is the safe fallback.
#[async_trait]
pub trait FeatureGate: Send + Sync {
    /// Whether `key` is on for `subject` (stable per subject: bucketing hashes key + id).
    async fn is_enabled(&self, key: &str, subject: &crate::flags::Subject) -> bool;
}
