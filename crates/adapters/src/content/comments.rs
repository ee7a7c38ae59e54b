use agora_domain::{
    content::Comment,
    ports::{CommentRepository, StoreError, Tx},
};
use async_trait::async_trait;
use uuid::Uuid;

use super::rows::comment_of;
use crate::{
    on_pool, on_tx,
    store::{id_chunks, map_sqlx_error, Database},
};

const COLUMNS: &str = "id, post_id, author_id, body, created_at";

/// Comments in the relational store, on either backend.
#[derive(Debug, Clone)]
pub struct SqlCommentRepository {
    db: Database,
}

impl SqlCommentRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CommentRepository for SqlCommentRepository {
    #[tracing::instrument(level = "debug", skip_all, fields(comment_id = %comment.id))]
    async fn insert(&self, tx: &mut Tx, comment: &Comment) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO comments (id, post_id, author_id, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(comment.id)
            .bind(comment.post_id)
            .bind(comment.author_id)
            .bind(comment.body.as_str())
            .bind(comment.created_at)
            .execute(conn)
            .await
            .map_err(post_gone)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(comment_id = %id))]
    async fn delete(&self, tx: &mut Tx, id: Uuid) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query("DELETE FROM comments WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(comment_id = %id))]
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Comment>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM comments WHERE id = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| comment_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(posts = post_ids.len()))]
    async fn for_posts(&self, post_ids: &[Uuid]) -> Result<Vec<Comment>, StoreError> {
        let mut comments = Vec::new();
        for (chunk, list) in id_chunks(post_ids) {
            let sql = format!(
                "SELECT {COLUMNS} FROM comments WHERE post_id IN ({list}) ORDER BY created_at, id"
            );
            let found: Vec<Comment> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query(&sql);
                for id in &chunk {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(pool).await.map_err(map_sqlx_error)?;
                rows.iter().map(comment_of).collect::<Result<_, _>>()?
            });
            comments.extend(found);
        }
        Ok(comments)
    }
}

/// The name Postgres gives the comments' only foreign key; SQLite reports a violation without a
/// name, so both are reported under it and the use case can tell "the post is gone" apart.
const COMMENT_POST_FK: &str = "comments_post_id_fkey";

/// A comment whose post was deleted between the use case's read and this insert violates the
/// foreign key: named, so it becomes a 404 rather than an opaque 500.
fn post_gone(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {
            StoreError::Constraint {
                constraint: COMMENT_POST_FK.to_owned(),
            }
        }
        _ => map_sqlx_error(error),
    }
}
