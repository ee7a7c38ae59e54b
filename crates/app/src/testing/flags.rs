//! Fakes of the flag ports: a repository in a map and a notifier that counts.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use agora_domain::{
    flags::{FeatureFlag, FlagKey},
    ports::{FlagChangeListener, FlagChangeNotifier, FlagRepository, NotifyError, StoreError, Tx},
};
use async_trait::async_trait;

use super::MemoryDb;
use crate::flags::{Flags, FlagsDeps, FlagsSettings};

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

/// Counts publications.
#[derive(Default)]
pub struct CountingNotifier {
    /// Announcements made.
    pub published: AtomicUsize,
}

#[async_trait]
impl FlagChangeNotifier for CountingNotifier {
    async fn publish(&self) -> Result<(), NotifyError> {
        self.published.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn subscribe(&self, _: Arc<dyn FlagChangeListener>) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// A service over fresh fakes, with the given cache TTL.
pub fn flags_service(ttl: Duration) -> (Flags, Arc<MemoryFlags>, Arc<CountingNotifier>) {
    let repo = Arc::new(MemoryFlags::default());
    let notifier = Arc::new(CountingNotifier::default());
    let deps = FlagsDeps {
        uow: Arc::new(MemoryDb::default()),
        flags: repo.clone(),
        notifier: notifier.clone(),
    };
    let flags = Flags::new(deps, FlagsSettings { cache_ttl: ttl });
    (flags, repo, notifier)
}
