use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::paging::PageRequest;

/// One composable restriction of a post list (the seed's query-builder scopes made real). The
/// adapters render each per SQL dialect; use cases only combine them.
#[derive(Debug, Clone, PartialEq)]
pub enum PostScope {
    /// What `viewer` may read: published posts, plus their own drafts (anonymous: published
    /// only). Admins get no such scope.
    VisibleTo(Option<Uuid>),
    /// Written by one user.
    ByAuthor(Uuid),
    /// Carrying one tag.
    Tagged(String),
    /// Created strictly after this instant (`createdAfter`).
    CreatedAfter(DateTime<Utc>),
    /// Full-text match on title and body.
    Search(String),
}

/// A post list request: scopes and page (`paginate`), newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PostQuery {
    /// Restrictions, all of which must hold.
    pub scopes: Vec<PostScope>,
    /// Page.
    pub page: PageRequest,
}

impl PostQuery {
    /// Every post, newest first, first page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scope.
    pub fn scope(mut self, scope: PostScope) -> Self {
        self.scopes.push(scope);
        self
    }

    /// Sets the page.
    pub fn paginate(mut self, page: PageRequest) -> Self {
        self.page = page;
        self
    }
}
