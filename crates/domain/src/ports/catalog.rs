//! Catalog's ports: the repositories and the cache its use cases need, and what catalog
//! publishes to other contexts ([`ProductCatalog`]).

use async_trait::async_trait;
use uuid::Uuid;

use super::{Load, PortError, StoreError, Tx};
use crate::{
    catalog::{Category, Money, Product, ProductName, ProductQuery, Sku},
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
    /// Reads the products of `ids` in ONE query (adapters may split
    /// batches of more than 1000 ids), active or not: unknown ids are absent,
    /// repeated ids appear once, order is unspecified.
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Product>, StoreError>;
    /// The products of `query`'s page, in its order, without counting the matches.
    async fn page_items(&self, query: &ProductQuery) -> Result<Vec<Product>, StoreError>;
    /// How many products match every scope of `query`, across all pages (page, size and sort
    /// play no part).
    async fn count_matching(&self, query: &ProductQuery) -> Result<u64, StoreError>;
    /// One page of products matching every scope of `query`, with the total: the two reads
    /// above. The use cases call them apart, so that a known total is not counted again.
    async fn list(&self, query: &ProductQuery) -> Result<Page<Product>, StoreError> {
        let items = self.page_items(query).await?;
        let total = self.count_matching(query).await?;
        Ok(Page { items, total })
    }
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
    /// The list page for `key`, from cache or made of `count` (the number of products matching
    /// the filter, `ProductQuery::count_key`) and `items` (the page's rows). The count is cached
    /// on its own under `count_key` and forgotten with the pages, so paging through one filter
    /// counts it once and a page miss costs one query instead of two. Shared, since a cached
    /// page is read by many requests and cloning it per request would cost more than the lookup.
    async fn page<'a>(
        &'a self,
        key: &'a str,
        count_key: &'a str,
        count: Load<'a, u64>,
        items: Load<'a, Vec<Product>>,
    ) -> Result<std::sync::Arc<Page<Product>>, StoreError>;
    /// Forgets product `id` and every list page, here and on every replica. Call after commit.
    async fn invalidate_product(&self, id: Uuid);
    /// What this cache can answer for `ids` without loading anything and without I/O (L1 only):
    /// `Some(product)` or `None` (known absent) per cached id; ids not in the result are misses.
    /// Batch reads fetch the misses in one query. The default answers nothing (all misses).
    async fn cached_products(&self, ids: &[Uuid]) -> Vec<(Uuid, Option<Product>)> {
        let _ = ids;
        Vec::new()
    }
}

/// A list page loaded without a cache: the filter's count, then the page's rows (what
/// [`CatalogCache::page`] does on a miss with nothing cached).
pub async fn load_page(
    count: Load<'_, u64>,
    items: Load<'_, Vec<Product>>,
) -> Result<std::sync::Arc<Page<Product>>, StoreError> {
    let total = count.await?;
    Ok(std::sync::Arc::new(Page {
        items: items.await?,
        total,
    }))
}

/// What another context may know about a product at the time of the call: enough to show a
/// cart or an order line and to decide whether it can be bought. Not a reservation: stock may
/// change right after (orders reserve stock through their own port, in their transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSnapshot {
    /// The product's id (UUID v7).
    pub id: Uuid,
    /// Unique article number.
    pub sku: Sku,
    /// Name.
    pub name: ProductName,
    /// Current unit price.
    pub price: Money,
    /// Units in stock when read.
    pub stock: u32,
    /// False for products withdrawn from sale (soft-deleted); they still resolve, so past orders
    /// can show what was bought.
    pub active: bool,
}

impl From<&Product> for ProductSnapshot {
    fn from(product: &Product) -> Self {
        Self {
            id: product.id,
            sku: product.sku.clone(),
            name: product.name.clone(),
            price: product.price,
            stock: product.stock,
            active: product.active,
        }
    }
}

/// Published by catalog: product snapshots, for other contexts (orders' cart and checkout view,
/// GraphQL `OrderItem.product`). In the monolith the catalog service answers in process; a split
/// target answers the same calls over HTTP.
///
/// Contract, for any implementation:
/// - read-only and idempotent: calling twice with the same ids has no effect and may be retried;
/// - at most one round trip to catalog's store per call of up to 1000 ids (cached products cost
///   none);
/// - a snapshot appears at most once however often its id is repeated; unknown ids are simply
///   absent (not an error); inactive products are included, flagged `active: false`;
/// - values may be as old as the catalog cache allows (seconds), never older than the last
///   write this replica saw; callers needing exact stock check it where they reserve it;
/// - the order of the result is unspecified: index it by `id`;
/// - an empty `ids` returns an empty list without any I/O.
#[async_trait]
pub trait ProductCatalog: Send + Sync {
    /// The snapshots of the products among `ids`. Fails with [`PortError::Unavailable`] when
    /// catalog (or its store) cannot answer now.
    async fn snapshots(&self, ids: &[Uuid]) -> Result<Vec<ProductSnapshot>, PortError>;
}

/// One line to reserve: `quantity` units of `product_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationLine {
    /// The product.
    pub product_id: Uuid,
    /// Units (≥ 1).
    pub quantity: u32,
}

/// A product a reservation could not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortage {
    /// The product.
    pub product_id: Uuid,
    /// Units asked for.
    pub requested: u32,
    /// Units in stock when asked.
    pub available: u32,
}

