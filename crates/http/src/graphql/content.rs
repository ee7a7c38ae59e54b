//! Content's part of the schema: posts and comments, over the content use cases.

use agora_app::content::render_markdown;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    failure, list_complexity,
    loaders::{load_error, Authors, Comments},
    page_request, parse_id,
    ports::{AuthorView, CommentView, PostFields, PostView, PostsQuery},
    require_caller, scope, service, services, GqlResult, Loader, PageMeta,
};

/// Who wrote a post or comment.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Author")]
pub struct AuthorObject {
    id: ID,
    name: String,
}

impl From<AuthorView> for AuthorObject {
    fn from(a: AuthorView) -> Self {
        Self {
            id: ID(a.id.to_string()),
            name: a.name,
        }
    }
}

/// A blog post.
pub struct Post(pub PostView);

#[Object]
impl Post {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Markdown source.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// The body rendered to sanitised HTML.
    async fn body_html(&self) -> String {
        render_markdown(&self.0.body)
    }
    async fn tags(&self) -> Vec<String> {
        self.0.tags.clone()
    }
    async fn published(&self) -> bool {
        self.0.published
    }
    async fn comment_count(&self) -> u64 {
        self.0.comment_count
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Resolved per query level in one batch (DataLoader).
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<AuthorObject> {
        author(ctx, self.0.author_id).await
    }
    /// Every comment, oldest first; resolved per query level in one batch (DataLoader).
    async fn comments(&self, ctx: &Context<'_>) -> GqlResult<Vec<Comment>> {
        let comments = ctx
            .data_unchecked::<Loader<Comments>>()
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        Ok(comments.into_iter().map(Comment).collect())
    }
}

async fn author(ctx: &Context<'_>, id: uuid::Uuid) -> GqlResult<AuthorObject> {
    let found = ctx
        .data_unchecked::<Loader<Authors>>()
        .load_one(id)
        .await
        .map_err(load_error)?;
    Ok(AuthorObject::from(found.unwrap_or(AuthorView {
        id,
        name: "Unknown author".into(),
    })))
}

/// A comment on a post.
pub struct Comment(pub CommentView);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn post_id(&self) -> ID {
        ID(self.0.post_id.to_string())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Resolved per query level in one batch (DataLoader).
    async fn author(&self, ctx: &Context<'_>) -> GqlResult<AuthorObject> {
        author(ctx, self.0.author_id).await
    }
}

/// A page of posts.
pub struct PostPage {
    pub items: Vec<PostView>,
    pub meta: PageMeta,
}

#[Object]
impl PostPage {
    async fn items(&self) -> Vec<Post> {
        self.items.iter().cloned().map(Post).collect()
    }
    async fn meta(&self) -> &PageMeta {
        &self.meta
    }
}

/// Content's queries.
#[derive(Default)]
pub struct ContentQuery;

#[Object]
impl ContentQuery {
    /// One post (someone else's draft: `not_found`).
    async fn post(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Post> {
        let content = service(&services(ctx).content, "content")?;
        let post = content
            .post(scope(ctx), parse_id(&id)?)
            .await
            .map_err(failure)?;
        Ok(Post(post))
    }

    /// Posts the caller may read, newest first.
    #[graphql(complexity = "list_complexity(child_complexity, limit)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        page: Option<i32>,
        limit: Option<i32>,
        tag: Option<String>,
        q: Option<String>,
        author: Option<ID>,
    ) -> GqlResult<PostPage> {
        let content = service(&services(ctx).content, "content")?;
        let request = page_request(page, limit)?;
        let query = PostsQuery {
            page: request.page,
            limit: request.limit,
            author: author.map(|a| a.0),
            tag,
            q,
        };
        let page = content.posts(scope(ctx), query).await.map_err(failure)?;
        Ok(PostPage {
            meta: PageMeta::new(page.total, request),
            items: page.items,
        })
    }
}

/// `createPost(input: …)`.
#[derive(InputObject)]
pub struct CreatePostInput {
    title: String,
    body: String,
    #[graphql(default)]
    tags: Vec<String>,
    #[graphql(default)]
    published: bool,
}

/// `updatePost(input: …)`: given fields change.
#[derive(InputObject)]
pub struct UpdatePostInput {
    id: ID,
    title: Option<String>,
    body: Option<String>,
    tags: Option<Vec<String>>,
    published: Option<bool>,
}

/// `addComment(input: …)`.
#[derive(InputObject)]
pub struct AddCommentInput {
    post_id: ID,
    body: String,
}

/// Content's mutations.
#[derive(Default)]
pub struct ContentMutation;

#[Object]
impl ContentMutation {
    /// Writes a post; publishing needs a verified email.
    async fn create_post(&self, ctx: &Context<'_>, input: CreatePostInput) -> GqlResult<Post> {
        let content = service(&services(ctx).content, "content")?;
        require_caller(ctx)?;
        let fields = PostFields {
            title: Some(input.title),
            body: Some(input.body),
            tags: Some(input.tags),
            published: Some(input.published),
        };
        let post = content
            .create_post(scope(ctx), fields)
            .await
            .map_err(failure)?;
        Ok(Post(post))
    }

    /// Edits a post (its author or an admin).
    async fn update_post(&self, ctx: &Context<'_>, input: UpdatePostInput) -> GqlResult<Post> {
        let content = service(&services(ctx).content, "content")?;
        require_caller(ctx)?;
        let fields = PostFields {
            title: input.title,
            body: input.body,
            tags: input.tags,
            published: input.published,
        };
        let post = content
            .update_post(scope(ctx), parse_id(&input.id)?, fields)
            .await
            .map_err(failure)?;
        Ok(Post(post))
    }

    /// Comments on a post; needs a verified email.
    async fn add_comment(&self, ctx: &Context<'_>, input: AddCommentInput) -> GqlResult<Comment> {
        let content = service(&services(ctx).content, "content")?;
        require_caller(ctx)?;
        let comment = content
            .add_comment(scope(ctx), parse_id(&input.post_id)?, input.body)
            .await
            .map_err(failure)?;
        Ok(Comment(comment))
    }
}
