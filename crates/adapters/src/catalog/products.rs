use agora_domain::{
    catalog::{Currency, Description, Money, Product, ProductName, ProductQuery, Sku},
    ports::{ProductRepository, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, FromRow, Row};
use uuid::Uuid;

use super::scopes::{order_by, render};
use crate::{
    on_pool, on_tx,
    store::{bind_args, id_chunks, map_sqlx_error, Arg, Column, Database},
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

/// A `products` row as stored, decoded by either backend.
struct ProductRow {
    id: Uuid,
    sku: String,
    name: String,
    description: String,
    price_amount: i64,
    price_currency: String,
    stock: i64,
    category_id: Option<Uuid>,
    active: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'r, R: Row> FromRow<'r, R> for ProductRow
where
    &'r str: ColumnIndex<R>,
    Uuid: Column<'r, R>,
    Option<Uuid>: Column<'r, R>,
    String: Column<'r, R>,
    i64: Column<'r, R>,
    bool: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            sku: row.try_get("sku")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            price_amount: row.try_get("price_amount")?,
            price_currency: row.try_get("price_currency")?,
            stock: row.try_get("stock")?,
            category_id: row.try_get("category_id")?,
            active: row.try_get("active")?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl TryFrom<ProductRow> for Product {
    type Error = StoreError;

    /// Stored values pass the same validation as input; a row that does not is corrupt.
    fn try_from(row: ProductRow) -> Result<Self, StoreError> {
        let currency =
            Currency::parse(&row.price_currency, "currency").map_err(|e| corrupt(e.message))?;
        Ok(Product {
            id: row.id,
            sku: Sku::parse(&row.sku).map_err(|e| corrupt(e.message))?,
            name: ProductName::parse(&row.name).map_err(|e| corrupt(e.message))?,
            description: Description::parse(&row.description).map_err(|e| corrupt(e.message))?,
            price: Money {
                amount: row.price_amount,
                currency,
            },
            stock: u32::try_from(row.stock).map_err(corrupt)?,
            category_id: row.category_id,
            active: row.active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A [`Product`] from a row of either backend.
fn product_of<'r, R: Row>(row: &'r R) -> Result<Product, StoreError>
where
    ProductRow: FromRow<'r, R>,
{
    ProductRow::from_row(row)
        .map_err(map_sqlx_error)?
        .try_into()
}

#[async_trait]
impl ProductRepository for SqlProductRepository {
    #[tracing::instrument(level = "debug", skip_all, fields(product_id = %p.id))]
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

    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(product_id = %p.id, expected_version = expected_version)
    )]
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

    #[tracing::instrument(level = "debug", skip_all, fields(product_id = %id))]
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Product>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| product_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(product_id = %id))]
    async fn get(&self, id: Uuid) -> Result<Option<Product>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| product_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
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
                    .map(|row| product_of(&row))
                    .collect::<Result<_, _>>()?
            });
            products.extend(found);
        }
        Ok(products)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn page_items(&self, query: &ProductQuery) -> Result<Vec<Product>, StoreError> {
        let rendered = render(query, self.db.backend());
        // Page and size are bound, not spliced in: one prepared statement per filter shape
        // serves every page, instead of one per page filling the connection's statement cache.
        let mut args = rendered.args;
        args.push(Arg::Int(i64::from(query.page.limit)));
        args.push(Arg::Int(
            i64::try_from(query.page.offset()).unwrap_or(i64::MAX),
        ));
        let select = format!(
            "SELECT {COLUMNS} {} {} LIMIT ${} OFFSET ${}",
            rendered.from_where,
            order_by(query, rendered.rank.as_deref()),
            args.len() - 1,
            args.len()
        );
        on_pool!(&self.db, |pool| {
            let rows = bind_args!(sqlx::query(&select), &args)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            rows.into_iter()
                .map(|row| product_of(&row))
                .collect::<Result<Vec<_>, _>>()
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn count_matching(&self, query: &ProductQuery) -> Result<u64, StoreError> {
        let rendered = render(query, self.db.backend());
        let count = format!("SELECT count(*) {}", rendered.from_where);
        let total: i64 = on_pool!(&self.db, |pool| {
            bind_args!(sqlx::query_scalar(&count), &rendered.args)
                .fetch_one(pool)
                .await
                .map_err(map_sqlx_error)?
        });
        Ok(u64::try_from(total).unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all)]
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
