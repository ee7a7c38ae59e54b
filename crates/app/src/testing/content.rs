//! Content's repositories over [`MemoryDb`], and the content service over fakes (author names
//! from the fake store's users, as identity's `UserDirectory` would answer them).

use std::{collections::HashMap, sync::Arc};

use agora_domain::{
    content::{Comment, Post, PostListing, PostQuery, PostScope},
    paging::{Page, PageRequest},
    ports::{
        identity::{UserDirectory, UserProfile},
        CommentRepository, PortError, PostRepository, StoreError, Tx,
    },
};
use async_trait::async_trait;
use uuid::Uuid;

use super::{page_of, MemoryDb};
use crate::content::{Content, ContentDeps};

fn matches(post: &Post, scope: &PostScope) -> bool {
    match scope {
        PostScope::VisibleTo(viewer) => post.published || *viewer == Some(post.author_id),
        PostScope::ByAuthor(author) => post.author_id == *author,
        PostScope::Tagged(tag) => post.tags.to_strings().contains(tag),
        PostScope::CreatedAfter(at) => post.created_at > *at,
        PostScope::Search(text) => {
            let text = text.to_lowercase();
            post.title.as_str().to_lowercase().contains(&text)
                || post.body.as_str().to_lowercase().contains(&text)
        }
    }
}

impl MemoryDb {
    fn listings(&self, scopes: &[PostScope]) -> Vec<PostListing> {
        let tables = self.committed();
        let mut posts: Vec<PostListing> = tables
            .posts
            .iter()
            .filter(|p| scopes.iter().all(|s| matches(p, s)))
            .map(|p| PostListing {
                post: p.clone(),
                comment_count: tables.comments.iter().filter(|c| c.post_id == p.id).count() as u64,
            })
            .collect();
        posts.sort_by_key(|l| std::cmp::Reverse((l.post.created_at, l.post.id)));
        posts
    }
}

#[async_trait]
impl PostRepository for MemoryDb {
    async fn insert(&self, tx: &mut Tx, post: &Post) -> Result<(), StoreError> {
        self.write(tx, "posts.insert")?.posts.push(post.clone());
        Ok(())
    }
    async fn update(&self, tx: &mut Tx, post: &Post) -> Result<(), StoreError> {
        let tables = self.write(tx, "posts.update")?;
        if let Some(stored) = tables.posts.iter_mut().find(|p| p.id == post.id) {
            *stored = post.clone();
        }
        Ok(())
    }
    async fn delete(&self, tx: &mut Tx, id: Uuid) -> Result<(), StoreError> {
        let tables = self.write(tx, "posts.delete")?;
        tables.posts.retain(|p| p.id != id);
        tables.comments.retain(|c| c.post_id != id);
        Ok(())
    }
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Post>, StoreError> {
        let tables = self.write(tx, "posts.find")?;
        Ok(tables.posts.iter().find(|p| p.id == id).cloned())
    }
    async fn get(&self, id: Uuid) -> Result<Option<PostListing>, StoreError> {
        self.check("posts.get")?;
        Ok(self.listings(&[]).into_iter().find(|l| l.post.id == id))
    }
    async fn list(&self, query: &PostQuery) -> Result<Page<PostListing>, StoreError> {
        self.check("posts.list")?;
        Ok(page_of(self.listings(&query.scopes), query.page))
    }
    async fn list_by_authors(
        &self,
        authors: &[Uuid],
        scopes: &[PostScope],
        page: PageRequest,
    ) -> Result<HashMap<Uuid, Page<PostListing>>, StoreError> {
        self.check("posts.list_by_authors")?;
        let all = self.listings(scopes);
        Ok(authors
            .iter()
            .map(|author| {
                let own: Vec<PostListing> = all
                    .iter()
                    .filter(|l| l.post.author_id == *author)
                    .cloned()
                    .collect();
                (*author, page_of(own, page))
            })
            .filter(|(_, page)| page.total > 0)
            .collect())
    }
    async fn count_by_authors(&self, authors: &[Uuid]) -> Result<HashMap<Uuid, u64>, StoreError> {
        self.check("posts.count_by_authors")?;
        let mut counts = HashMap::new();
        for post in &self.committed().posts {
            if authors.contains(&post.author_id) {
                *counts.entry(post.author_id).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl CommentRepository for MemoryDb {
    async fn insert(&self, tx: &mut Tx, comment: &Comment) -> Result<(), StoreError> {
        let tables = self.write(tx, "comments.insert")?;
        // The foreign key of the SQL schemas, under the name both adapters report.
        if !tables.posts.iter().any(|p| p.id == comment.post_id) {
            return Err(StoreError::Constraint {
                constraint: "comments_post_id_fkey".into(),
            });
        }
        tables.comments.push(comment.clone());
        Ok(())
    }
    async fn delete(&self, tx: &mut Tx, id: Uuid) -> Result<(), StoreError> {
        self.write(tx, "comments.delete")?
            .comments
            .retain(|c| c.id != id);
        Ok(())
    }
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Comment>, StoreError> {
        let tables = self.write(tx, "comments.find")?;
        Ok(tables.comments.iter().find(|c| c.id == id).cloned())
    }
    async fn for_posts(&self, post_ids: &[Uuid]) -> Result<Vec<Comment>, StoreError> {
        self.check("comments.for_posts")?;
        let mut found: Vec<Comment> = self
            .committed()
            .comments
            .iter()
            .filter(|c| post_ids.contains(&c.post_id))
            .cloned()
            .collect();
        found.sort_by_key(|c| (c.created_at, c.id));
        Ok(found)
    }
}

/// Identity's directory over the fake store's users; counts its calls.
pub struct FakeDirectory(MemoryDb);

#[async_trait]
impl UserDirectory for FakeDirectory {
    async fn profiles(&self, ids: &[Uuid]) -> Result<Vec<UserProfile>, PortError> {
        self.0.check("users.profiles")?;
        Ok(self
            .0
            .committed()
            .users
            .iter()
            .filter(|u| ids.contains(&u.id))
            .map(UserProfile::from)
            .collect())
    }
}

/// The content service over fakes.
pub struct ContentHarness {
    /// The service under test.
    pub content: Content,
    /// Its store.
    pub db: MemoryDb,
}

/// [`ContentHarness`] over an empty store.
pub fn content() -> ContentHarness {
    let db = MemoryDb::default();
    let content = Content::new(ContentDeps {
        uow: Arc::new(db.clone()),
        posts: Arc::new(db.clone()),
        comments: Arc::new(db.clone()),
        users: Arc::new(FakeDirectory(db.clone())),
        outbox: Arc::new(db.clone()),
    });
    ContentHarness { content, db }
}
