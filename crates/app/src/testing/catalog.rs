//! Fakes of the catalog ports: repositories over [`MemoryDb`] and a pass-through cache that
//! records its invalidations.

use std::sync::{Arc, Mutex};

use agora_domain::{
    catalog::{Category, Product, ProductQuery, ProductScope},
    paging::Page,
    ports::{load_page, CatalogCache, CategoryRepository, Load, ProductRepository, StoreError, Tx},
};
use async_trait::async_trait;
use uuid::Uuid;

use super::{page_of, MemoryDb};

fn matches(product: &Product, scope: &ProductScope) -> bool {
    match scope {
        ProductScope::Active => product.active,
        ProductScope::InCategory(id) => product.category_id == Some(*id),
        ProductScope::PriceAtLeast(amount) => product.price.amount >= *amount,
        ProductScope::PriceAtMost(amount) => product.price.amount <= *amount,
        ProductScope::InStock(yes) => (product.stock > 0) == *yes,
        ProductScope::CreatedAfter(at) => product.created_at > *at,
        ProductScope::Search(text) => {
            let text = text.to_lowercase();
            product.name.as_str().to_lowercase().contains(&text)
                || product.description.as_str().to_lowercase().contains(&text)
        }
    }
}

impl MemoryDb {
    fn matching(&self, query: &ProductQuery) -> Vec<Product> {
        let products = self.committed().products.clone();
        products
            .into_iter()
            .filter(|p| query.scopes.iter().all(|scope| matches(p, scope)))
            .collect()
    }
}

#[async_trait]
impl ProductRepository for MemoryDb {
    async fn insert(&self, tx: &mut Tx, product: &Product) -> Result<(), StoreError> {
        let tables = self.write(tx, "products.insert")?;
        if tables.products.iter().any(|p| p.sku == product.sku) {
            return Err(StoreError::Constraint {
                constraint: "products_sku_key".into(),
            });
        }
        tables.products.push(product.clone());
        Ok(())
    }
    async fn update(
        &self,
        tx: &mut Tx,
        product: &Product,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let tables = self.write(tx, "products.update")?;
        if tables
            .products
            .iter()
            .any(|p| p.id != product.id && p.sku == product.sku)
        {
            return Err(StoreError::Constraint {
                constraint: "products_sku_key".into(),
            });
        }
        match tables
            .products
            .iter_mut()
            .find(|p| p.id == product.id && p.version == expected_version)
        {
            Some(stored) => {
                *stored = product.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Product>, StoreError> {
        let tables = self.write(tx, "products.find")?;
        Ok(tables.products.iter().find(|p| p.id == id).cloned())
    }
    async fn get(&self, id: Uuid) -> Result<Option<Product>, StoreError> {
        Ok(self
            .committed()
            .products
            .iter()
            .find(|p| p.id == id)
            .cloned())
    }
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Product>, StoreError> {
        self.check("products.get_many")?;
        let products = &self.committed().products;
        Ok(products
            .iter()
            .filter(|p| ids.contains(&p.id))
            .cloned()
            .collect())
    }
    // Order is the adapters' business (and their contract suite's); the fake keeps insertion order.
    async fn page_items(&self, query: &ProductQuery) -> Result<Vec<Product>, StoreError> {
        Ok(page_of(self.matching(query), query.page).items)
    }
    async fn count_matching(&self, query: &ProductQuery) -> Result<u64, StoreError> {
        Ok(self.matching(query).len() as u64)
    }
    async fn count(&self) -> Result<u64, StoreError> {
        Ok(self.committed().products.len() as u64)
    }
}

#[async_trait]
impl CategoryRepository for MemoryDb {
    async fn list(&self) -> Result<Vec<Category>, StoreError> {
        Ok(self.committed().categories.clone())
    }
    async fn ensure(&self, tx: &mut Tx, category: &Category) -> Result<Category, StoreError> {
        let tables = self.write(tx, "categories.ensure")?;
        if let Some(existing) = tables.categories.iter().find(|c| c.slug == category.slug) {
            return Ok(existing.clone());
        }
        tables.categories.push(category.clone());
        Ok(category.clone())
    }
    async fn exists(&self, id: Uuid) -> Result<bool, StoreError> {
        Ok(self.committed().categories.iter().any(|c| c.id == id))
    }
}

/// Never caches (every read loads), and records each invalidation together with the version the
/// store had committed at that moment — so a test sees whether it came after the commit.
pub struct RecordingCache {
    db: MemoryDb,
    /// `(product id, committed version when invalidated)`.
    pub invalidations: Mutex<Vec<(Uuid, Option<i64>)>>,
    /// The last list query that reached the cache.
    pub last_query_key: Mutex<Option<String>>,
    /// What `cached_products` answers from (empty: every id is a miss).
    pub held: Mutex<Vec<(Uuid, Option<Product>)>>,
}

impl RecordingCache {
    /// A cache in front of `db`.
    pub fn new(db: MemoryDb) -> Arc<Self> {
        Arc::new(Self {
            db,
            invalidations: Mutex::default(),
            last_query_key: Mutex::default(),
            held: Mutex::default(),
        })
    }

    /// The recorded invalidations.
    pub fn invalidated(&self) -> Vec<(Uuid, Option<i64>)> {
        self.invalidations.lock().unwrap().clone()
    }
}

#[async_trait]
impl CatalogCache for RecordingCache {
    async fn product<'a>(
        &'a self,
        _: Uuid,
        load: Load<'a, Option<Product>>,
    ) -> Result<Option<Product>, StoreError> {
        load.await
    }
    async fn page<'a>(
        &'a self,
        key: &'a str,
        _count_key: &'a str,
        count: Load<'a, u64>,
        items: Load<'a, Vec<Product>>,
    ) -> Result<Arc<Page<Product>>, StoreError> {
        *self.last_query_key.lock().unwrap() = Some(key.to_owned());
        load_page(count, items).await
    }
    async fn invalidate_product(&self, id: Uuid) {
        let version = self
            .db
            .committed()
            .products
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.version);
        self.invalidations.lock().unwrap().push((id, version));
    }
    async fn cached_products(&self, ids: &[Uuid]) -> Vec<(Uuid, Option<Product>)> {
        let held = self.held.lock().unwrap();
        held.iter()
            .filter(|(id, _)| ids.contains(id))
            .cloned()
            .collect()
    }
}

