//! The published ports (`domain::ports::<context>`) as other contexts get them from the running
//! app's registry, on both backends: real data, the contract of their doc comments, and one SQL
//! statement per batch.
//!
//! Statements are counted from what sqlx itself reports: every statement it runs emits a
//! `sqlx::query` tracing event (from the SQLite worker thread or the Postgres caller). A global
//! subscriber counts those of the batch reads. It needs to be the process's subscriber: under
//! nextest (one process per test) it always is; under `cargo test` another test may have
//! installed one first, and then the count is skipped with a notice rather than guessed.

use std::sync::{
    atomic::{AtomicBool, AtomicU64, Ordering},
    Arc, Mutex, OnceLock,
};

use agora_app::{
    catalog::{Catalog, NewProductInput, ProductChange},
    identity::{AdminUserChange, CreateUserInput, Identity},
};
use agora_domain::{
    identity::{Principal, Role, Tier},
    ports::{catalog::ProductCatalog, identity::UserDirectory},
};
use tracing_subscriber::{layer::SubscriberExt, Layer};
use uuid::Uuid;

use crate::{both_backends, support::TestApp};

/// The text that identifies each batch read in the SQL of `SqlUserRepository::get_many` and
/// `SqlProductRepository::get_many`.
const USERS_BATCH: &str = "FROM users WHERE id IN (";
const PRODUCTS_BATCH: &str = "FROM products p WHERE p.id IN (";

/// Batch statements seen by sqlx, per table: `(statements, rows returned)`.
#[derive(Default)]
struct Seen {
    users: (AtomicU64, AtomicU64),
    products: (AtomicU64, AtomicU64),
}

struct CountStatements(Arc<Seen>);

#[derive(Default)]
struct Fields {
    sql: String,
    rows: u64,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if matches!(field.name(), "summary" | "db.statement") {
            self.sql.push_str(value);
        }
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if field.name() == "rows_returned" {
            self.rows = value;
        }
    }
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for CountStatements {
    fn enabled(
        &self,
        metadata: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        metadata.target() == "sqlx::query"
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let counters = if fields.sql.contains(USERS_BATCH) {
            &self.0.users
        } else if fields.sql.contains(PRODUCTS_BATCH) {
            &self.0.products
        } else {
            return;
        };
        counters.0.fetch_add(1, Ordering::SeqCst);
        counters.1.fetch_add(fields.rows, Ordering::SeqCst);
    }
}

/// The process-wide statement counter, or `None` when another subscriber was installed first.
fn statements() -> Option<&'static Arc<Seen>> {
    static SEEN: OnceLock<Option<Arc<Seen>>> = OnceLock::new();
    SEEN.get_or_init(|| {
        let seen = Arc::new(Seen::default());
        let subscriber = tracing_subscriber::registry().with(CountStatements(seen.clone()));
        tracing::subscriber::set_global_default(subscriber)
            .ok()
            .map(|()| seen)
    })
    .as_ref()
}

/// Runs `batch` alone among the counting tests and returns `(statements, rows)` it caused on the
/// `users` or `products` batch read; `None` when statements cannot be observed in this process.
async fn counted<F: std::future::Future<Output = ()>>(table: &str, batch: F) -> Option<(u64, u64)> {
    // Both backends' variants run in one process under `cargo test`: one batch at a time.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    static WARNED: AtomicBool = AtomicBool::new(false);
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(seen) = statements() else {
        if !WARNED.swap(true, Ordering::SeqCst) {
            eprintln!(
                "NOTICE: another tracing subscriber owns this process; \
                 statement counts skipped (run with nextest)"
            );
        }
        batch.await;
        return None;
    };
    let counters = if table == "users" {
        &seen.users
    } else {
        &seen.products
    };
    let before = (
        counters.0.load(Ordering::SeqCst),
        counters.1.load(Ordering::SeqCst),
    );
    batch.await;
    Some((
        counters.0.load(Ordering::SeqCst) - before.0,
        counters.1.load(Ordering::SeqCst) - before.1,
    ))
}

fn admin() -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        role: Role::Admin,
        tier: Tier::Free,
        email_verified: true,
        token_id: format!("jti-{}", Uuid::now_v7()),
        session_id: Uuid::now_v7(),
        expires_at: chrono::Utc::now() + chrono::Duration::minutes(15),
    }
}

