use std::{future::Future, pin::Pin};

use async_trait::async_trait;

use super::StoreError;

/// A deferred load, run by the cache only on a miss.
pub type Load<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Cache-aside with group invalidation: a value is cached under a key and tagged; invalidating a
/// tag forgets every value carrying it — in this process and, when the deployment shares a cache
/// (Redis), in every replica. Concurrent misses of one key share one load, and a load that began
/// before an invalidation of one of its tags is never served after it.
#[async_trait]
pub trait TaggedCache<V: Clone + Send + Sync + 'static>: Send + Sync {
    /// The value of `key`, from cache or `load`; `tags` are the groups it belongs to (pass the
    /// same tags for the same key every time).
    async fn get_or_load<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        load: Load<'a, V>,
    ) -> Result<V, StoreError>;
    /// Forgets every value carrying one of `tags`, here and on every replica. Call it after the
    /// change committed (`Tx::after_commit_async`), or a reader may cache the old value again.
    async fn invalidate_tags(&self, tags: &[&str]);
}
