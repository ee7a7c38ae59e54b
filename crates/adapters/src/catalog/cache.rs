//! The catalog's cache: the generic [`TwoLevelCache`] (L1 in process, 60 s; L2 in Redis, 1 h)
//! with the catalog's tags. A product is tagged `product:<id>`, every list page and every
//! filter's count `lists`; a product write invalidates both, because any page may contain the
//! product and any count may include it. The races each rule closes are described in
//! [`crate::cache`].

use std::{sync::Arc, time::Duration};

use agora_domain::{
    catalog::Product,
    paging::Page,
    ports::{load_page, CatalogCache, Load, StoreError, TaggedCache},
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    cache::{Build, CacheSettings, TwoLevelCache},
    redis::RedisManager,
};

/// How long L1 keeps an entry.
pub const L1_TTL: Duration = Duration::from_secs(60);
/// How long L2 keeps an entry.
pub const L2_TTL: Duration = Duration::from_secs(3600);
const SETTINGS: CacheSettings = CacheSettings {
    name: "catalog",
    l1_ttl: L1_TTL,
    l1_capacity: 10_000,
};
/// The tag of every list page.
const LISTS: &str = "lists";

#[derive(Clone, Serialize, Deserialize)]
enum Value {
    Product(Option<Product>),
    Page(Arc<Page<Product>>),
    Total(u64),
}

/// Cache-aside over L1 and (optionally) L2 for catalog reads.
pub struct LayeredCatalogCache(TwoLevelCache<Value>);

impl LayeredCatalogCache {
    /// L1 only (one replica, no Redis).
    pub fn in_process() -> Self {
        Self(TwoLevelCache::in_process(&SETTINGS))
    }

    /// L1 + L2 in Redis, with cross-replica L1 invalidation over the manager's pub/sub.
    pub async fn with_redis(redis: &RedisManager) -> Self {
        Self::new(Some(redis), L1_TTL).await
    }

    /// L1 kept `l1_ttl` (`catalog.l1_ttl`), plus L2 when `redis` is given. With Redis, `l1_ttl`
    /// is also how long another replica may serve a value whose invalidation message was lost
    /// on a connection that stays up (see [`crate::cache`], "Freshness across replicas").
    pub async fn new(redis: Option<&RedisManager>, l1_ttl: Duration) -> Self {
        let settings = CacheSettings { l1_ttl, ..SETTINGS };
        match redis {
            Some(redis) => Self(TwoLevelCache::with_l2(&settings, redis, L2_TTL).await),
            None => Self(TwoLevelCache::in_process(&settings)),
        }
    }

    /// Whether L1 is currently in use (for readiness and tests).
    pub fn l1_active(&self) -> bool {
        self.0.l1_active()
    }
}

fn unexpected(wanted: &str) -> StoreError {
    StoreError::Other(format!("catalog cache held something else under a {wanted}'s key").into())
}

#[async_trait]
impl CatalogCache for LayeredCatalogCache {
    async fn product<'a>(
        &'a self,
        id: Uuid,
        load: Load<'a, Option<Product>>,
    ) -> Result<Option<Product>, StoreError> {
        let load: Load<'a, Value> = Box::pin(async move { load.await.map(Value::Product) });
        let key = format!("product:{id}");
        match self.0.get_or_load(&key, &[&key], load).await? {
            Value::Product(product) => Ok(product),
            _ => Err(unexpected("product")),
        }
    }

    async fn page<'a>(
        &'a self,
        key: &'a str,
        count_key: &'a str,
        count: Load<'a, u64>,
        items: Load<'a, Vec<Product>>,
    ) -> Result<Arc<Page<Product>>, StoreError> {
        let (key, count_key) = (format!("page:{key}"), format!("total:{count_key}"));
        let count: Load<'_, Value> = Box::pin(async move { count.await.map(Value::Total) });
        let build: Build<'_, Value> = Box::new(move |total| {
            Box::pin(async move {
                let Value::Total(total) = total else {
                    return Err(unexpected("total"));
                };
                let items = items.await?;
                Ok(Value::Page(Arc::new(Page { items, total })))
            })
        });
        // Tagged like the pages: every product write may change any filter's count.
        match self
            .0
            .get_or_build(&key, &[LISTS], &count_key, count, build)
            .await?
        {
            Value::Page(page) => Ok(page),
            _ => Err(unexpected("page")),
        }
    }

    async fn cached_products(&self, ids: &[Uuid]) -> Vec<(Uuid, Option<Product>)> {
        // L1 only, under the same epoch keys as `product`: a hit here is exactly what a single
        // read would have served. L2 is skipped (one Redis round trip per id would cost more
        // than the one query for the misses); misses are not stored, so no load can race a write.
        let mut hits = Vec::new();
        for &id in ids {
            let key = format!("product:{id}");
            if let Some(Value::Product(product)) = self.0.peek_l1(&key, &[&key]).await {
                hits.push((id, product));
            }
        }
        hits
    }

    async fn invalidate_product(&self, id: Uuid) {
        // Any list page may contain the product, so the pages go with it.
        self.0
            .invalidate_tags(&[&format!("product:{id}"), LISTS])
            .await;
    }
}

/// No caching at all: every read goes to the database (`catalog.cache = false`; benchmarks and
/// debugging).
#[derive(Debug, Default)]
pub struct NoCatalogCache;

