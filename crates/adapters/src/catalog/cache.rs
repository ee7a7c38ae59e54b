//! The catalog's two-level cache: L1 in process (moka, 60 s) in front of L2 in Redis (1 h), in
//! front of the database.
//!
//! Correctness rules, each guarding a known cache-aside race:
//! * **Epochs** — every invalidation bumps an epoch (per product stripe, and one for all list
//!   pages), and the epoch is part of the L1 key. A request after a write therefore neither hits
//!   an old entry nor joins a load that began before the write; such loads land under a key
//!   nobody asks for any more and age out.
//! * **L2 writes are conditional** — a Lua script stores a loaded value only if the Redis-side
//!   epoch is still the one read before loading; invalidation bumps it atomically.
//! * **L1 only while subscribed** — with Redis configured, L1 is trusted only while this replica
//!   receives the invalidation channel; if the subscription drops, L1 is bypassed and flushed.
//! * **Redis down** — reads fall back to the database (metric `cache_l2_errors_total`); a write
//!   whose invalidation could not reach Redis marks L2 dirty, and L2 is bypassed until a full
//!   generation bump succeeds.
//! * **Single flight** — concurrent misses of one key share one load (moka `try_get_with`).

use std::{
    hash::{Hash, Hasher},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use agora_domain::{
    catalog::Product,
    paging::Page,
    ports::{CatalogCache, Load, StoreError},
};
use async_trait::async_trait;
use futures::StreamExt;
use moka::future::Cache;
use redis::{aio::ConnectionManager, Script};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

/// How long L1 keeps an entry.
pub const L1_TTL: Duration = Duration::from_secs(60);
/// How long L2 keeps an entry.
pub const L2_TTL: Duration = Duration::from_secs(3600);
const STRIPES: usize = 1024;
const L1_CAPACITY: u64 = 10_000;

#[derive(Clone, Serialize, Deserialize)]
enum Value {
    Product(Option<Product>),
    Page(Arc<Page<Product>>),
}

/// Which epoch guards a key.
#[derive(Clone, Copy)]
enum Guard {
    Product(Uuid),
    Lists,
}

struct Epochs {
    products: Vec<AtomicU64>,
    lists: AtomicU64,
}

impl Epochs {
    fn new() -> Self {
        Self {
            products: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            lists: AtomicU64::new(0),
        }
    }

    fn stripe(id: Uuid) -> usize {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut hasher);
        (hasher.finish() as usize) % STRIPES
    }

    fn current(&self, guard: Guard) -> u64 {
        match guard {
            Guard::Product(id) => self.products[Self::stripe(id)].load(Ordering::SeqCst),
            Guard::Lists => self.lists.load(Ordering::SeqCst),
        }
    }

    fn bump_product(&self, id: Uuid) {
        self.products[Self::stripe(id)].fetch_add(1, Ordering::SeqCst);
        self.lists.fetch_add(1, Ordering::SeqCst);
    }

    fn bump_all(&self) {
        for stripe in &self.products {
            stripe.fetch_add(1, Ordering::SeqCst);
        }
        self.lists.fetch_add(1, Ordering::SeqCst);
    }
}

/// KEYS: gen, epoch, value-key-suffix. Reads `<gen>` and the guard epoch, then the value stored
/// under them. Returns {gen, epoch, value|false}.
const READ_LUA: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
local epoch = redis.call('GET', KEYS[2]) or '0'
local value = redis.call('GET', ARGV[1] .. gen .. ':' .. epoch .. ':' .. ARGV[2])
return {gen, epoch, value}
";

/// Stores ARGV[3] only if gen and epoch are still ARGV[4], ARGV[5] (nothing invalidated since
/// the read).
const WRITE_LUA: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
local epoch = redis.call('GET', KEYS[2]) or '0'
if gen ~= ARGV[4] or epoch ~= ARGV[5] then return 0 end
redis.call('SET', ARGV[1] .. gen .. ':' .. epoch .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[6])
return 1
";

struct L2 {
    conn: ConnectionManager,
    prefix: String,
    read: Script,
    write: Script,
    /// An invalidation could not reach Redis: L2 may hold stale values until a generation bump.
    dirty: AtomicBool,
}

