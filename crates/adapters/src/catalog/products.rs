use agora_domain::{
    catalog::{Currency, Description, Money, Product, ProductName, ProductQuery, Sku},
    paging::Page,
    ports::{ProductRepository, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::scopes::{order_by, render, Arg};
use crate::{
    on_pool, on_tx,
    store::{id_chunks, map_sqlx_error, Database},
};

/// Products in the relational store, on either backend.
#[derive(Debug, Clone)]
pub struct SqlProductRepository {
    db: Database,
}

impl SqlProductRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const COLUMNS: &str =
    "p.id, p.sku, p.name, p.description, p.price_amount, p.price_currency, p.stock, \
                       p.category_id, p.active, p.version, p.created_at, p.updated_at";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt products row: {what}").into())
}

macro_rules! product_from_row {
    ($row:expr) => {{
        let row = $row;
        (|| -> Result<Product, StoreError> {
            let text = |c: &str| row.try_get::<String, _>(c).map_err(map_sqlx_error);
            let currency = Currency::parse(&text("price_currency")?, "currency")
                .map_err(|e| corrupt(e.message))?;
            Ok(Product {
                id: row.try_get::<Uuid, _>("id").map_err(map_sqlx_error)?,
                sku: Sku::parse(&text("sku")?).map_err(|e| corrupt(e.message))?,
                name: ProductName::parse(&text("name")?).map_err(|e| corrupt(e.message))?,
                description: Description::parse(&text("description")?)
                    .map_err(|e| corrupt(e.message))?,
                price: Money {
                    amount: row
                        .try_get::<i64, _>("price_amount")
                        .map_err(map_sqlx_error)?,
                    currency,
                },
                stock: u32::try_from(row.try_get::<i64, _>("stock").map_err(map_sqlx_error)?)
                    .map_err(corrupt)?,
                category_id: row
                    .try_get::<Option<Uuid>, _>("category_id")
                    .map_err(map_sqlx_error)?,
                active: row.try_get::<bool, _>("active").map_err(map_sqlx_error)?,
                version: row.try_get::<i64, _>("version").map_err(map_sqlx_error)?,
                created_at: row
                    .try_get::<DateTime<Utc>, _>("created_at")
                    .map_err(map_sqlx_error)?,
                updated_at: row
                    .try_get::<DateTime<Utc>, _>("updated_at")
                    .map_err(map_sqlx_error)?,
            })
        })()
    }};
}

/// Binds rendered arguments in order; expanded per backend.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Uuid(v) => query.bind(*v),
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
                Arg::Time(v) => query.bind(*v),
            };
        }
        query
    }};
}

#[async_trait]
impl ProductRepository for SqlProductRepository {
    async fn insert(&self, tx: &mut Tx, p: &Product) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO products (id, sku, name, description, price_amount, price_currency, stock, \
                 category_id, active, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(p.id)
            .bind(p.sku.as_str())
            .bind(p.name.as_str())
            .bind(p.description.as_str())
            .bind(p.price.amount)
            .bind(p.price.currency.code())
            .bind(i64::from(p.stock))
            .bind(p.category_id)
            .bind(p.active)
            .bind(p.version)
            .bind(p.created_at)
            .bind(p.updated_at)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn update(
        &self,
        tx: &mut Tx,
        p: &Product,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        on_tx!(tx, |conn| {
            let result = sqlx::query(
                "UPDATE products SET sku = $2, name = $3, description = $4, price_amount = $5, \
                 price_currency = $6, stock = $7, category_id = $8, active = $9, version = $10, updated_at = $11 \
                 WHERE id = $1 AND version = $12",
            )
            .bind(p.id)
            .bind(p.sku.as_str())
            .bind(p.name.as_str())
            .bind(p.description.as_str())
            .bind(p.price.amount)
            .bind(p.price.currency.code())
            .bind(i64::from(p.stock))
            .bind(p.category_id)
            .bind(p.active)
            .bind(p.version)
            .bind(p.updated_at)
            .bind(expected_version)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
            Ok(result.rows_affected() == 1)
        })
    }

    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Product>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| product_from_row!(row)).transpose()
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Product>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| product_from_row!(row)).transpose()
        })
    }

    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Product>, StoreError> {
        let mut products = Vec::with_capacity(ids.len());
        for (chunk, list) in id_chunks(ids) {
            let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id IN ({list})");
            let found: Vec<Product> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query(&sql);
                for id in &chunk {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(pool).await.map_err(map_sqlx_error)?;
                rows.into_iter()
                    .map(|row| product_from_row!(row))
                    .collect::<Result<_, _>>()?
            });
            products.extend(found);
        }
        Ok(products)
    }

    async fn list(&self, query: &ProductQuery) -> Result<Page<Product>, StoreError> {
        let rendered = render(query, self.db.backend());
        let select = format!(
            "SELECT {COLUMNS} {} {} LIMIT {} OFFSET {}",
            rendered.from_where,
            order_by(query, rendered.rank.as_deref()),
            query.page.limit,
            query.page.offset()
        );
        let count = format!("SELECT count(*) {}", rendered.from_where);
        on_pool!(&self.db, |pool| {
            let rows = bind_args!(sqlx::query(&select), &rendered.args)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 = bind_args!(sqlx::query_scalar(&count), &rendered.args)
                .fetch_one(pool)
                .await
                .map_err(map_sqlx_error)?;
            let items = rows
                .into_iter()
                .map(|row| product_from_row!(row))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let total: i64 = on_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT count(*) FROM products")
                .fetch_one(pool)
                .await
                .map_err(map_sqlx_error)?
        });
        Ok(u64::try_from(total).unwrap_or_default())
    }
}