#[async_trait]
impl agora_domain::ports::StockRepository for MemoryDb {
    async fn reserve(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        lines: &[agora_domain::ports::ReservationLine],
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<agora_domain::ports::ReserveOutcome, StoreError> {
        use agora_domain::ports::{InventoryError, ReserveOutcome, Shortage, StockChange};
        let tables = self.write(tx, "stock.reserve")?;
        if tables.reservations.iter().any(|r| r.0 == reservation_id) {
            return Ok(ReserveOutcome::AlreadyReserved);
        }
        let (mut changes, mut short) = (Vec::new(), Vec::new());
        for line in lines {
            let Some(product) = tables
                .products
                .iter_mut()
                .find(|p| p.id == line.product_id && p.active)
            else {
                return Ok(ReserveOutcome::Failed(InventoryError::NotForSale(vec![
                    line.product_id,
                ])));
            };
            if product.stock < line.quantity {
                short.push(Shortage {
                    product_id: product.id,
                    requested: line.quantity,
                    available: product.stock,
                });
                continue;
            }
            changes.push(StockChange {
                product_id: product.id,
                before: product.stock,
                after: product.stock - line.quantity,
            });
            product.stock -= line.quantity;
            tables
                .reservations
                .push((reservation_id, line.product_id, line.quantity, false));
        }
        if !short.is_empty() {
            return Ok(ReserveOutcome::Failed(InventoryError::OutOfStock(short)));
        }
        if let Some(at) = expires_at {
            tables.pending.push((reservation_id, at));
        }
        Ok(ReserveOutcome::Reserved(changes))
    }

    async fn confirm(&self, tx: &mut Tx, reservation_id: Uuid) -> Result<bool, StoreError> {
        let tables = self.write(tx, "stock.confirm")?;
        let held = tables
            .reservations
            .iter()
            .any(|r| r.0 == reservation_id && !r.3);
        if held {
            tables.pending.retain(|p| p.0 != reservation_id);
        }
        Ok(held)
    }

    async fn expired(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Uuid>, StoreError> {
        let tables = self.committed();
        Ok(tables
            .pending
            .iter()
            .filter(|(id, at)| *at < now && tables.reservations.iter().any(|r| r.0 == *id && !r.3))
            .map(|(id, _)| *id)
            .take(limit as usize)
            .collect())
    }

    async fn release_expired(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<agora_domain::ports::StockChange>, StoreError> {
        let expired = self
            .write(tx, "stock.release_expired")?
            .pending
            .iter()
            .any(|(id, at)| *id == reservation_id && *at < now);
        if !expired {
            return Ok(Vec::new());
        }
        agora_domain::ports::StockRepository::release(self, tx, reservation_id).await
    }

    async fn release(
        &self,
        tx: &mut Tx,
        reservation_id: Uuid,
    ) -> Result<Vec<agora_domain::ports::StockChange>, StoreError> {
        let tables = self.write(tx, "stock.release")?;
        let mut changes = Vec::new();
        for reservation in tables
            .reservations
            .iter_mut()
            .filter(|r| r.0 == reservation_id && !r.3)
        {
            reservation.3 = true;
            if let Some(product) = tables.products.iter_mut().find(|p| p.id == reservation.1) {
                changes.push(agora_domain::ports::StockChange {
                    product_id: product.id,
                    before: product.stock,
                    after: product.stock + reservation.2,
                });
                product.stock += reservation.2;
            }
        }
        Ok(changes)
    }
}
