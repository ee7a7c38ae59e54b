//! `posts` and `comments` rows as stored, decoded by either backend.

use agora_domain::{
    content::{Comment, CommentBody, Post, PostBody, PostListing, Tags, Title},
    ports::StoreError,
};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, FromRow, Row};
use uuid::Uuid;

use crate::store::{map_sqlx_error, Column};

/// The columns of a post, aliased `p`.
pub(super) const POST_COLUMNS: &str =
    "p.id, p.author_id, p.title, p.body, p.tags, p.published, p.created_at, p.updated_at";

/// A post's comment count, as a correlated sub-select (indexed by `comments_post_id_idx`), so a
/// page of posts and their counts is one statement.
pub(super) const COMMENT_COUNT: &str =
    "(SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comment_count";

/// Tags as stored: `,a,b,` (`,` when none), so `LIKE '%,a,%'` finds a tag.
pub(super) fn stored_tags(tags: &Tags) -> String {
    let mut stored = String::from(",");
    for tag in tags.as_slice() {
        stored.push_str(tag.as_str());
        stored.push(',');
    }
    stored
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt content row: {what}").into())
}

pub(super) struct PostRow {
    id: Uuid,
    author_id: Uuid,
    title: String,
    body: String,
    tags: String,
    published: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'r, R: Row> FromRow<'r, R> for PostRow
where
    &'r str: ColumnIndex<R>,
    Uuid: Column<'r, R>,
    String: Column<'r, R>,
    bool: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            author_id: row.try_get("author_id")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            tags: row.try_get("tags")?,
            published: row.try_get("published")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl TryFrom<PostRow> for Post {
    type Error = StoreError;

    /// Stored values pass the same validation as input; a row that does not is corrupt.
    fn try_from(row: PostRow) -> Result<Self, StoreError> {
        let tags: Vec<&str> = row.tags.split(',').filter(|t| !t.is_empty()).collect();
        Ok(Post {
            id: row.id,
            author_id: row.author_id,
            title: Title::parse(&row.title).map_err(|e| corrupt(e.message))?,
            body: PostBody::parse(&row.body).map_err(|e| corrupt(e.message))?,
            tags: Tags::parse(&tags).map_err(|e| corrupt(e.message))?,
            published: row.published,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A [`Post`] from a row of either backend.
pub(super) fn post_of<'r, R: Row>(row: &'r R) -> Result<Post, StoreError>
where
    PostRow: FromRow<'r, R>,
{
    PostRow::from_row(row).map_err(map_sqlx_error)?.try_into()
}

/// A [`PostListing`] from a row that also has `comment_count`.
pub(super) fn listing_of<'r, R: Row>(row: &'r R) -> Result<PostListing, StoreError>
where
    PostRow: FromRow<'r, R>,
    &'r str: ColumnIndex<R>,
    i64: Column<'r, R>,
{
    let count: i64 = row.try_get("comment_count").map_err(map_sqlx_error)?;
    Ok(PostListing {
        post: post_of(row)?,
        comment_count: u64::try_from(count).map_err(corrupt)?,
    })
}

pub(super) struct CommentRow {
    id: Uuid,
    post_id: Uuid,
    author_id: Uuid,
    body: String,
    created_at: DateTime<Utc>,
}

impl<'r, R: Row> FromRow<'r, R> for CommentRow
where
    &'r str: ColumnIndex<R>,
    Uuid: Column<'r, R>,
    String: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            post_id: row.try_get("post_id")?,
            author_id: row.try_get("author_id")?,
            body: row.try_get("body")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// A [`Comment`] from a row of either backend.
pub(super) fn comment_of<'r, R: Row>(row: &'r R) -> Result<Comment, StoreError>
where
    CommentRow: FromRow<'r, R>,
{
    let row = CommentRow::from_row(row).map_err(map_sqlx_error)?;
    Ok(Comment {
        id: row.id,
        post_id: row.post_id,
        author_id: row.author_id,
        body: CommentBody::parse(&row.body).map_err(|e| corrupt(e.message))?,
        created_at: row.created_at,
    })
}
