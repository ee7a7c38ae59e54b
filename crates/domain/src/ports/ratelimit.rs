use async_trait::async_trait;

use super::StoreError;
use crate::ratelimit::{Decision, Quota};

/// Counts requests per key with GCRA ([`crate::ratelimit::gcra`]); shared across replicas when
/// the adapter is (Redis).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `cost` units against `key` if it is allowed.
    async fn check(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError>;
    /// Whether one more request would be allowed, without counting it.
    async fn peek(&self, key: &str, quota: Quota) -> Result<Decision, StoreError>;
    /// Gives back `cost` units counted earlier (a reserved attempt that turned out not to count).
    async fn refund(&self, key: &str, quota: Quota, cost: u32) -> Result<(), StoreError>;
}
