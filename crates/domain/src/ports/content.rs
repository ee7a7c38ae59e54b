//! Content's ports: the repositories its use cases need.

use std::collections::HashMap;

use async_trait::async_trait;
use uuid::Uuid;

use super::{StoreError, Tx};
use crate::{
    content::{Comment, Post, PostListing, PostQuery, PostScope},
    paging::{Page, PageRequest},
};

/// Persistence of posts.
#[async_trait]
pub trait PostRepository: Send + Sync {
    /// Stores a new post.
    async fn insert(&self, tx: &mut Tx, post: &Post) -> Result<(), StoreError>;
    /// Writes every mutable field of an existing post.
    async fn update(&self, tx: &mut Tx, post: &Post) -> Result<(), StoreError>;
    /// Deletes a post and its comments.
    async fn delete(&self, tx: &mut Tx, id: Uuid) -> Result<(), StoreError>;
    /// Reads one post inside a transaction (to change it).
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Post>, StoreError>;
    /// Reads one post with its comment count, in ONE statement.
    async fn get(&self, id: Uuid) -> Result<Option<PostListing>, StoreError>;
    /// One page of posts matching every scope, newest first, each with its comment count: ONE
    /// statement for a page that has rows (the total rides along as a window count); a page past
    /// the end costs a second statement for the total.
    async fn list(&self, query: &PostQuery) -> Result<Page<PostListing>, StoreError>;
    /// The same page of each author's posts matching `scopes`, for many authors in ONE
    /// statement (GraphQL `User.posts`): authors without posts are absent.
    async fn list_by_authors(
        &self,
        authors: &[Uuid],
        scopes: &[PostScope],
        page: PageRequest,
    ) -> Result<HashMap<Uuid, Page<PostListing>>, StoreError>;
    /// How many posts each of `authors` wrote (drafts included), in ONE statement; authors
    /// without posts are absent.
    async fn count_by_authors(&self, authors: &[Uuid]) -> Result<HashMap<Uuid, u64>, StoreError>;
}

/// Persistence of comments.
#[async_trait]
pub trait CommentRepository: Send + Sync {
    /// Stores a new comment.
    async fn insert(&self, tx: &mut Tx, comment: &Comment) -> Result<(), StoreError>;
    /// Deletes a comment.
    async fn delete(&self, tx: &mut Tx, id: Uuid) -> Result<(), StoreError>;
    /// Reads one comment inside a transaction (to delete it).
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Comment>, StoreError>;
    /// The comments of every post among `post_ids`, oldest first, in ONE statement (adapters
    /// may split batches of more than 1000 ids).
    async fn for_posts(&self, post_ids: &[Uuid]) -> Result<Vec<Comment>, StoreError>;
}
