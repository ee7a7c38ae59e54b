//! The generic two-level cache: L1 in process (moka) in front of an optional L2 in Redis, in
//! front of the loader (usually the database). Every cache of the process (catalog, flags) is one
//! of these; each guards against the same cache-aside races once:
//! * **Tags and epochs** — a value carries tags; invalidating a tag bumps its epoch, and the
//!   combined epoch of a value's tags is part of its L1 key. A request after a write therefore
//!   neither hits an old entry nor joins a load that began before the write; such loads land
//!   under a key nobody asks for any more and age out.
//! * **Single flight** — concurrent misses of one key share one load (moka `try_get_with`).
//! * **Conditional L2 writes** — see [`l2`]; a write whose invalidation could not reach Redis
//!   marks L2 dirty, and L2 is bypassed until a generation bump succeeds.
//! * **Cross-replica invalidation** — invalidations are published on `<prefix><name>:invalidate`
//!   through the process's [`RedisManager`]; every replica (this one too) bumps the tags' epochs.
//!   While that subscription is down L1 is bypassed, and every (re)subscription starts from a
//!   flushed L1, since pub/sub loses what is published while disconnected.
//!
//! # Freshness across replicas (what is and is not guaranteed)
//!
//! For a read on replica B that starts after a write through replica A returned:
//! * **A** and **L2** are fresh at once: A bumps its own epochs before publishing, and the
//!   Redis-side epochs are bumped in the same `MULTI` as the `PUBLISH`, before A answers.
//! * **B's L1** is fresh once the message has been *dispatched* on B (Redis → B's pub/sub
//!   connection → the manager's loop). Until then B may answer the old value from L1 (or from a
//!   load it began before the write, which then lands in L1): pub/sub is fast, but nothing waits
//!   for it. Nothing per read checks Redis, on purpose: that would put a
//!   network round trip (≈100 µs locally) in front of every L1 hit (< 1 µs).
//! * A message **lost on a connection that stays up** (e.g. a half-open TCP connection) ends its
//!   effect when the keepalive notices (≤ 12 s, then L1 is bypassed and flushed) and, in any case,
//!   when B's entry reaches its L1 TTL: **the L1 TTL bounds how long B answers from L1 without
//!   having seen an invalidation**. After it, B reads L2 or the loader, which know the write.
//! * A **dropped connection**: L1 is bypassed from the moment B notices and flushed on
//!   resubscription.
//! * An invalidation that **never reached Redis** (A could not): B's L1 as above (its TTL);
//!   L2 keeps the old value until A's next L2 use bumps the generation (A marked it dirty) or
//!   the L2 TTL.
//!
//! The tests hold a message back with the manager's test API
//! ([`RedisManager::hold_back`](crate::redis::RedisManager), test builds only) and check both
//! ends: stale while held, fresh on delivery, and fresh after the L1 TTL without delivery.

mod build;
mod epochs;
mod l2;
#[cfg(test)]
mod tests;

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use agora_domain::ports::{Load, StoreError, TaggedCache};
use async_trait::async_trait;
use moka::future::Cache;
use serde::{de::DeserializeOwned, Serialize};

pub use self::build::Build;
pub(crate) use self::epochs::Epochs;
use self::l2::L2;
use crate::redis::{PubSubEvent, RedisManager};

/// No caching: every read loads (a cache switched off by configuration, e.g.
/// `identity.session_cache_ttl = 0s`), and there is nothing to invalidate.
#[derive(Debug, Default, Clone, Copy)]
pub struct Uncached;

#[async_trait]
impl<V: Clone + Send + Sync + 'static> TaggedCache<V> for Uncached {
    async fn get_or_load<'a>(
        &'a self,
        _key: &'a str,
        _tags: &'a [&'a str],
        load: Load<'a, V>,
    ) -> Result<V, StoreError> {
        load.await
    }

    async fn invalidate_tags(&self, _tags: &[&str]) {}
}

/// How values travel to and from L2.
struct Codec<V> {
    encode: fn(&V) -> Option<Vec<u8>>,
    decode: fn(&[u8]) -> Option<V>,
}

/// Settings of one cache.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// Names the cache in metrics (`cache` label) and in Redis keys and channels.
    pub name: &'static str,
    /// How long L1 keeps an entry.
    pub l1_ttl: Duration,
    /// How many entries L1 keeps at most.
    pub l1_capacity: u64,
}

