//! Catalog use cases: reading products through the cache, admin writes with optimistic
//! concurrency, categories, demo data.

mod inputs;
mod inventory;
mod list;
mod seed;
mod snapshots;

use std::sync::Arc;

use agora_domain::{
    catalog::{Category, Product, ProductQuery, ProductScope},
    identity::Principal,
    paging::Page,
    ports::{
        CatalogCache, CategoryRepository, Outbox, ProductRepository, StockRepository, Tx,
        UnitOfWork,
    },
};
use uuid::Uuid;

pub use inputs::{NewProductInput, ProductChange};
pub use list::{ProductListInput, DEFAULT_PRODUCT_SORT, MAX_SEARCH_CHARS, PRODUCT_SORT_FIELDS};
pub use seed::seed_catalog;

use crate::{require_admin, AppError, OnConstraint};

/// The unique index on `products.sku` (catalog's migration 0001).
const SKU_KEY: &str = "products_sku_key";

fn sku_taken() -> AppError {
    AppError::taken("sku", "SKU already exists")
}

/// The ports the catalog needs.
#[derive(Clone)]
pub struct CatalogDeps {
    /// Transactions.
    pub uow: Arc<dyn UnitOfWork>,
    /// Products.
    pub products: Arc<dyn ProductRepository>,
    /// Categories.
    pub categories: Arc<dyn CategoryRepository>,
    /// Read cache.
    pub cache: Arc<dyn CatalogCache>,
    /// Stock and reservations (behind the published `Inventory`).
    pub stock: Arc<dyn StockRepository>,
    /// Catalog's events (`product.stock_low`).
    pub outbox: Arc<dyn Outbox>,
    /// A reservation taking a product's stock below this emits `product.stock_low`.
    pub stock_low_threshold: u32,
    /// How long a pending reservation (one made outside the caller's transaction) holds its
    /// units before the sweeper returns them (ADR 0031).
    pub reservation_ttl: std::time::Duration,
}

/// The catalog application service.
#[derive(Clone)]
pub struct Catalog {
    deps: CatalogDeps,
}

fn is_admin(caller: Option<&Principal>) -> bool {
    caller.is_some_and(Principal::is_admin)
}

impl Catalog {
    /// Wires the service.
    pub fn new(deps: CatalogDeps) -> Self {
        Self { deps }
    }

    /// One product; inactive ones exist only for admins.
    // Reads are the hot path (see bench/): their spans are debug level, free at the default level.
    #[tracing::instrument(level = "debug", skip_all, fields(product_id = %id))]
    pub async fn product(&self, caller: Option<&Principal>, id: Uuid) -> Result<Product, AppError> {
        let products = self.deps.products.clone();
        let product = self
            .deps
            .cache
            .product(id, Box::pin(async move { products.get(id).await }))
            .await?;
        match product {
            Some(p) if p.active || is_admin(caller) => Ok(p),
            _ => Err(AppError::NotFound),
        }
    }

    /// A page of products as a client asks for it (`GET /api/products`, GraphQL `products`): the
    /// catalog's list rules applied (see [`ProductListInput`]), then [`Catalog::products`].
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(
        &self,
        caller: Option<&Principal>,
        input: ProductListInput,
    ) -> Result<Arc<Page<Product>>, AppError> {
        let query = input.into_query()?;
        self.products(caller, query).await
    }

    /// A page of products for an already-built query. Non-admins only ever see active products,
    /// whatever they ask for.
    pub async fn products(
        &self,
        caller: Option<&Principal>,
        mut query: ProductQuery,
    ) -> Result<Arc<Page<Product>>, AppError> {
        if !is_admin(caller) && !query.scopes.contains(&ProductScope::Active) {
            query.scopes.insert(0, ProductScope::Active);
        }
        let (key, count_key) = (query.cache_key(), query.count_key());
        let products = &self.deps.products;
        // A page miss reads only its rows when the filter's count is cached: paging through one
        // filter counts it once (ADR 0038).
        let count = products.count_matching(&query);
        let items = products.page_items(&query);
        Ok(self.deps.cache.page(&key, &count_key, count, items).await?)
    }

