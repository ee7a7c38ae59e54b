//! Invalidation epochs: monotonic counters per tag stripe plus one global counter.

use std::{
    hash::{Hash, Hasher},
    sync::atomic::{AtomicU64, Ordering},
};

/// Tags hash onto this many counters: memory stays fixed however many tags exist; two tags
/// sharing a stripe only cost each other an extra miss.
const STRIPES: usize = 1024;

pub(crate) struct Epochs {
    stripes: Vec<AtomicU64>,
    global: AtomicU64,
}

impl Epochs {
    pub(super) fn new() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            global: AtomicU64::new(0),
        }
    }

    /// The counter `tag` shares with the other tags hashing onto it.
    pub(crate) fn stripe(tag: &str) -> usize {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        tag.hash(&mut hasher);
        (hasher.finish() as usize) % STRIPES
    }

    /// The combined epoch of a value with `tags`. Every counter only grows, so the sum changes
    /// whenever any of them is bumped: it identifies "no relevant invalidation since".
    pub(super) fn current(&self, tags: &[&str]) -> u64 {
        tags.iter()
            .fold(self.global.load(Ordering::SeqCst), |sum, tag| {
                sum.wrapping_add(self.stripes[Self::stripe(tag)].load(Ordering::SeqCst))
            })
    }

    pub(super) fn bump<S: AsRef<str>>(&self, tags: &[S]) {
        for tag in tags {
            self.stripes[Self::stripe(tag.as_ref())].fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Invalidates everything (a possibly missed broadcast).
    pub(super) fn bump_all(&self) {
        self.global.fetch_add(1, Ordering::SeqCst);
    }
}
