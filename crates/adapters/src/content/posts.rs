use std::collections::HashMap;

use agora_domain::{
    content::{Post, PostListing, PostQuery, PostScope},
    paging::{Page, PageRequest},
    ports::{PostRepository, StoreError, Tx},
};
use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use super::{
    rows::{listing_of, post_of, stored_tags, COMMENT_COUNT, POST_COLUMNS},
    scopes::{from_where, render},
};
use crate::{
    on_pool, on_tx,
    store::{bind_args, map_sqlx_error, Arg, Database},
};

/// Posts in the relational store, on either backend.
#[derive(Debug, Clone)]
pub struct SqlPostRepository {
    db: Database,
}

impl SqlPostRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn total_of(total: i64) -> u64 {
    u64::try_from(total).unwrap_or_default()
}

#[async_trait]
impl PostRepository for SqlPostRepository {
    #[tracing::instrument(level = "debug", skip_all, fields(post_id = %post.id))]
    async fn insert(&self, tx: &mut Tx, post: &Post) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO posts (id, author_id, title, body, tags, published, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(post.id)
            .bind(post.author_id)
            .bind(post.title.as_str())
            .bind(post.body.as_str())
            .bind(stored_tags(&post.tags))
            .bind(post.published)
            .bind(post.created_at)
            .bind(post.updated_at)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(post_id = %post.id))]
    async fn update(&self, tx: &mut Tx, post: &Post) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE posts SET title = $2, body = $3, tags = $4, published = $5, updated_at = $6 \
                 WHERE id = $1",
            )
            .bind(post.id)
            .bind(post.title.as_str())
            .bind(post.body.as_str())
            .bind(stored_tags(&post.tags))
            .bind(post.published)
            .bind(post.updated_at)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn delete(&self, tx: &mut Tx, id: Uuid) -> Result<(), StoreError> {
        // Comments go with it (`ON DELETE CASCADE`).
        on_tx!(tx, |conn| {
            sqlx::query("DELETE FROM posts WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Post>, StoreError> {
        let sql = format!("SELECT {POST_COLUMNS} FROM posts p WHERE p.id = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| post_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn get(&self, id: Uuid) -> Result<Option<PostListing>, StoreError> {
        let sql = format!("SELECT {POST_COLUMNS}, {COMMENT_COUNT} FROM posts p WHERE p.id = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| listing_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list(&self, query: &PostQuery) -> Result<Page<PostListing>, StoreError> {
        let (rendered, conditions, joins) = render(&query.scopes, self.db.backend());
        let from_where = from_where(&joins, &conditions);
        // The total rides along as a window count: one statement per page with rows.
        let select = format!(
            "SELECT {POST_COLUMNS}, {COMMENT_COUNT}, count(*) OVER () AS total {from_where} \
             ORDER BY p.created_at DESC, p.id DESC LIMIT {} OFFSET {}",
            query.page.limit,
            query.page.offset()
        );
        let count = format!("SELECT count(*) {from_where}");
        on_pool!(&self.db, |pool| {
            let rows = bind_args!(sqlx::query(&select), &rendered.args)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 = match rows.first() {
                Some(row) => row.try_get("total").map_err(map_sqlx_error)?,
                // Past the last page (or nothing at all): only then is the total a second read.
                None if query.page.page > 1 => {
                    bind_args!(sqlx::query_scalar(&count), &rendered.args)
                        .fetch_one(pool)
                        .await
                        .map_err(map_sqlx_error)?
                }
                None => 0,
            };
            let items = rows.iter().map(listing_of).collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                items,
                total: total_of(total),
            })
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(authors = authors.len()))]
    async fn list_by_authors(
        &self,
        authors: &[Uuid],
        scopes: &[PostScope],
        page: PageRequest,
    ) -> Result<HashMap<Uuid, Page<PostListing>>, StoreError> {
        let mut pages: HashMap<Uuid, Page<PostListing>> = HashMap::new();
        if authors.is_empty() {
            return Ok(pages);
        }
        let (mut rendered, mut conditions, joins) = render(scopes, self.db.backend());
        let placeholders: Vec<String> = authors
            .iter()
            .map(|author| rendered.bind(Arg::Uuid(*author)))
            .collect();
        conditions.push(format!("p.author_id IN ({})", placeholders.join(", ")));
        // Each author's page is cut by a per-author row number; the per-author total is a window
        // count over the same partition.
        let select = format!(
            "SELECT * FROM (SELECT {POST_COLUMNS}, {COMMENT_COUNT}, \
             row_number() OVER (PARTITION BY p.author_id ORDER BY p.created_at DESC, p.id DESC) AS n, \
             count(*) OVER (PARTITION BY p.author_id) AS total {}) p \
             WHERE p.n > {} AND p.n <= {} ORDER BY p.author_id, p.n",
            from_where(&joins, &conditions),
            page.offset(),
            page.offset() + u64::from(page.limit)
        );
        on_pool!(&self.db, |pool| {
            let rows = bind_args!(sqlx::query(&select), &rendered.args)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            for row in &rows {
                let listing = listing_of(row)?;
                let total: i64 = row.try_get("total").map_err(map_sqlx_error)?;
                let entry = pages.entry(listing.post.author_id).or_insert_with(|| Page {
                    items: Vec::new(),
                    total: total_of(total),
                });
                entry.items.push(listing);
            }
        });
        Ok(pages)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(authors = authors.len()))]
    async fn count_by_authors(&self, authors: &[Uuid]) -> Result<HashMap<Uuid, u64>, StoreError> {
        if authors.is_empty() {
            return Ok(HashMap::new());
        }
        let placeholders: Vec<String> = (1..=authors.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT author_id, count(*) AS posts FROM posts WHERE author_id IN ({}) GROUP BY author_id",
            placeholders.join(", ")
        );
        on_pool!(&self.db, |pool| {
            let mut query = sqlx::query(&sql);
            for author in authors {
                query = query.bind(*author);
            }
            let rows = query.fetch_all(pool).await.map_err(map_sqlx_error)?;
            rows.iter()
                .map(|row| {
                    let author: Uuid = row.try_get("author_id").map_err(map_sqlx_error)?;
                    let posts: i64 = row.try_get("posts").map_err(map_sqlx_error)?;
                    Ok((author, total_of(posts)))
                })
                .collect()
        })
    }
}