impl L2 {
    fn gen_key(&self) -> String {
        format!("{}catalog:gen", self.prefix)
    }

    fn epoch_key(&self, guard: Guard) -> String {
        match guard {
            Guard::Product(id) => format!("{}catalog:epoch:product:{id}", self.prefix),
            Guard::Lists => format!("{}catalog:epoch:lists", self.prefix),
        }
    }

    fn channel(&self) -> String {
        format!("{}catalog:invalidate", self.prefix)
    }

    /// Clears the dirty mark by retiring every L2 value (a generation bump); false when Redis is
    /// still unreachable.
    async fn usable(&self) -> bool {
        if !self.dirty.load(Ordering::SeqCst) {
            return true;
        }
        let mut conn = self.conn.clone();
        let bumped: redis::RedisResult<i64> = redis::cmd("INCR")
            .arg(self.gen_key())
            .query_async(&mut conn)
            .await;
        if bumped.is_ok() {
            self.dirty.store(false, Ordering::SeqCst);
            tracing::info!("catalog L2 cache flushed after a missed invalidation");
        }
        bumped.is_ok()
    }

    async fn get<T: DeserializeOwned>(
        &self,
        guard: Guard,
        key: &str,
    ) -> redis::RedisResult<(String, String, Option<T>)> {
        let mut conn = self.conn.clone();
        let (gen, epoch, raw): (String, String, Option<Vec<u8>>) = self
            .read
            .key(self.gen_key())
            .key(self.epoch_key(guard))
            .arg(format!("{}catalog:v:", self.prefix))
            .arg(key)
            .invoke_async(&mut conn)
            .await?;
        Ok((
            gen,
            epoch,
            raw.and_then(|bytes| serde_json::from_slice(&bytes).ok()),
        ))
    }

    async fn put(
        &self,
        guard: Guard,
        key: &str,
        value: &Value,
        gen: &str,
        epoch: &str,
    ) -> redis::RedisResult<()> {
        let Ok(bytes) = serde_json::to_vec(value) else {
            return Ok(());
        };
        let mut conn = self.conn.clone();
        let _: i64 = self
            .write
            .key(self.gen_key())
            .key(self.epoch_key(guard))
            .arg(format!("{}catalog:v:", self.prefix))
            .arg(key)
            .arg(bytes)
            .arg(gen)
            .arg(epoch)
            .arg(L2_TTL.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn invalidate(&self, id: Uuid) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        redis::pipe()
            .atomic()
            .incr(self.epoch_key(Guard::Product(id)), 1)
            .expire(
                self.epoch_key(Guard::Product(id)),
                L2_TTL.as_secs() as i64 * 2,
            )
            .incr(self.epoch_key(Guard::Lists), 1)
            .publish(self.channel(), id.to_string())
            .query_async::<()>(&mut conn)
            .await
    }
}

/// Cache-aside over L1 and (optionally) L2 for catalog reads.
pub struct LayeredCatalogCache {
    l1: Cache<String, Value>,
    epochs: Arc<Epochs>,
    l2: Option<Arc<L2>>,
    /// False while a configured Redis subscription is down: L1 could miss invalidations.
    l1_trusted: Arc<AtomicBool>,
    subscriber: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for LayeredCatalogCache {
    fn drop(&mut self) {
        if let Some(task) = self.subscriber.take() {
            task.abort();
        }
    }
}

fn l1() -> Cache<String, Value> {
    Cache::builder()
        .max_capacity(L1_CAPACITY)
        .time_to_live(L1_TTL)
        .build()
}

impl LayeredCatalogCache {
    /// L1 only (one replica, no Redis).
    pub fn in_process() -> Self {
        Self {
            l1: l1(),
            epochs: Arc::new(Epochs::new()),
            l2: None,
            l1_trusted: Arc::new(AtomicBool::new(true)),
            subscriber: None,
        }
    }

    /// L1 + L2 in Redis, with cross-replica L1 invalidation over Redis pub/sub.
    pub fn with_redis(client: redis::Client, conn: ConnectionManager, prefix: &str) -> Self {
        let l2 = Arc::new(L2 {
            conn,
            prefix: prefix.to_owned(),
            read: Script::new(READ_LUA),
            write: Script::new(WRITE_LUA),
            dirty: AtomicBool::new(false),
        });
        let epochs = Arc::new(Epochs::new());
        let l1_trusted = Arc::new(AtomicBool::new(false));
        let subscriber = tokio::spawn(subscribe(
            client,
            l2.channel(),
            epochs.clone(),
            l1_trusted.clone(),
        ));
        Self {
            l1: l1(),
            epochs,
            l2: Some(l2),
            l1_trusted,
            subscriber: Some(subscriber),
        }
    }