/// A two-level, tag-invalidated, single-flight cache of `V`. See the module docs.
pub struct TwoLevelCache<V> {
    name: &'static str,
    l1: Cache<String, V>,
    epochs: Arc<Epochs>,
    l2: Option<(L2, Codec<V>)>,
    /// Where invalidations are broadcast, when Redis is configured.
    broadcast: Option<(RedisManager, String)>,
    /// False while a configured subscription is down: L1 could miss invalidations.
    trusted: Arc<AtomicBool>,
    /// `cache_hits_total{level="l1"}`, resolved at the first hit (the recorder is installed by
    /// then) instead of looking its labels up in the registry on every hit: the hot path of a
    /// cached catalog read.
    l1_hits: OnceLock<metrics::Counter>,
}

impl<V: Clone + Send + Sync + 'static> TwoLevelCache<V> {
    /// L1 only, nobody else to tell (one process, no Redis).
    pub fn in_process(settings: &CacheSettings) -> Self {
        Self {
            name: settings.name,
            l1: Cache::builder()
                .max_capacity(settings.l1_capacity)
                .time_to_live(settings.l1_ttl)
                .build(),
            epochs: Arc::new(Epochs::new()),
            l2: None,
            broadcast: None,
            trusted: Arc::new(AtomicBool::new(true)),
            l1_hits: OnceLock::new(),
        }
    }

    fn count_l1_hit(&self) {
        self.l1_hits
            .get_or_init(
                || metrics::counter!("cache_hits_total", "cache" => self.name, "level" => "l1"),
            )
            .increment(1);
    }

    /// L1 kept coherent with every replica through `redis` pub/sub (no L2: for small values
    /// read so often that a network hop per read would cost more than the database read saved).
    pub async fn replicated(settings: &CacheSettings, redis: &RedisManager) -> Self {
        let mut cache = Self::in_process(settings);
        cache.trusted.store(false, Ordering::SeqCst);
        let channel = redis.key(&format!("{}:invalidate", settings.name));
        let (epochs, trusted) = (cache.epochs.clone(), cache.trusted.clone());
        redis
            .subscribe(
                &channel,
                Arc::new(move |event| match event {
                    PubSubEvent::Message(payload) => {
                        match serde_json::from_slice::<Vec<String>>(payload) {
                            Ok(tags) => epochs.bump(&tags),
                            Err(_) => epochs.bump_all(),
                        }
                    }
                    // Flush first, then trust: a reader in between finds nothing old.
                    PubSubEvent::Subscribed => {
                        epochs.bump_all();
                        trusted.store(true, Ordering::SeqCst);
                    }
                    PubSubEvent::Lost => {
                        trusted.store(false, Ordering::SeqCst);
                        epochs.bump_all();
                    }
                }),
            )
            .await;
        cache.broadcast = Some((redis.clone(), channel));
        cache
    }

    /// Whether L1 is in use: always without Redis; with Redis only while subscribed.
    pub fn l1_active(&self) -> bool {
        self.trusted.load(Ordering::SeqCst)
    }

    /// What L1 holds for `key` under the current epoch of `tags` — exactly what
    /// [`TaggedCache::get_or_load`] would serve from L1 — without loading or counting anything
    /// on a miss. `None` while L1 is not trusted.
    pub async fn peek_l1(&self, key: &str, tags: &[&str]) -> Option<V> {
        if !self.trusted.load(Ordering::SeqCst) {
            return None;
        }
        let value = self
            .l1
            .get(&format!("{key}@{}", self.epochs.current(tags)))
            .await;
        if value.is_some() {
            self.count_l1_hit();
        }
        value
    }

    async fn load_through_l2<'a>(
        &'a self,
        key: &str,
        tags: &[&str],
        load: Load<'a, V>,
    ) -> Result<V, StoreError> {
        let name = self.name;
        let Some((l2, codec)) = &self.l2 else {
            metrics::counter!("cache_misses_total", "cache" => name).increment(1);
            return load.await;
        };
        if !l2.usable().await {
            metrics::counter!("cache_l2_errors_total", "cache" => name).increment(1);
            return load.await;
        }
        match l2.get(&[key], tags).await {
            Ok(read) => {
                if let Some(value) = read.values[0].as_deref().and_then(codec.decode) {
                    metrics::counter!("cache_hits_total", "cache" => name, "level" => "l2")
                        .increment(1);
                    return Ok(value);
                }
                metrics::counter!("cache_misses_total", "cache" => name).increment(1);
                let value = load.await?;
                if let Some(bytes) = (codec.encode)(&value) {
                    self.put_l2(l2, &[(key, bytes)], tags, &read).await;
                }
                Ok(value)
            }
            Err(error) => {
                metrics::counter!("cache_l2_errors_total", "cache" => name).increment(1);
                tracing::warn!(%error, cache = name, "L2 unavailable; loading directly");
                load.await
            }
        }
    }
}

