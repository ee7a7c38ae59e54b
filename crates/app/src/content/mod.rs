//! Content use cases: posts (markdown rendered and sanitised on read, tags, drafts) and comments,
//! authored by identity's users (read through identity's published [`UserDirectory`]). Lists
//! carry author names and comment counts in a fixed number of statements (no N+1), and the batch
//! reads behind GraphQL's DataLoaders live here too, so REST and GraphQL share one logic.

mod inputs;
mod markdown;

use std::{collections::HashMap, sync::Arc};

use agora_domain::{
    content::{Comment, ContentEvent, Post, PostListing, PostQuery, PostScope},
    event::EventEnvelope,
    identity::Principal,
    paging::{Page, PageRequest},
    ports::{
        identity::UserDirectory, CommentRepository, Outbox, OutboxMessage, PostRepository, Tx,
        UnitOfWork,
    },
};
use uuid::Uuid;

pub use inputs::{NewPostInput, PostChange, PostListInput, MAX_SEARCH_CHARS};
pub use markdown::render_markdown;

use crate::{AppError, OnConstraint};

/// The ports content needs.
#[derive(Clone)]
pub struct ContentDeps {
    /// Transactions.
    pub uow: Arc<dyn UnitOfWork>,
    /// Posts.
    pub posts: Arc<dyn PostRepository>,
    /// Comments.
    pub comments: Arc<dyn CommentRepository>,
    /// Identity's public profiles (author names).
    pub users: Arc<dyn UserDirectory>,
    /// Events (`post.published`, `comment.created`).
    pub outbox: Arc<dyn Outbox>,
}

/// Who wrote something, as content shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The user id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
}

impl Author {
    /// The author of `id` in `profiles`; an id identity no longer knows keeps its content
    /// attributed to "Unknown author" rather than failing the whole read.
    fn of(id: Uuid, profiles: &HashMap<Uuid, Author>) -> Self {
        profiles.get(&id).cloned().unwrap_or(Self {
            id,
            name: "Unknown author".into(),
        })
    }
}

/// A post as every API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostView {
    /// The post.
    pub post: Post,
    /// Its body rendered to sanitised HTML.
    pub body_html: String,
    /// Its author.
    pub author: Author,
    /// Its number of comments.
    pub comment_count: u64,
}

/// A comment as every API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    /// The comment.
    pub comment: Comment,
    /// Its author.
    pub author: Author,
}

/// The content application service. Cheap to clone.
#[derive(Clone)]
pub struct Content {
    deps: ContentDeps,
}

fn viewer_scope(caller: Option<&Principal>) -> Option<PostScope> {
    match caller {
        Some(caller) if caller.is_admin() => None,
        caller => Some(PostScope::VisibleTo(caller.map(|c| c.user_id))),
    }
}

fn may_edit(caller: &Principal, author_id: Uuid) -> bool {
    caller.is_admin() || caller.user_id == author_id
}

fn require_verified(caller: &Principal) -> Result<(), AppError> {
    if caller.email_verified {
        Ok(())
    } else {
        Err(AppError::EmailNotVerified)
    }
}

impl Content {
    /// Wires the service.
    pub fn new(deps: ContentDeps) -> Self {
        Self { deps }
    }

    /// A page of the posts `caller` may read (published ones, their own drafts; all for admins)
    /// with filters, newest first, WITHOUT authors: one statement (GraphQL resolves authors with
    /// a DataLoader over [`Content::authors`]).
    pub async fn listings(
        &self,
        caller: Option<&Principal>,
        input: &PostListInput,
    ) -> Result<Page<PostListing>, AppError> {
        let mut query = PostQuery::new().paginate(input.page);
        query.scopes.extend(viewer_scope(caller));
        query.scopes.extend(input.scopes()?);
        Ok(self.deps.posts.list(&query).await?)
    }