/// Why a reservation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// Some products have fewer units than asked; nothing was reserved.
    #[error("out of stock: {0:?}")]
    OutOfStock(Vec<Shortage>),
    /// Some products are unknown or withdrawn from sale; nothing was reserved.
    #[error("products not for sale: {0:?}")]
    NotForSale(Vec<Uuid>),
    /// The reservation to confirm is not held: it expired (its units went back to stock), was
    /// released, or never existed. Nothing changed.
    #[error("reservation {0} is not held (expired or released)")]
    NotHeld(Uuid),
    /// Catalog could not answer.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// How a reservation stands once [`Inventory::reserve`] succeeded (ADR 0031).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Written in the caller's transaction: final when that commits (the monolith); nothing to
    /// confirm, and a rollback undoes it.
    Joined,
    /// Committed by catalog on its own as *pending*: the caller confirms it after its own commit
    /// ([`Inventory::confirm`]) or it expires after catalog's `reservation_ttl` and its units go
    /// back to stock.
    Pending,
}

impl From<StoreError> for InventoryError {
    fn from(error: StoreError) -> Self {
        Self::Port(error.into())
    }
}

/// Published by catalog: stock reservations, the only way another context changes stock
/// (orders never touch catalog's tables). ADR 0016.
///
/// Contract, for any implementation:
/// - `reserve(id, lines)` takes every line or nothing ([`InventoryError::OutOfStock`] /
///   [`InventoryError::NotForSale`] name the lines that failed); it is idempotent by `id`: a
///   second call with an id that holds a reservation changes nothing and succeeds;
/// - a reservation made without the caller's transaction is *pending* ([`Hold::Pending`]): it
///   holds its units until `confirm(id)` (idempotent) makes it final, or until it expires and
///   catalog's sweeper returns the units; confirming an expired or released reservation fails
///   with [`InventoryError::NotHeld`] and changes nothing;
/// - `release(id)` puts a reservation's units back once; releasing again, or an unknown id, is
///   a no-op that succeeds (so a compensation may be retried blindly);
/// - `tx`: an implementation sharing the caller's database (the monolith) does its writes in the
///   caller's transaction when one is given — they commit or roll back with the caller's — and in
///   a transaction of its own otherwise. An implementation across processes (HTTP) ignores `tx`
///   and commits on its own; a caller whose transaction then fails compensates with `release`.
///   So a caller always writes: reserve inside its transaction, and on failure after the reserve,
///   drop the transaction and call `release(None, id)` (a no-op in the monolith, where the
///   rollback already undid the reservation);
/// - caches of the changed products are dropped only after the change commits.
#[async_trait]
pub trait Inventory: Send + Sync {
    /// Reserves every line under `reservation_id`, or nothing.
    async fn reserve(
        &self,
        tx: Option<&mut Tx>,
        reservation_id: Uuid,
        lines: &[ReservationLine],
    ) -> Result<Hold, InventoryError>;
    /// Makes a pending reservation final (no-op when it is final already).
    async fn confirm(&self, reservation_id: Uuid) -> Result<(), InventoryError>;
    /// Gives a reservation's units back (no-op when unknown or already released).
    async fn release(
        &self,
        tx: Option<&mut Tx>,
        reservation_id: Uuid,
    ) -> Result<(), InventoryError>;
    /// Whether writes given the caller's `tx` join it (the monolith). An implementation across
    /// processes answers `false`: the caller then gives stock back only after its own commit
    /// (ADR 0031), since a release it cannot roll back must not precede a commit that may fail.
    fn joins_transactions(&self) -> bool {
        true
    }
}

/// A product's stock before and after a reservation or release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockChange {
    /// The product.
    pub product_id: Uuid,
    /// Units before.
    pub before: u32,
    /// Units after.
    pub after: u32,
}

/// What a reservation attempt did in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// Every line was taken from stock.
    Reserved(Vec<StockChange>),
    /// A reservation with this id exists already; nothing changed.
    AlreadyReserved,
    /// Some lines failed; other lines MAY have been written: the caller rolls the transaction
    /// back.
    Failed(InventoryError),
}

/// Catalog's own persistence of stock and reservations (`products.stock`,
/// `stock_reservations`), behind [`Inventory`].
#[async_trait]
pub trait StockRepository: Send + Sync {
    /// Takes each line from stock (only from active products with enough units) and records the
    /// reservation, in `tx`: pending until `expires_at` when given, final otherwise.
    async fn reserve(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        lines: &[ReservationLine],
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ReserveOutcome, StoreError>;
    /// Makes an unreleased reservation final, in `tx`; false when none is held under the id.
    async fn confirm(&self, tx: &mut Tx, reservation_id: Uuid) -> Result<bool, StoreError>;
    /// Up to `limit` pending reservations whose time ran out before `now`.
    async fn expired(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Uuid>, StoreError>;
    /// Like [`StockRepository::release`], but only while the reservation is still pending and
    /// expired at `now` (a confirm that won the race keeps its units).
    async fn release_expired(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<StockChange>, StoreError>;
    /// Puts the units of an unreleased reservation back and marks it released, in `tx`; empty
    /// when there is nothing to release.
    async fn release(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
    ) -> Result<Vec<StockChange>, StoreError>;
}
