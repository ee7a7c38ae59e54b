use async_trait::async_trait;
use uuid::Uuid;

use super::{Load, StoreError, Tx};
use crate::{
    catalog::{Category, Product, ProductQuery},
    paging::Page,
};

/// Persistence of products.
#[async_trait]
pub trait ProductRepository: Send + Sync {
    /// Stores a new product; a taken SKU fails with constraint `products_sku_key`.
    async fn insert(&self, tx: &mut Tx, product: &Product) -> Result<(), StoreError>;
    /// Writes `product` if the stored version is still `expected_version`; false when it is not
    /// (someone else updated it first).
    async fn update(
        &self,
        tx: &mut Tx,
        product: &Product,
        expected_version: i64,
    ) -> Result<bool, StoreError>;
    /// Reads one product inside a transaction.
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Product>, StoreError>;
    /// Reads one product.
    async fn get(&self, id: Uuid) -> Result<Option<Product>, StoreError>;
    /// One page of products matching every scope of `query`.
    async fn list(&self, query: &ProductQuery) -> Result<Page<Product>, StoreError>;
    /// How many products exist (for the seed).
    async fn count(&self) -> Result<u64, StoreError>;
}

/// Persistence of categories.
#[async_trait]
pub trait CategoryRepository: Send + Sync {
    /// Every category, by name.
    async fn list(&self) -> Result<Vec<Category>, StoreError>;
    /// Stores a category unless its slug exists; returns the stored one.
    async fn ensure(&self, tx: &mut Tx, category: &Category) -> Result<Category, StoreError>;
    /// Whether a category exists.
    async fn exists(&self, id: Uuid) -> Result<bool, StoreError>;
}

/// Cache-aside for catalog reads (L1 in process, L2 shared), with one loader per key under
/// concurrency and invalidation by key and by tag (all list pages).
#[async_trait]
pub trait CatalogCache: Send + Sync {
    /// The product `id`, from cache or `load`.
    async fn product<'a>(
        &'a self,
        id: Uuid,
        load: Load<'a, Option<Product>>,
    ) -> Result<Option<Product>, StoreError>;
    /// The list page for `key`, from cache or `load`; shared, since a cached page is read by
    /// many requests and cloning it per request would cost more than the lookup.
    async fn page<'a>(
        &'a self,
        key: &'a str,
        load: Load<'a, Page<Product>>,
    ) -> Result<std::sync::Arc<Page<Product>>, StoreError>;
    /// Forgets product `id` and every list page, here and on every replica. Call after commit.
    async fn invalidate_product(&self, id: Uuid);
}
