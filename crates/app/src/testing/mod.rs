//! In-memory fakes of every port the use cases need, shared by the unit tests of all modules
//! (compiled for tests only). Repositories share one [`MemoryDb`] whose transactions really roll
//! back, so "all or nothing" is testable without a database.

mod cache;
mod catalog;
mod content;
mod flags;
mod identity;
mod orders;
mod payment;
mod store;

use std::sync::Arc;

use agora_domain::{
    identity::{Principal, Role, Tier},
    paging::{Page, PageRequest},
    ports::SessionStatus,
};
use chrono::Utc;
use uuid::Uuid;

pub use self::{
    cache::MemoryCache,
    catalog::RecordingCache,
    content::content,
    flags::{flags_service, FakeGate},
    identity::{FakeAccessTokens, FakeDenylist, FakeHasher, FakeSecrets, FrozenLimiter},
    payment::FakeProvider,
    store::{EmailTokenRow, MemoryDb},
};
use crate::{
    catalog::{Catalog, CatalogDeps},
    identity::{Identity, IdentityDeps, IdentitySettings, SessionGuard},
    orders::{Orders, OrdersDeps, OrdersSettings},
};

/// One page of `items`, as a repository would cut it.
pub fn page_of<T>(items: Vec<T>, page: PageRequest) -> Page<T> {
    let total = items.len() as u64;
    let items = items
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .collect();
    Page { items, total }
}

/// A signed-in caller with `role`.
pub fn principal(role: Role) -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        role,
        tier: Tier::Free,
        email_verified: true,
        token_id: format!("jti-{}", Uuid::now_v7()),
        session_id: Uuid::now_v7(),
        expires_at: Utc::now() + chrono::Duration::minutes(15),
    }
}

/// The identity service over fakes, with handles on the fakes a test inspects.
pub struct IdentityHarness {
    /// The service under test.
    pub identity: Identity,
    /// Its store.
    pub db: MemoryDb,
    /// Its password hasher.
    pub hasher: Arc<FakeHasher>,
    /// Where it announces revoked sessions (for services without its database).
    pub notices: Arc<FakeDenylist>,
    /// The cache in front of the session states.
    pub session_cache: Arc<MemoryCache<SessionStatus>>,
}

/// [`IdentityHarness`] with the given settings.
pub async fn identity_with(settings: IdentitySettings) -> IdentityHarness {
    let db = MemoryDb::default();
    let hasher = Arc::new(FakeHasher::default());
    let notices = Arc::new(FakeDenylist::default());
    let session_cache = Arc::new(MemoryCache::default());
    let deps = IdentityDeps {
        uow: Arc::new(db.clone()),
        users: Arc::new(db.clone()),
        email_tokens: Arc::new(db.clone()),
        refresh_tokens: Arc::new(db.clone()),
        sessions: SessionGuard::new(Arc::new(db.clone()), session_cache.clone()),
        revocation_notices: Some(notices.clone()),
        access_tokens: Arc::new(FakeAccessTokens::default()),
        secrets: Arc::new(FakeSecrets::default()),
        hasher: hasher.clone(),
        outbox: Arc::new(db.clone()),
        audit: Arc::new(db.clone()),
        auth_limiter: Arc::new(FrozenLimiter::default()),
    };
    let identity = Identity::new(deps, settings)
        .await
        .expect("the fakes never fail to hash");
    IdentityHarness {
        identity,
        db,
        hasher,
        notices,
        session_cache,
    }
}

/// [`IdentityHarness`] with default settings.
pub async fn identity() -> IdentityHarness {
    identity_with(IdentitySettings::default()).await
}

/// The catalog service over fakes.
pub struct CatalogHarness {
    /// The service under test.
    pub catalog: Catalog,
    /// Its store.
    pub db: MemoryDb,
    /// Its cache.
    pub cache: Arc<RecordingCache>,
}

/// [`CatalogHarness`] over an empty store.
pub fn catalog() -> CatalogHarness {
    let db = MemoryDb::default();
    let cache = RecordingCache::new(db.clone());
    let catalog = Catalog::new(CatalogDeps {
        uow: Arc::new(db.clone()),
        products: Arc::new(db.clone()),
        categories: Arc::new(db.clone()),
        cache: cache.clone(),
        stock: Arc::new(db.clone()),
        outbox: Arc::new(db.clone()),
        stock_low_threshold: 2,
        reservation_ttl: std::time::Duration::from_secs(300),
    });
    CatalogHarness { catalog, db, cache }
}

/// The orders service over fakes, with catalog answering its ports in process over the same
/// store (as in the monolith: one transaction for reservation and order).
pub struct OrdersHarness {
    /// The service under test.
    pub orders: Orders,
    /// Catalog, to create and change products.
    pub catalog: Catalog,
    /// The one store.
    pub db: MemoryDb,
    /// The payment provider.
    pub provider: Arc<FakeProvider>,
    /// `new-checkout-flow` and friends.
    pub gate: Arc<FakeGate>,
}

/// [`OrdersHarness`] with the given settings; catalog's stock-low threshold is 2.
pub fn orders_with(settings: OrdersSettings) -> OrdersHarness {
    let db = MemoryDb::default();
    let catalog = Catalog::new(CatalogDeps {
        uow: Arc::new(db.clone()),
        products: Arc::new(db.clone()),
        categories: Arc::new(db.clone()),
        cache: RecordingCache::new(db.clone()),
        stock: Arc::new(db.clone()),
        outbox: Arc::new(db.clone()),
        stock_low_threshold: 2,
        reservation_ttl: std::time::Duration::from_secs(300),
    });
    let provider = Arc::new(FakeProvider::default());
    let gate = Arc::new(FakeGate::default());
    let deps = OrdersDeps {
        uow: Arc::new(db.clone()),
        carts: Arc::new(db.clone()),
        orders: Arc::new(db.clone()),
        idempotency: Arc::new(db.clone()),
        payments: Arc::new(db.clone()),
        provider: provider.clone(),
        catalog: Arc::new(catalog.clone()),
        inventory: Arc::new(catalog.clone()),
        outbox: Arc::new(db.clone()),
        flags: gate.clone(),
    };
    OrdersHarness {
        orders: Orders::new(deps, settings),
        catalog,
        db,
        provider,
        gate,
    }
}

/// [`OrdersHarness`] with default settings.
pub fn orders() -> OrdersHarness {
    orders_with(OrdersSettings::default())
}
