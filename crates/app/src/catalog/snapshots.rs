//! Catalog's published [`ProductCatalog`], answered in process by [`Catalog`].

use std::collections::HashSet;

use agora_domain::ports::{PortError, ProductCatalog, ProductSnapshot};
use async_trait::async_trait;
use uuid::Uuid;

use super::Catalog;

#[async_trait]
impl ProductCatalog for Catalog {
    /// Products this replica's cache holds cost no I/O; the rest are read with ONE repository call
    /// (`get_many`) and not put in the cache (a batch fill would have to respect the cache's
    /// write epochs; single reads keep filling it). See the trait for the contract.
    #[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
    async fn snapshots(&self, ids: &[Uuid]) -> Result<Vec<ProductSnapshot>, PortError> {
        let mut seen = HashSet::with_capacity(ids.len());
        let wanted: Vec<Uuid> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut answered = HashSet::with_capacity(wanted.len());
        let mut snapshots = Vec::with_capacity(wanted.len());
        for (id, product) in self.deps.cache.cached_products(&wanted).await {
            // A cached absence is an answer too: the id is unknown, no query needed.
            if answered.insert(id) {
                snapshots.extend(product.as_ref().map(ProductSnapshot::from));
            }
        }
        let misses: Vec<Uuid> = wanted
            .into_iter()
            .filter(|id| !answered.contains(id))
            .collect();
        if !misses.is_empty() {
            for product in self.deps.products.get_many(&misses).await? {
                if answered.insert(product.id) {
                    snapshots.push(ProductSnapshot::from(&product));
                }
            }
        }
        Ok(snapshots)
    }
}
