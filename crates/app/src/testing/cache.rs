//! A real (if simple) tagged cache for unit tests: values stay until a tag of theirs is
//! invalidated, so a test sees exactly what a forgotten invalidation would cost.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
};

use agora_domain::ports::{Load, StoreError, TaggedCache};
use async_trait::async_trait;

/// Key → (value, tags), with a count of loads.
pub struct MemoryCache<V> {
    entries: Mutex<HashMap<String, (V, Vec<String>)>>,
    loads: AtomicUsize,
}

impl<V> Default for MemoryCache<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
            loads: AtomicUsize::new(0),
        }
    }
}

impl<V> MemoryCache<V> {
    /// Drops every entry, as a Redis restart or a process restart loses a cache.
    pub fn lose_everything(&self) {
        self.entries.lock().unwrap().clear();
    }

    /// How many misses were loaded.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl<V: Clone + Send + Sync + 'static> TaggedCache<V> for MemoryCache<V> {
    async fn get_or_load<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        load: Load<'a, V>,
    ) -> Result<V, StoreError> {
        if let Some((value, _)) = self.entries.lock().unwrap().get(key) {
            return Ok(value.clone());
        }
        self.loads.fetch_add(1, Ordering::SeqCst);
        let value = load.await?;
        let tags = tags.iter().map(|t| (*t).to_owned()).collect();
        self.entries
            .lock()
            .unwrap()
            .insert(key.to_owned(), (value.clone(), tags));
        Ok(value)
    }

    async fn invalidate_tags(&self, tags: &[&str]) {
        self.entries
            .lock()
            .unwrap()
            .retain(|_, (_, own)| !own.iter().any(|t| tags.contains(&t.as_str())));
    }
}
