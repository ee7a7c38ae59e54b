//! The L1 cache of the flag list. One entry (every flag): flags are few and read on every
//! evaluation, so caching the whole list turns each evaluation into a map lookup.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        RwLock,
    },
    time::{Duration, Instant},
};

use super::Snapshot;

struct Entry {
    loaded_at: Instant,
    generation: u64,
    flags: Snapshot,
}

/// The cached snapshot with a TTL and a generation counter. Invalidation bumps the generation, so
/// a load that started before a change and finishes after it is not stored: it may have read the
/// old flags, and storing them would hide the change for a whole TTL.
pub(super) struct FlagCache {
    ttl: Duration,
    generation: AtomicU64,
    entry: RwLock<Option<Entry>>,
}

impl FlagCache {
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            entry: RwLock::new(None),
        }
    }

    /// The cached flags, if loaded less than a TTL ago and not invalidated since.
    pub(super) fn get(&self, now: Instant) -> Option<Snapshot> {
        let entry = self.entry.read().unwrap_or_else(|p| p.into_inner());
        entry
            .as_ref()
            .filter(|e| now.saturating_duration_since(e.loaded_at) < self.ttl)
            .filter(|e| e.generation == self.generation.load(Ordering::Acquire))
            .map(|e| e.flags.clone())
    }

    /// The generation to pass to [`FlagCache::store`]; read it before loading.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `flags` loaded at generation `generation`, unless an invalidation happened since.
    pub(super) fn store(&self, generation: u64, flags: Snapshot, now: Instant) {
        let mut entry = self.entry.write().unwrap_or_else(|p| p.into_inner());
        // Checked under the write lock, which `invalidate` also takes: either the invalidation
        // comes after (and clears this entry) or before (and this entry is not stored).
        if generation == self.generation.load(Ordering::Acquire) {
            *entry = Some(Entry {
                loaded_at: now,
                generation,
                flags,
            });
        }
    }

    /// Forgets the cached flags.
    pub(super) fn invalidate(&self) {
        let mut entry = self.entry.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *entry = None;
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, sync::Arc};

    use super::*;

    fn snapshot() -> Snapshot {
        Arc::new(BTreeMap::new())
    }

    #[test]
    fn an_entry_lives_for_the_ttl() {
        let cache = FlagCache::new(Duration::from_secs(5));
        let start = Instant::now();
        assert!(cache.get(start).is_none());
        cache.store(cache.generation(), snapshot(), start);
        assert!(cache.get(start + Duration::from_secs(4)).is_some());
        assert!(cache.get(start + Duration::from_secs(5)).is_none());
    }

    #[test]
    fn a_load_overtaken_by_an_invalidation_is_not_stored() {
        let cache = FlagCache::new(Duration::from_secs(5));
        let before = cache.generation();
        cache.invalidate();
        cache.store(before, snapshot(), Instant::now());
        assert!(cache.get(Instant::now()).is_none());
        cache.store(cache.generation(), snapshot(), Instant::now());
        assert!(cache.get(Instant::now()).is_some());
    }

    #[test]
    fn invalidation_drops_a_stored_entry() {
        let cache = FlagCache::new(Duration::from_secs(5));
        cache.store(cache.generation(), snapshot(), Instant::now());
        cache.invalidate();
        assert!(cache.get(Instant::now()).is_none());
    }
}
