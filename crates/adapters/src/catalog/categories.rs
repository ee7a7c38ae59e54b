use agora_domain::{
    catalog::Category,
    ports::{CategoryRepository, StoreError, Tx},
};
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use crate::{
    on_pool, on_tx,
    store::{map_sqlx_error, Database},
};

/// Categories in the relational store.
#[derive(Debug, Clone)]
pub struct SqlCategoryRepository {
    db: Database,
}

impl SqlCategoryRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CategoryRepository for SqlCategoryRepository {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list(&self) -> Result<Vec<Category>, StoreError> {
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query("SELECT id, slug, name FROM categories ORDER BY name")
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            rows.iter()
                .map(|row| {
                    Ok(Category {
                        id: row.try_get("id")?,
                        slug: row.try_get("slug")?,
                        name: row.try_get("name")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(map_sqlx_error)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(name = %category.name))]
    async fn ensure(&self, tx: &mut Tx, category: &Category) -> Result<Category, StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query("INSERT INTO categories (id, slug, name) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING")
                .bind(category.id)
                .bind(&category.slug)
                .bind(&category.name)
                .execute(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            let row = sqlx::query("SELECT id, slug, name FROM categories WHERE slug = $1")
                .bind(&category.slug)
                .fetch_one(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            Ok(Category {
                id: row.try_get("id").map_err(map_sqlx_error)?,
                slug: row.try_get("slug").map_err(map_sqlx_error)?,
                name: row.try_get("name").map_err(map_sqlx_error)?,
            })
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    async fn exists(&self, id: Uuid) -> Result<bool, StoreError> {
        on_pool!(&self.db, |pool| {
            let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM categories WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            Ok(found.is_some())
        })
    }
}