    /// Whether L1 is currently in use (for readiness and tests).
    pub fn l1_active(&self) -> bool {
        self.l1_trusted.load(Ordering::SeqCst)
    }

    async fn get_or_load<'a>(
        &'a self,
        guard: Guard,
        key: String,
        load: Load<'a, Value>,
    ) -> Result<Value, StoreError> {
        // The epoch is part of the L1 key: after a write, requests look up (and load) a new key,
        // so they can neither hit an old entry nor join a load that began before the write.
        let epoch = self.epochs.current(guard);
        let l1_key = format!("{key}@{epoch}");
        if !self.l1_trusted.load(Ordering::SeqCst) {
            return self.load_through_l2(guard, &key, load).await;
        }
        if let Some(value) = self.l1.get(&l1_key).await {
            metrics::counter!("cache_hits_total", "cache" => "catalog", "level" => "l1")
                .increment(1);
            return Ok(value);
        }
        // Concurrent misses of the same key (and epoch) wait for this one load.
        let init = self.load_through_l2(guard, &key, load);
        self.l1
            .try_get_with(l1_key, init)
            .await
            .map_err(|error| match &*error {
                StoreError::Unavailable(message) => StoreError::Unavailable(message.clone()),
                other => StoreError::Other(other.to_string().into()),
            })
    }

    async fn load_through_l2<'a>(
        &'a self,
        guard: Guard,
        key: &str,
        load: Load<'a, Value>,
    ) -> Result<Value, StoreError> {
        let Some(l2) = self.l2.as_ref() else {
            metrics::counter!("cache_misses_total", "cache" => "catalog").increment(1);
            return load.await;
        };
        if !l2.usable().await {
            metrics::counter!("cache_l2_errors_total", "cache" => "catalog").increment(1);
            return load.await;
        }
        match l2.get::<Value>(guard, key).await {
            Ok((_, _, Some(value))) => {
                metrics::counter!("cache_hits_total", "cache" => "catalog", "level" => "l2")
                    .increment(1);
                Ok(value)
            }
            Ok((gen, epoch, None)) => {
                metrics::counter!("cache_misses_total", "cache" => "catalog").increment(1);
                let value = load.await?;
                if let Err(error) = l2.put(guard, key, &value, &gen, &epoch).await {
                    metrics::counter!("cache_l2_errors_total", "cache" => "catalog").increment(1);
                    tracing::warn!(%error, "catalog L2 write failed");
                }
                Ok(value)
            }
            Err(error) => {
                metrics::counter!("cache_l2_errors_total", "cache" => "catalog").increment(1);
                tracing::warn!(%error, "catalog L2 unavailable; reading from the database");
                load.await
            }
        }
    }
}

/// Receives invalidations from every replica (including this one). While not subscribed, L1 is
/// untrusted; every (re)subscription starts from a flushed L1.
async fn subscribe(
    client: redis::Client,
    channel: String,
    epochs: Arc<Epochs>,
    trusted: Arc<AtomicBool>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = match client.get_async_pubsub().await {
            Ok(mut pubsub) => pubsub.subscribe(&channel).await.map(|()| pubsub).ok(),
            Err(_) => None,
        };
        if let Some(mut pubsub) = connected {
            epochs.bump_all();
            trusted.store(true, Ordering::SeqCst);
            backoff = Duration::from_millis(100);
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                match message
                    .get_payload::<String>()
                    .ok()
                    .and_then(|id| Uuid::parse_str(&id).ok())
                {
                    Some(id) => epochs.bump_product(id),
                    None => epochs.bump_all(),
                }
            }
            tracing::warn!("catalog invalidation channel lost; bypassing L1 until resubscribed");
        }
        trusted.store(false, Ordering::SeqCst);
        epochs.bump_all();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn unexpected(kind: &str) -> StoreError {
    StoreError::Other(format!("catalog cache held a {kind} under the other kind's key").into())
}

