//! The database paths of the documented list filters and sorts (issue 18, item 5), on
//! PostgreSQL: the statements the real repositories prepare are captured from the connection
//! (`pg_prepared_statements`) and explained. Two properties:
//!
//! * every filter and sort finds its rows through an index: with `enable_seqscan = off` the
//!   planner takes any usable index over a sequential scan, so a `Seq Scan` left in a plan means
//!   no index can serve that query — whatever the table's size (a table of a few rows would be
//!   scanned anyway, which says nothing about production's); and a `Sort` over rows no index
//!   condition found means no index gives the requested order, so every row would be read to
//!   find the first page;
//! * statements are reused: listing many pages of one filter prepares one statement, not one per
//!   page (page and size are bound parameters).

use agora_adapters::{
    catalog::SqlProductRepository,
    orders::SqlOrderRepository,
    store::{migrations::Migrator, Database, DbOptions},
};
use agora_domain::{
    catalog::{ProductQuery, ProductScope, ProductSort},
    orders::OrderStatus,
    paging::PageRequest,
    ports::{OrderFilter, OrderRepository, OrderSort, ProductRepository},
};
use chrono::{Duration, Utc};
use serde_json::Value;
use sqlx::{PgPool, Row};

use crate::support::{Backend, TestStore};

/// One connection, so that session settings and prepared statements are those of the
/// repositories' own queries.
async fn single_connection() -> (TestStore, Database, PgPool) {
    let store = TestStore::create(Backend::Postgres).await;
    let options = DbOptions {
        max_connections: 1,
        ..DbOptions::default()
    };
    let db = Database::connect(&store.url, &options)
        .await
        .expect("connect");
    Migrator::new(&db, agora::modules::all_migrations())
        .up(&["platform", "identity", "catalog", "orders"], &mut |_| {})
        .await
        .expect("migrate");
    let Database::Postgres(pool) = db.clone() else {
        unreachable!("a PostgreSQL store")
    };
    (store, db, pool)
}

async fn seed(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO categories (id, slug, name) VALUES ('00000000-0000-7000-8000-000000000001', 'tools', 'Tools');
         INSERT INTO products (id, sku, name, description, price_amount, price_currency, stock,
                               category_id, active, created_at, updated_at)
         SELECT gen_random_uuid(), 'SKU-' || n, 'Product ' || n, 'A sturdy thing', n * 10, 'EUR', n % 7,
                CASE WHEN n % 3 = 0 THEN '00000000-0000-7000-8000-000000000001'::uuid END,
                n % 10 <> 0, now() - n * interval '1 minute', now()
         FROM generate_series(1, 300) AS n;
         INSERT INTO orders (id, user_id, status, total_amount, currency, reservation_id,
                             created_at, updated_at)
         SELECT gen_random_uuid(), gen_random_uuid(), (ARRAY['pending','paid','shipped'])[1 + n % 3],
                n * 100, 'EUR', gen_random_uuid(), now() - n * interval '1 hour', now()
         FROM generate_series(1, 300) AS n;
         ANALYZE;
         SET enable_seqscan = off;
         SET plan_cache_mode = force_generic_plan;",
    )
    .execute(pool)
    .await
    .expect("seed");
}

fn product_queries() -> Vec<(&'static str, ProductQuery)> {
    let base = || ProductQuery::new().scope(ProductScope::Active);
    let category = "00000000-0000-7000-8000-000000000001".parse().unwrap();
    let mut queries = vec![
        ("default (newest first)", base()),
        ("category", base().scope(ProductScope::InCategory(category))),
        ("minPrice", base().scope(ProductScope::PriceAtLeast(2_900))),
        ("maxPrice", base().scope(ProductScope::PriceAtMost(50))),
        ("inStock", base().scope(ProductScope::InStock(true))),
        (
            "q",
            base()
                .scope(ProductScope::Search("sturdy".into()))
                .sorted(ProductSort::Relevance, false),
        ),
    ];
    for (name, sort) in [
        ("sort=name", ProductSort::Name),
        ("sort=price", ProductSort::Price),
        ("sort=stock", ProductSort::Stock),
        ("sort=createdAt", ProductSort::CreatedAt),
    ] {
        queries.push((name, base().sorted(sort, false)));
    }
    queries
}

fn order_filters() -> Vec<(&'static str, OrderFilter)> {
    let base = OrderFilter {
        user_id: None,
        status: None,
        from: None,
        to: None,
        sort: OrderSort::CreatedAt,
        descending: true,
        page: PageRequest { page: 1, limit: 20 },
    };
    vec![
        ("newest first", base.clone()),
        (
            "userId",
            OrderFilter {
                user_id: Some(uuid::Uuid::now_v7()),
                ..base.clone()
            },
        ),
        (
            "status",
            OrderFilter {
                status: Some(OrderStatus::Paid),
                ..base.clone()
            },
        ),
        (
            "from/to",
            OrderFilter {
                from: Some(Utc::now() - Duration::hours(5)),
                to: Some(Utc::now() - Duration::hours(2)),
                ..base.clone()
            },
        ),
        (
            "sort=total",
            OrderFilter {
                sort: OrderSort::Total,
                ..base.clone()
            },
        ),
        (
            "sort=status",
            OrderFilter {
                sort: OrderSort::Status,
                ..base
            },
        ),
    ]
}

