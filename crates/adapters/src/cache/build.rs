//! Values made of a part cached on its own (a list page and its filter's count), read and
//! written together in L2.

use agora_domain::ports::{Load, StoreError, TaggedCache as _};

use super::TwoLevelCache;

/// Makes a value from its part (see [`TwoLevelCache::get_or_build`]).
pub type Build<'a, V> = Box<dyn FnOnce(V) -> Load<'a, V> + Send + 'a>;

impl<V: Clone + Send + Sync + 'static> TwoLevelCache<V> {
    /// [`TaggedCache::get_or_load`](agora_domain::ports::TaggedCache::get_or_load) for a value
    /// `build` makes from a part that is cached on its own under `part_key`, with the same tags:
    /// a list page and its filter's count. A miss of the value reuses a cached part, so paging
    /// through one filter loads the part once.
    ///
    /// With L2, one Redis round trip reads both and one writes what was loaded: a page miss
    /// whose count is cached costs a read, the page's query and a write, where a read per key
    /// cost one round trip more. The part is then never taken from L1: the value goes to L2
    /// under the Redis epochs of this read, and a part from this replica's L1 could predate a
    /// write whose invalidation has not arrived here yet, and would reach every replica
    /// through L2.
    pub async fn get_or_build<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        part_key: &'a str,
        part: Load<'a, V>,
        build: Build<'a, V>,
    ) -> Result<V, StoreError> {
        let miss = self.build_through_l2(key, tags, part_key, part, build);
        self.through_l1(key, tags, miss).await
    }

    async fn build_through_l2<'a>(
        &'a self,
        key: &'a str,
        tags: &'a [&'a str],
        part_key: &'a str,
        part: Load<'a, V>,
        build: Build<'a, V>,
    ) -> Result<V, StoreError> {
        let name = self.name;
        let (l2, codec) = match &self.l2 {
            Some((l2, codec)) if l2.usable().await => (l2, codec),
            Some(_) => {
                // L2 is configured but unusable: loaded directly, the part too (never from L1).
                metrics::counter!("cache_l2_errors_total", "cache" => name).increment(1);
                return build(part.await?).await;
            }
            None => {
                // Without L2 the part keeps its own cache-aside in L1.
                metrics::counter!("cache_misses_total", "cache" => name).increment(1);
                let part = self.get_or_load(part_key, tags, part).await?;
                return build(part).await;
            }
        };
        let read = match l2.get(&[key, part_key], tags).await {
            Ok(read) => read,
            Err(error) => {
                metrics::counter!("cache_l2_errors_total", "cache" => name).increment(1);
                tracing::warn!(%error, cache = name, "L2 unavailable; loading directly");
                return build(part.await?).await;
            }
        };
        let [value, cached_part] =
            [&read.values[0], &read.values[1]].map(|bytes| bytes.as_deref().and_then(codec.decode));
        if let Some(value) = value {
            metrics::counter!("cache_hits_total", "cache" => name, "level" => "l2").increment(1);
            return Ok(value);
        }
        metrics::counter!("cache_misses_total", "cache" => name).increment(1);
        let (part, loaded_part) = match cached_part {
            Some(part) => {
                metrics::counter!("cache_hits_total", "cache" => name, "level" => "l2")
                    .increment(1);
                (part, None)
            }
            None => {
                metrics::counter!("cache_misses_total", "cache" => name).increment(1);
                let part = part.await?;
                let bytes = (codec.encode)(&part);
                (part, bytes)
            }
        };
        let value = build(part).await?;
        let writes: Vec<(&str, Vec<u8>)> = [(key, (codec.encode)(&value)), (part_key, loaded_part)]
            .into_iter()
            .filter_map(|(key, bytes)| bytes.map(|bytes| (key, bytes)))
            .collect();
        if !writes.is_empty() {
            self.put_l2(l2, &writes, tags, &read).await;
        }
        Ok(value)
    }
}