#[async_trait]
impl CatalogCache for LayeredCatalogCache {
    async fn product<'a>(
        &'a self,
        id: Uuid,
        load: Load<'a, Option<Product>>,
    ) -> Result<Option<Product>, StoreError> {
        let load: Load<'a, Value> = Box::pin(async move { load.await.map(Value::Product) });
        match self
            .get_or_load(Guard::Product(id), format!("product:{id}"), load)
            .await?
        {
            Value::Product(product) => Ok(product),
            Value::Page(_) => Err(unexpected("page")),
        }
    }

    async fn page<'a>(
        &'a self,
        key: &'a str,
        load: Load<'a, Page<Product>>,
    ) -> Result<Arc<Page<Product>>, StoreError> {
        let load: Load<'a, Value> =
            Box::pin(async move { load.await.map(|page| Value::Page(Arc::new(page))) });
        match self
            .get_or_load(Guard::Lists, format!("page:{key}"), load)
            .await?
        {
            Value::Page(page) => Ok(page),
            Value::Product(_) => Err(unexpected("product")),
        }
    }

    async fn cached_products(&self, ids: &[Uuid]) -> Vec<(Uuid, Option<Product>)> {
        // L1 only, under the same epoch keys as `product`: a hit here is exactly what a single
        // read would have served. L2 is skipped (one Redis round trip per id would cost more
        // than the one query for the misses); misses are not stored, so no load can race a write.
        if !self.l1_trusted.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let mut hits = Vec::new();
        for &id in ids {
            let epoch = self.epochs.current(Guard::Product(id));
            if let Some(Value::Product(product)) =
                self.l1.get(&format!("product:{id}@{epoch}")).await
            {
                metrics::counter!("cache_hits_total", "cache" => "catalog", "level" => "l1")
                    .increment(1);
                hits.push((id, product));
            } else {
                metrics::counter!("cache_misses_total", "cache" => "catalog").increment(1);
            }
        }
        hits
    }

    async fn invalidate_product(&self, id: Uuid) {
        // New epochs make every existing L1 entry of this product and of the lists unreachable.
        self.epochs.bump_product(id);
        if let Some(l2) = &self.l2 {
            if let Err(error) = l2.invalidate(id).await {
                l2.dirty.store(true, Ordering::SeqCst);
                metrics::counter!("cache_l2_errors_total", "cache" => "catalog").increment(1);
                tracing::warn!(%error, "catalog invalidation could not reach Redis; L2 bypassed until flushed");
            }
        }
    }
}

/// No caching at all: every read goes to the database (`catalog_cache = false`; benchmarks and
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
        load: Load<'a, Page<Product>>,
    ) -> Result<Arc<Page<Product>>, StoreError> {
        load.await.map(Arc::new)
    }

    async fn invalidate_product(&self, _: Uuid) {}
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

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

    #[tokio::test]
    async fn batch_lookups_answer_only_what_l1_holds_for_the_current_epoch() {
        let cache = LayeredCatalogCache::in_process();
        let (known, cold) = (Uuid::now_v7(), Uuid::now_v7());
        // Products share epochs by stripe: keep `absent` out of `known`'s.
        let absent = std::iter::repeat_with(Uuid::now_v7)
            .find(|id| Epochs::stripe(*id) != Epochs::stripe(known))
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

    #[tokio::test]
    async fn a_load_that_started_before_an_invalidation_is_not_served_after_it() {
        let cache = Arc::new(LayeredCatalogCache::in_process());
        let id = Uuid::now_v7();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .page(
                        "k",
                        Box::pin(async move {
                            let _ = started_tx.send(());
                            let _ = release_rx.await;
                            Ok(Page {
                                items: vec![],
                                total: 1,
                            })
                        }),
                    )
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
                    .page(
                        "k",
                        Box::pin(async {
                            Ok(Page {
                                items: vec![],
                                total: 2,
                            })
                        }),
                    )
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
            .page(
                "k",
                Box::pin(async {
                    Ok(Page {
                        items: vec![],
                        total: 3,
                    })
                }),
            )
            .await
            .unwrap();
        assert_eq!(
            later.total, 2,
            "and the post-write value is what stays cached"
        );
    }
}