/// The statements prepared on the connection so far whose text mentions `table`.
async fn prepared(pool: &PgPool, table: &str) -> Vec<(String, String, usize)> {
    sqlx::query(
        "SELECT name, statement, cardinality(parameter_types) FROM pg_prepared_statements \
         WHERE statement LIKE $1 AND statement NOT LIKE '%pg_prepared_statements%'",
    )
    .bind(format!("%FROM {table}%"))
    .fetch_all(pool)
    .await
    .expect("prepared statements")
    .into_iter()
    .map(|row| (row.get(0), row.get(1), row.get::<i32, _>(2) as usize))
    .collect()
}

/// Stands in the node list for an index condition (rows found through an index, not all read).
const CONDITION: &str = "(index condition)";

/// The node types of the generic plan of a prepared statement, with [`CONDITION`] after each
/// node that looks rows up by an index condition.
async fn plan_nodes(pool: &PgPool, name: &str, parameters: usize) -> Vec<String> {
    let nulls = vec!["NULL"; parameters].join(", ");
    let explain = if parameters == 0 {
        format!("EXPLAIN (FORMAT JSON) EXECUTE {name}")
    } else {
        format!("EXPLAIN (FORMAT JSON) EXECUTE {name}({nulls})")
    };
    let plan: Value = sqlx::query_scalar(&explain)
        .fetch_one(pool)
        .await
        .expect("explain");
    fn walk(node: &Value, out: &mut Vec<String>) {
        if let Some(kind) = node["Node Type"].as_str() {
            out.push(kind.to_owned());
        }
        if node.get("Index Cond").is_some() {
            out.push(CONDITION.to_owned());
        }
        for child in node["Plans"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut nodes = Vec::new();
    walk(&plan[0]["Plan"], &mut nodes);
    nodes
}

async fn assert_no_full_scan(pool: &PgPool, table: &str) {
    let statements = prepared(pool, table).await;
    assert!(!statements.is_empty(), "no statement on {table} captured");
    for (name, statement, parameters) in statements {
        let nodes = plan_nodes(pool, &name, parameters).await;
        assert!(
            !nodes.iter().any(|n| n == "Seq Scan"),
            "a sequential scan remains (no usable index) in\n{statement}\nplan: {nodes:?}"
        );
        // Sorting rows that were all read means no index gives the order (an incremental sort
        // of ties is fine, and so is sorting the few rows an index condition found, which the
        // planner prefers for a narrow range). Relevance is computed per row, so it sorts.
        let ranked = statement.contains("ts_rank");
        let found_by_index = nodes.iter().any(|n| n == CONDITION);
        assert!(
            ranked || found_by_index || !nodes.iter().any(|n| n == "Sort"),
            "no index gives the order of\n{statement}\nplan: {nodes:?}"
        );
    }
}

#[tokio::test]
async fn every_documented_product_filter_and_sort_uses_an_index_on_postgres() {
    let (_store, db, pool) = single_connection().await;
    seed(&pool).await;
    let products = SqlProductRepository::new(db.clone());
    for (name, query) in product_queries() {
        let page = products.list(&query).await.expect(name);
        assert!(
            page.total > 0 || name == "maxPrice",
            "{name}: rows expected"
        );
    }
    assert_no_full_scan(&pool, "products p").await;
    db.close().await;
}

#[tokio::test]
async fn every_documented_admin_order_filter_and_sort_uses_an_index_on_postgres() {
    let (_store, db, pool) = single_connection().await;
    seed(&pool).await;
    let orders = SqlOrderRepository::new(db.clone());
    for (name, filter) in order_filters() {
        orders.list(&filter).await.expect(name);
    }
    assert_no_full_scan(&pool, "orders").await;
    db.close().await;
}

#[tokio::test]
async fn list_pages_reuse_one_prepared_statement_on_postgres() {
    let (_store, db, pool) = single_connection().await;
    seed(&pool).await;
    let products = SqlProductRepository::new(db.clone());
    for page in 1..=6 {
        let query = ProductQuery::new()
            .scope(ProductScope::Active)
            .paginate(PageRequest { page, limit: 10 });
        let listed = products.list(&query).await.expect("page");
        assert_eq!(listed.items.len(), 10, "page {page} is full");
    }
    let statements = prepared(&pool, "products p").await;
    assert_eq!(
        statements.len(),
        2,
        "one page query and one count for six pages: {statements:#?}"
    );
    db.close().await;
}