    /// A page of posts with their authors (REST): two statements whatever the page size.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(
        &self,
        caller: Option<&Principal>,
        input: &PostListInput,
    ) -> Result<Page<PostView>, AppError> {
        let page = self.listings(caller, input).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|l| l.post.author_id).collect();
        let authors = self.authors(&ids).await?;
        Ok(page.map(|listing| view(listing, &authors)))
    }

    /// One post `caller` may read (someone else's draft is 404).
    #[tracing::instrument(level = "debug", skip_all, fields(post_id = %id))]
    pub async fn post(&self, caller: Option<&Principal>, id: Uuid) -> Result<PostView, AppError> {
        let listing = self.visible(caller, id).await?;
        let authors = self.authors(&[listing.post.author_id]).await?;
        Ok(view(listing, &authors))
    }

    /// The post `id` if `caller` may read it, with its comment count.
    pub async fn visible(
        &self,
        caller: Option<&Principal>,
        id: Uuid,
    ) -> Result<PostListing, AppError> {
        match self.deps.posts.get(id).await? {
            Some(listing)
                if listing.post.visible_to(
                    caller.map(|c| c.user_id),
                    caller.is_some_and(Principal::is_admin),
                ) =>
            {
                Ok(listing)
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// Writes a post; publishing needs a verified email, a draft does not.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, post_id = tracing::field::Empty))]
    pub async fn create(
        &self,
        caller: &Principal,
        input: NewPostInput,
    ) -> Result<PostView, AppError> {
        let valid = input.validate()?;
        if input.published {
            require_verified(caller)?;
        }
        let now = agora_domain::timestamp_now();
        let post = Post {
            id: Uuid::now_v7(),
            author_id: caller.user_id,
            title: valid.title,
            body: valid.body,
            tags: valid.tags,
            published: input.published,
            created_at: now,
            updated_at: now,
        };
        tracing::Span::current().record("post_id", tracing::field::display(post.id));
        let mut tx = self.deps.uow.begin().await?;
        self.deps.posts.insert(&mut tx, &post).await?;
        if post.published {
            self.emit(&mut tx, published(&post)).await?;
        }
        tx.commit().await?;
        self.post(Some(caller), post.id).await
    }

    /// Edits a post (its author or an admin; others 403, someone else's draft 404). Turning a
    /// draft into a published post needs a verified email and emits `post.published`.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, post_id = %id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: Uuid,
        change: PostChange,
    ) -> Result<PostView, AppError> {
        let valid = change.validate()?;
        let mut tx = self.deps.uow.begin().await?;
        let current = self.editable(&mut tx, caller, id).await?;
        let mut post = current.clone();
        if let Some(title) = valid.title {
            post.title = title;
        }
        if let Some(body) = valid.body {
            post.body = body;
        }
        if let Some(tags) = valid.tags {
            post.tags = tags;
        }
        if let Some(published) = valid.published {
            post.published = published;
        }
        let publishes = post.published && !current.published;
        if publishes {
            require_verified(caller)?;
        }
        if post != current {
            post.updated_at = agora_domain::timestamp_now();
            self.deps.posts.update(&mut tx, &post).await?;
            if publishes {
                self.emit(&mut tx, published(&post)).await?;
            }
        }
        tx.commit().await?;
        self.post(Some(caller), id).await
    }

    /// Deletes a post and its comments (its author or an admin).
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, post_id = %id))]
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> Result<(), AppError> {
        let mut tx = self.deps.uow.begin().await?;
        self.editable(&mut tx, caller, id).await?;
        self.deps.posts.delete(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The comments of a post `caller` may read, oldest first, with their authors.
    pub async fn comments(
        &self,
        caller: Option<&Principal>,
        post_id: Uuid,
    ) -> Result<Vec<CommentView>, AppError> {
        self.visible(caller, post_id).await?;
        let comments = self.deps.comments.for_posts(&[post_id]).await?;
        let ids: Vec<Uuid> = comments.iter().map(|c| c.author_id).collect();
        let authors = self.authors(&ids).await?;
        Ok(comments
            .into_iter()
            .map(|comment| CommentView {
                author: Author::of(comment.author_id, &authors),
                comment,
            })
            .collect())
    }

    /// Comments on a post `caller` may read; needs a verified email.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, post_id = %post_id))]
    pub async fn add_comment(
        &self,
        caller: &Principal,
        post_id: Uuid,
        body: &str,
    ) -> Result<CommentView, AppError> {
        let body = inputs::comment_body(body)?;
        require_verified(caller)?;
        let post = self.visible(Some(caller), post_id).await?.post;
        let comment = Comment {
            id: Uuid::now_v7(),
            post_id,
            author_id: caller.user_id,
            body,
            created_at: agora_domain::timestamp_now(),
        };
        let mut tx = self.deps.uow.begin().await?;
        // The post may have been deleted since it was read: the insert then violates the
        // foreign key, the transaction rolls back and the caller learns the post is gone.
        self.deps
            .comments
            .insert(&mut tx, &comment)
            .await
            .on_constraint("comments_post_id_fkey", || AppError::NotFound)?;
        let event = ContentEvent::CommentCreated {
            comment_id: comment.id,
            post_id,
            author_id: caller.user_id,
            post_author_id: post.author_id,
        };
        self.emit(&mut tx, event).await?;
        // A deletion committing after the insert cascades to the comment (answered 201 for a
        // comment that is gone with its post, as if it had come a moment earlier).
        tx.commit().await?;
        let authors = self.authors(&[caller.user_id]).await?;
        Ok(CommentView {
            author: Author::of(caller.user_id, &authors),
            comment,
        })
    }

    /// Deletes a comment (its author or an admin; others 403).
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, comment_id = %id))]
    pub async fn delete_comment(&self, caller: &Principal, id: Uuid) -> Result<(), AppError> {
        let mut tx = self.deps.uow.begin().await?;
        let comment = self
            .deps
            .comments
            .find(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !may_edit(caller, comment.author_id) {
            return Err(AppError::InsufficientPermissions);
        }
        self.deps.comments.delete(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Batch read (GraphQL `Post.comments`): the comments of `post_ids`, oldest first, grouped
    /// by post, in one statement. The caller passes ids of posts it was allowed to read.
    pub async fn comments_of(
        &self,
        post_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Comment>>, AppError> {
        let mut grouped: HashMap<Uuid, Vec<Comment>> = HashMap::new();
        for comment in self.deps.comments.for_posts(post_ids).await? {
            grouped.entry(comment.post_id).or_default().push(comment);
        }
        Ok(grouped)
    }

    /// Batch read (GraphQL `Post.author`, `Comment.author`, REST lists): the authors of `ids`
    /// in one call to identity; unknown ids are absent.
    pub async fn authors(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Author>, AppError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let profiles = self.deps.users.profiles(ids).await?;
        Ok(profiles
            .into_iter()
            .map(|p| {
                let author = Author {
                    id: p.id,
                    name: p.name.as_str().to_owned(),
                };
                (p.id, author)
            })
            .collect())
    }

    /// Batch read (GraphQL `User.posts`): the same page of each author's posts that `caller`
    /// may read, in one statement.
    pub async fn posts_of_authors(
        &self,
        caller: Option<&Principal>,
        authors: &[Uuid],
        page: PageRequest,
    ) -> Result<HashMap<Uuid, Page<PostListing>>, AppError> {
        let scopes: Vec<PostScope> = viewer_scope(caller).into_iter().collect();
        Ok(self
            .deps
            .posts
            .list_by_authors(authors, &scopes, page)
            .await?)
    }

    /// How many posts each of `authors` wrote (drafts included), in one statement (the
    /// `withPosts` scope of the admin user list).
    pub async fn post_counts(&self, authors: &[Uuid]) -> Result<HashMap<Uuid, u64>, AppError> {
        Ok(self.deps.posts.count_by_authors(authors).await?)
    }

    /// The post `id` for an edit by `caller`: 404 if it does not exist or is a draft hidden
    /// from them, 403 if they may read it but not change it.
    async fn editable(&self, tx: &mut Tx, caller: &Principal, id: Uuid) -> Result<Post, AppError> {
        let post = self
            .deps
            .posts
            .find(tx, id)
            .await?
            .filter(|p| p.visible_to(Some(caller.user_id), caller.is_admin()))
            .ok_or(AppError::NotFound)?;
        if may_edit(caller, post.author_id) {
            Ok(post)
        } else {
            Err(AppError::InsufficientPermissions)
        }
    }

    async fn emit(&self, tx: &mut Tx, event: ContentEvent) -> Result<(), AppError> {
        let envelope = EventEnvelope::wrap(&event).map_err(|e| AppError::Unexpected(e.into()))?;
        self.deps
            .outbox
            .enqueue(tx, &OutboxMessage::Event(envelope))
            .await?;
        Ok(())
    }
}

fn published(post: &Post) -> ContentEvent {
    ContentEvent::PostPublished {
        post_id: post.id,
        author_id: post.author_id,
        title: post.title.as_str().to_owned(),
        tags: post.tags.to_strings(),
    }
}

/// A listing with its author and rendered body.
pub fn view(listing: PostListing, authors: &HashMap<Uuid, Author>) -> PostView {
    PostView {
        body_html: render_markdown(listing.post.body.as_str()),
        author: Author::of(listing.post.author_id, authors),
        comment_count: listing.comment_count,
        post: listing.post,
    }
}

#[cfg(test)]
mod tests;