#[async_trait]
impl CatalogCache for NoCatalogCache {
    async fn product<'a>(
        &'a self,
        _: Uuid,
        load: Load<'a, Option<Product>>,
    ) -> Result<Option<Product>, StoreError> {
        load.await
    }

    async fn page<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        count: Load<'a, u64>,
        items: Load<'a, Vec<Product>>,
    ) -> Result<Arc<Page<Product>>, StoreError> {
        load_page(count, items).await
    }

    async fn invalidate_product(&self, _: Uuid) {}
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_misses_load_once_and_invalidation_reloads() {
        let cache = Arc::new(LayeredCatalogCache::in_process());
        let loads = Arc::new(AtomicUsize::new(0));
        let id = Uuid::now_v7();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                tokio::spawn(async move {
                    cache
                        .product(
                            id,
                            Box::pin(async move {
                                loads.fetch_add(1, Ordering::SeqCst);
                                // sleep: keeps the load in flight while the others arrive
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                Ok(None)
                            }),
                        )
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            loads.load(Ordering::SeqCst),
            1,
            "one loader for 100 concurrent misses"
        );
        cache.invalidate_product(id).await;
        let reloads = loads.clone();
        cache
            .product(
                id,
                Box::pin(async move {
                    reloads.fetch_add(1, Ordering::SeqCst);
                    Ok(None)
                }),
            )
            .await
            .unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    /// The total of `cache`'s page `key` of the filter `count_key`, counting each count in
    /// `counts`.
    async fn total_of(
        cache: &LayeredCatalogCache,
        (key, count_key): (&str, &str),
        counts: &AtomicUsize,
        answer: u64,
    ) -> u64 {
        let count = Box::pin(async move {
            counts.fetch_add(1, Ordering::SeqCst);
            Ok(answer)
        });
        let page = cache.page(key, count_key, count, no_rows()).await.unwrap();
        page.total
    }

    #[tokio::test]
    async fn a_filters_total_is_counted_once_and_forgotten_with_the_pages() {
        let cache = LayeredCatalogCache::in_process();
        let counts = AtomicUsize::new(0);
        assert_eq!(total_of(&cache, ("p1", "[Active]"), &counts, 7).await, 7);
        assert_eq!(total_of(&cache, ("p2", "[Active]"), &counts, 99).await, 7);
        assert_eq!(
            counts.load(Ordering::SeqCst),
            1,
            "the second page reuses the count"
        );
        assert_eq!(
            total_of(&cache, ("p1s", "[InStock(true)]"), &counts, 3).await,
            3
        );

        // Any product write may change any filter's count.
        cache.invalidate_product(Uuid::now_v7()).await;
        assert_eq!(total_of(&cache, ("p3", "[Active]"), &counts, 8).await, 8);
        assert_eq!(counts.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn batch_lookups_answer_only_what_l1_holds_for_the_current_epoch() {
        let cache = LayeredCatalogCache::in_process();
        let (known, cold) = (Uuid::now_v7(), Uuid::now_v7());
        // Tags share epochs by stripe: keep `absent` out of the stripes invalidating `known`
        // bumps (its own and the list pages'), or the test fails once in `STRIPES` runs.
        let stripe = |id: Uuid| crate::cache::Epochs::stripe(&format!("product:{id}"));
        let lists = crate::cache::Epochs::stripe(LISTS);
        let absent = std::iter::repeat_with(Uuid::now_v7)
            .find(|id| stripe(*id) != stripe(known) && stripe(*id) != lists)
            .unwrap();
        for id in [known, absent] {
            // `known` is cached as absent too: what matters is that the answer is L1's.
            cache
                .product(id, Box::pin(async { Ok(None) }))
                .await
                .unwrap();
        }

        let mut hits = cache.cached_products(&[cold, known, absent]).await;
        hits.sort_by_key(|(id, _)| *id);
        assert_eq!(
            hits,
            vec![(known, None), (absent, None)],
            "`cold` is a miss"
        );

        cache.invalidate_product(known).await;
        let hits = cache.cached_products(&[known, absent]).await;
        assert_eq!(
            hits,
            vec![(absent, None)],
            "a write makes the entry unreachable"
        );
    }

    fn no_rows() -> Load<'static, Vec<Product>> {
        Box::pin(async { Ok(vec![]) })
    }

    #[tokio::test]
    async fn a_load_that_started_before_an_invalidation_is_not_served_after_it() {
        let cache = Arc::new(LayeredCatalogCache::in_process());
        let id = Uuid::now_v7();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let slow_rows = Box::pin(async move {
                    let _ = started_tx.send(());
                    let _ = release_rx.await;
                    Ok(vec![])
                });
                cache
                    .page("k", "c", Box::pin(async { Ok(1) }), slow_rows)
                    .await
            })
        };
        started_rx.await.unwrap();
        cache.invalidate_product(id).await;
        // A request after the write, while the pre-write load is still pending, must not join it.
        let fresh = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .page("k", "c", Box::pin(async { Ok(2) }), no_rows())
                    .await
            })
        };
        let fresh = fresh.await.unwrap().unwrap();
        release_tx.send(()).unwrap();
        assert_eq!(
            slow.await.unwrap().unwrap().total,
            1,
            "the slow caller still gets its answer"
        );
        assert_eq!(
            fresh.total, 2,
            "a value loaded before the write is never served after it"
        );
        let later = cache
            .page("k", "c", Box::pin(async { Ok(3) }), no_rows())
            .await
            .unwrap();
        assert_eq!(
            later.total, 2,
            "and the post-write value is what stays cached"
        );
    }
}