    /// Every category.
    pub async fn categories(&self) -> Result<Vec<Category>, AppError> {
        Ok(self.deps.categories.list().await?)
    }

    /// Creates a product (admin); version 1.
    #[tracing::instrument(
        skip_all,
        fields(admin_id = %caller.user_id, product_id = tracing::field::Empty)
    )]
    pub async fn create(
        &self,
        caller: &Principal,
        input: NewProductInput,
    ) -> Result<Product, AppError> {
        require_admin(caller)?;
        let product = input.validate()?;
        tracing::Span::current().record("product_id", tracing::field::display(product.id));
        if let Some(category) = product.category_id {
            self.require_category(category).await?;
        }
        let mut tx = self.deps.uow.begin().await?;
        self.deps
            .products
            .insert(&mut tx, &product)
            .await
            .on_constraint(SKU_KEY, sku_taken)?;
        self.invalidate_after_commit(&mut tx, product.id);
        tx.commit().await?;
        Ok(product)
    }

    /// Applies `change` (admin) if `change.version` is still current; otherwise 409.
    #[tracing::instrument(skip_all, fields(admin_id = %caller.user_id, product_id = %id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: Uuid,
        change: ProductChange,
    ) -> Result<Product, AppError> {
        require_admin(caller)?;
        let expected = change.expected_version()?;
        // Checked before the transaction: it must not hold a connection while taking another.
        if let Some(Some(category)) = change.category_id {
            self.require_category(category).await?;
        }
        let mut tx = self.deps.uow.begin().await?;
        let current = self
            .deps
            .products
            .find(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let updated = change.apply(&current)?;
        if current.version != expected
            || !self
                .deps
                .products
                .update(&mut tx, &updated, expected)
                .await
                .on_constraint(SKU_KEY, sku_taken)?
        {
            return Err(stale(current.version));
        }
        self.invalidate_after_commit(&mut tx, id);
        tx.commit().await?;
        Ok(updated)
    }

    /// Soft-deletes a product (admin): it becomes inactive, hidden from non-admins.
    #[tracing::instrument(skip_all, fields(admin_id = %caller.user_id, product_id = %id))]
    pub async fn deactivate(&self, caller: &Principal, id: Uuid) -> Result<(), AppError> {
        require_admin(caller)?;
        let mut tx = self.deps.uow.begin().await?;
        let current = self
            .deps
            .products
            .find(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !current.active {
            return Ok(());
        }
        let mut inactive = current.clone();
        inactive.active = false;
        inactive.version += 1;
        inactive.updated_at = agora_domain::timestamp_now();
        if !self
            .deps
            .products
            .update(&mut tx, &inactive, current.version)
            .await?
        {
            return Err(stale(current.version));
        }
        self.invalidate_after_commit(&mut tx, id);
        tx.commit().await?;
        Ok(())
    }

    /// Forgets product `id` (and every list page) here and on every replica once `tx` commits:
    /// invalidating earlier would let a concurrent read reload the old row and cache it again.
    fn invalidate_after_commit(&self, tx: &mut Tx, id: Uuid) {
        let cache = self.deps.cache.clone();
        tx.after_commit_async(async move { cache.invalidate_product(id).await });
    }

    async fn require_category(&self, id: Uuid) -> Result<(), AppError> {
        if self.deps.categories.exists(id).await? {
            Ok(())
        } else {
            Err(agora_domain::FieldError::new("categoryId", "Category does not exist").into())
        }
    }

    pub(crate) fn deps(&self) -> &CatalogDeps {
        &self.deps
    }
}

fn stale(current: i64) -> AppError {
    AppError::Conflict {
        code: "conflict",
        message: format!(
            "Product was changed by someone else (current version {current}); reload and retry"
        ),
        details: vec![agora_domain::FieldError::new(
            "version",
            format!("Current version is {current}"),
        )],
    }
}

#[cfg(test)]
mod tests;