impl<V: Clone + Send + Sync + 'static> TwoLevelCache<V> {
    async fn put_l2(&self, l2: &L2, writes: &[(&str, Vec<u8>)], tags: &[&str], read: &l2::Read) {
        if let Err(error) = l2.put(writes, tags, read).await {
            metrics::counter!("cache_l2_errors_total", "cache" => self.name).increment(1);
            tracing::warn!(%error, cache = self.name, "L2 write failed");
        }
    }

    /// L1 in front of `miss` (the L2 path): a hit under the tags' current epochs, or one shared
    /// `miss` for concurrent callers; `miss` alone while L1 is not trusted.
    async fn through_l1<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        miss: impl Future<Output = Result<V, StoreError>> + Send + 'a,
    ) -> Result<V, StoreError> {
        if !self.trusted.load(Ordering::SeqCst) {
            return miss.await;
        }
        let l1_key = format!("{key}@{}", self.epochs.current(tags));
        if let Some(value) = self.l1.get(&l1_key).await {
            self.count_l1_hit();
            return Ok(value);
        }
        // Concurrent misses of the same key (and epoch) wait for this one load.
        self.l1
            .try_get_with(l1_key, miss)
            .await
            .map_err(|error| match &*error {
                StoreError::Unavailable(message) => StoreError::Unavailable(message.clone()),
                other => StoreError::Other(other.to_string().into()),
            })
    }
}

impl<V: Clone + Send + Sync + Serialize + DeserializeOwned + 'static> TwoLevelCache<V> {
    /// L1 + L2 in Redis (values kept `l2_ttl`), with cross-replica invalidation.
    pub async fn with_l2(settings: &CacheSettings, redis: &RedisManager, l2_ttl: Duration) -> Self {
        let mut cache = Self::replicated(settings, redis).await;
        cache.l2 = Some((
            L2::new(redis.clone(), settings.name, l2_ttl),
            Codec {
                encode: |value| serde_json::to_vec(value).ok(),
                decode: |bytes| serde_json::from_slice(bytes).ok(),
            },
        ));
        cache
    }
}

#[async_trait]
impl<V: Clone + Send + Sync + 'static> TaggedCache<V> for TwoLevelCache<V> {
    async fn get_or_load<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        load: Load<'a, V>,
    ) -> Result<V, StoreError> {
        let miss = self.load_through_l2(key, tags, load);
        self.through_l1(key, tags, miss).await
    }

    async fn invalidate_tags(&self, tags: &[&str]) {
        // New epochs make every existing L1 entry with these tags unreachable, at once.
        self.epochs.bump(tags);
        let Some((redis, channel)) = &self.broadcast else {
            return;
        };
        let message = serde_json::to_vec(tags).unwrap_or_default();
        let outcome = match &self.l2 {
            Some((l2, _)) => l2.invalidate(tags, channel, &message).await,
            None => {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(&message)
                    .query_async::<()>(&mut redis.commands())
                    .await
            }
        };
        // Again once Redis has the write: a load that began between the first bump and the
        // Redis-side bump read the old L2 and stored it under the first bump's key, which this
        // makes unreachable (this replica must be fresh as soon as the write returns).
        self.epochs.bump(tags);
        if let Err(error) = outcome {
            metrics::counter!("cache_l2_errors_total", "cache" => self.name).increment(1);
            if let Some((l2, _)) = &self.l2 {
                l2.mark_dirty();
            }
            // Other replicas miss this one; their subscription is likely down too (same Redis),
            // and then they bypass L1 and flush it on resubscribing.
            tracing::warn!(%error, cache = self.name, "invalidation could not reach Redis; L2 bypassed until flushed");
        }
    }
}