async fn user_directory_answers_a_batch_of_50_in_one_statement(app: TestApp) {
    let identity = app.service::<Identity>();
    let mut users = Vec::new();
    for n in 0..10 {
        let user = identity
            .create_user(CreateUserInput {
                email: format!("author{n}@example.com"),
                name: format!("Author {n}"),
                password: "Correct1horse".to_owned(),
                role: if n == 0 { Role::Admin } else { Role::User },
                tier: Tier::Pro,
            })
            .await
            .expect("fixture user");
        users.push(user);
    }
    // A disabled author still resolves: their posts stay attributed.
    identity
        .update_user(
            &admin(),
            users[9].id,
            AdminUserChange {
                disabled: Some(true),
                ..AdminUserChange::default()
            },
        )
        .await
        .unwrap();
    // 50 ids: the 10 users, one of them twice, and 39 that nobody has.
    let mut ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    ids.push(users[3].id);
    ids.extend((0..39).map(|_| Uuid::now_v7()));
    assert_eq!(ids.len(), 50);

    let directory = app.service::<Arc<dyn UserDirectory>>();
    let result = Mutex::new(Vec::new());
    let count = counted("users", async {
        *result.lock().unwrap() = directory.profiles(&ids).await.unwrap();
    })
    .await;
    let mut profiles = result.into_inner().unwrap();

    profiles.sort_by_key(|p| p.id);
    let mut expected: Vec<_> = users
        .iter()
        .map(|u| (u.id, u.name.as_str().to_owned(), u.role))
        .collect();
    expected.sort_by_key(|e| e.0);
    let got: Vec<_> = profiles
        .iter()
        .map(|p| (p.id, p.name.as_str().to_owned(), p.role))
        .collect();
    assert_eq!(got, expected, "each known user once, unknown ids absent");
    if let Some((statements, rows)) = count {
        assert_eq!((statements, rows), (1, 10), "one statement for the batch");
    }

    assert!(directory.profiles(&[]).await.unwrap().is_empty());

    // Beyond the bind limits' comfort zone, a batch is cut into statements of 1000 ids.
    let mut many = ids.clone();
    many.extend((0..2000).map(|_| Uuid::now_v7()));
    let found = Mutex::new(0);
    let count = counted("users", async {
        *found.lock().unwrap() = directory.profiles(&many).await.unwrap().len();
    })
    .await;
    assert_eq!(found.into_inner().unwrap(), 10);
    if let Some(count) = count {
        assert_eq!(count, (3, 10), "2049 distinct ids: three statements");
    }
}

fn new_product(n: usize) -> NewProductInput {
    NewProductInput {
        sku: Some(format!("PORT-{n:03}")),
        name: Some(format!("Port product {n}")),
        description: Some("Made for the port contract.".to_owned()),
        price_amount: Some(100 + n as i64),
        price_currency: Some("EUR".to_owned()),
        stock: Some(n as i64),
        category_id: None,
    }
}

async fn product_catalog_answers_a_batch_of_50_in_one_statement(app: TestApp) {
    let catalog = app.service::<Catalog>();
    let mut products = Vec::new();
    for n in 0..20 {
        products.push(catalog.create(&admin(), new_product(n)).await.unwrap());
    }
    let withdrawn = catalog
        .update(
            &admin(),
            products[19].id,
            ProductChange {
                version: Some(1),
                active: Some(false),
                ..ProductChange::default()
            },
        )
        .await
        .unwrap();
    products[19] = withdrawn;
    let mut ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    ids.push(products[0].id);
    ids.extend((0..29).map(|_| Uuid::now_v7()));
    assert_eq!(ids.len(), 50);

    let port = app.service::<Arc<dyn ProductCatalog>>();
    let result = Mutex::new(Vec::new());
    let count = counted("products", async {
        *result.lock().unwrap() = port.snapshots(&ids).await.unwrap();
    })
    .await;
    let mut snapshots = result.into_inner().unwrap();
    snapshots.sort_by_key(|s| s.id);
    let got: Vec<_> = snapshots
        .iter()
        .map(|s| {
            (
                s.id,
                s.sku.as_str().to_owned(),
                s.price.amount,
                s.stock,
                s.active,
            )
        })
        .collect();
    let expected: Vec<_> = products
        .iter()
        .map(|p| {
            (
                p.id,
                p.sku.as_str().to_owned(),
                p.price.amount,
                p.stock,
                p.active,
            )
        })
        .collect();
    assert_eq!(got, expected, "each known product once, inactive included");
    if let Some(count) = count {
        assert_eq!(count, (1, 20), "one statement for the batch");
    }

    // A write is seen at once, even by a product cached before it; a product read through the
    // cache (after the write: products share invalidation epochs by stripe) costs the batch
    // nothing.
    catalog.product(None, products[1].id).await.unwrap();
    catalog
        .update(
            &admin(),
            products[1].id,
            ProductChange {
                version: Some(1),
                price_amount: Some(9999),
                ..ProductChange::default()
            },
        )
        .await
        .unwrap();
    catalog.product(None, products[0].id).await.unwrap();
    let result = Mutex::new(Vec::new());
    let count = counted("products", async {
        *result.lock().unwrap() = port
            .snapshots(&[products[0].id, products[1].id])
            .await
            .unwrap();
    })
    .await;
    let mut snapshots = result.into_inner().unwrap();
    snapshots.sort_by_key(|s| s.id);
    assert_eq!(
        snapshots.iter().map(|s| s.price.amount).collect::<Vec<_>>(),
        vec![100, 9999]
    );
    if let Some(count) = count {
        assert_eq!(count, (1, 1), "only the uncached product is queried");
    }
}

both_backends!(
    user_directory_answers_a_batch_of_50_in_one_statement,
    product_catalog_answers_a_batch_of_50_in_one_statement,
);
