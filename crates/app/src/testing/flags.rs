//! Fakes of the flag ports: a repository in a map, a cache that counts invalidations, and a
//! feature gate switched per user (for the contexts that ask flags).

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use agora_domain::{
    flags::{FeatureFlag, FlagKey, Subject},
    ports::{FeatureGate, FlagRepository, Load, StoreError, TaggedCache, Tx},
};
use async_trait::async_trait;
use uuid::Uuid;

use super::MemoryDb;
use crate::flags::{FlagSnapshot, Flags, FlagsDeps};

/// Flags in a map; counts reads of the whole list (what the cache saves).
#[derive(Default)]
pub struct MemoryFlags {
    /// The stored flags by key.
    pub flags: Mutex<BTreeMap<String, FeatureFlag>>,
    /// Reads of the whole list.
    pub lists: AtomicUsize,
    /// While set, listing fails as if the store were down.
    pub fail: AtomicBool,
}

#[async_trait]
impl FlagRepository for MemoryFlags {
    async fn list(&self) -> Result<Vec<FeatureFlag>, StoreError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("down".into()));
        }
        Ok(self.flags.lock().unwrap().values().cloned().collect())
    }
    async fn get(&self, key: &FlagKey) -> Result<Option<FeatureFlag>, StoreError> {
        Ok(self.flags.lock().unwrap().get(key.as_str()).cloned())
    }
    async fn find(&self, _: &mut Tx, key: &FlagKey) -> Result<Option<FeatureFlag>, StoreError> {
        self.get(key).await
    }
    async fn insert(&self, _: &mut Tx, flag: &FeatureFlag) -> Result<(), StoreError> {
        let mut flags = self.flags.lock().unwrap();
        if flags.contains_key(flag.key.as_str()) {
            return Err(StoreError::Constraint {
                constraint: "feature_flags_key_key".into(),
            });
        }
        flags.insert(flag.key.as_str().to_owned(), flag.clone());
        Ok(())
    }
    async fn update(&self, _: &mut Tx, flag: &FeatureFlag) -> Result<bool, StoreError> {
        let mut flags = self.flags.lock().unwrap();
        Ok(flags
            .insert(flag.key.as_str().to_owned(), flag.clone())
            .is_some())
    }
    async fn delete(&self, _: &mut Tx, key: &FlagKey) -> Result<bool, StoreError> {
        Ok(self.flags.lock().unwrap().remove(key.as_str()).is_some())
    }
}

/// A cache with a TTL that counts invalidations (what other replicas would be told).
pub struct MemoryCache {
    ttl: Duration,
    entry: Mutex<Option<(Instant, FlagSnapshot)>>,
    /// Invalidations so far.
    pub invalidations: AtomicUsize,
}

#[async_trait]
impl TaggedCache<FlagSnapshot> for MemoryCache {
    async fn get_or_load<'a>(
        &'a self,
        _: &'a str,
        _: &'a [&'a str],
        load: Load<'a, FlagSnapshot>,
    ) -> Result<FlagSnapshot, StoreError> {
        let cached = self.entry.lock().unwrap().clone();
        if let Some((_, flags)) = cached.filter(|(at, _)| at.elapsed() < self.ttl) {
            return Ok(flags);
        }
        let flags = load.await?;
        *self.entry.lock().unwrap() = Some((Instant::now(), flags.clone()));
        Ok(flags)
    }
    async fn invalidate_tags(&self, _: &[&str]) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        *self.entry.lock().unwrap() = None;
    }
}

/// A service over fresh fakes, with the given cache TTL.
pub fn flags_service(ttl: Duration) -> (Flags, Arc<MemoryFlags>, Arc<MemoryCache>) {
    let repo = Arc::new(MemoryFlags::default());
    let cache = Arc::new(MemoryCache {
        ttl,
        entry: Mutex::new(None),
        invalidations: AtomicUsize::new(0),
    });
    let deps = FlagsDeps {
        uow: Arc::new(MemoryDb::default()),
        flags: repo.clone(),
        cache: cache.clone(),
    };
    (Flags::new(deps), repo, cache)
}

/// A feature gate that is on exactly for the users in `on` (whatever the flag).
#[derive(Debug, Default)]
pub struct FakeGate {
    /// Users for whom every flag is on.
    pub on: Mutex<HashSet<Uuid>>,
}

impl FakeGate {
    /// Turns every flag on for `user`.
    pub fn enable_for(&self, user: Uuid) {
        self.on.lock().unwrap().insert(user);
    }
}

#[async_trait]
impl FeatureGate for FakeGate {
    async fn is_enabled(&self, _: &str, subject: &Subject) -> bool {
        match subject {
            Subject::User { id, .. } => self.on.lock().unwrap().contains(id),
            Subject::Visitor { .. } => false,
        }
    }
}
