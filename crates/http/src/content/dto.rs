use agora_app::content::{Author, CommentView, PostView};
use agora_domain::content::{MAX_BODY_BYTES, MAX_COMMENT_CHARS, MAX_TAGS, MAX_TITLE_CHARS};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{
    openapi::{schema::ArrayBuilder, Array, Object, ObjectBuilder, Type},
    IntoParams, ToSchema,
};
use uuid::Uuid;

use crate::rules::trimmed_text_pattern;

/// Who wrote a post or comment.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PostAuthor)]
pub struct AuthorDto {
    id: Uuid,
    name: String,
}

impl From<&Author> for AuthorDto {
    fn from(a: &Author) -> Self {
        Self {
            id: a.id,
            name: a.name.clone(),
        }
    }
}

/// A post: markdown `body`, its sanitised HTML rendering `bodyHtml`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Post)]
pub struct PostDto {
    id: Uuid,
    title: String,
    body: String,
    body_html: String,
    tags: Vec<String>,
    published: bool,
    author: AuthorDto,
    comment_count: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&PostView> for PostDto {
    fn from(v: &PostView) -> Self {
        Self {
            id: v.post.id,
            title: v.post.title.as_str().to_owned(),
            body: v.post.body.as_str().to_owned(),
            body_html: v.body_html.clone(),
            tags: v.post.tags.to_strings(),
            published: v.post.published,
            author: AuthorDto::from(&v.author),
            comment_count: v.comment_count,
            created_at: v.post.created_at,
            updated_at: v.post.updated_at,
        }
    }
}

/// A comment (plain text).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Comment)]
pub struct CommentDto {
    id: Uuid,
    post_id: Uuid,
    body: String,
    author: AuthorDto,
    created_at: DateTime<Utc>,
}

impl From<&CommentView> for CommentDto {
    fn from(v: &CommentView) -> Self {
        Self {
            id: v.comment.id,
            post_id: v.comment.post_id,
            body: v.comment.body.as_str().to_owned(),
            author: AuthorDto::from(&v.author),
            created_at: v.comment.created_at,
        }
    }
}

/// `GET /api/posts/{id}/comments`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CommentList)]
pub(super) struct CommentList {
    pub data: Vec<CommentDto>,
}

/// A title: 1–200 characters after trimming.
fn title() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(trimmed_text_pattern(1, MAX_TITLE_CHARS)))
        .description(Some(format!(
            "1–{MAX_TITLE_CHARS} characters after trimming"
        )))
        .build()
}

/// Markdown: not blank, at most 50 KB (bytes; the schema can only bound characters, so it states
/// the byte limit in words and bounds characters by it).
fn markdown() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"\S".to_owned()))
        .max_length(Some(MAX_BODY_BYTES))
        .description(Some(format!(
            "Markdown, not blank, at most {} KB (UTF-8 bytes)",
            MAX_BODY_BYTES / 1024
        )))
        .build()
}

/// 0–10 tags of `[a-z0-9-]{1,30}`.
fn tags() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[a-z0-9-]{1,30}$".to_owned())),
        )
        .max_items(Some(MAX_TAGS))
        .description(Some(format!("At most {MAX_TAGS} tags of a-z, 0-9 and -")))
        .build()
}

/// A comment: not blank, at most 5 000 characters.
fn comment_text() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"\S".to_owned()))
        .max_length(Some(MAX_COMMENT_CHARS))
        .build()
}

/// `POST /api/posts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = NewPostRequest, example = json!({
    "title": "Hello", "body": "Some *markdown*.", "tags": ["news"], "published": true
}))]
pub(super) struct NewPostBody {
    #[schema(required = true, schema_with = title)]
    pub title: Option<String>,
    #[schema(required = true, schema_with = markdown)]
    pub body: Option<String>,
    #[schema(schema_with = tags)]
    pub tags: Option<Vec<String>>,
    /// Publish now (needs a verified email); default false (a draft).
    pub published: Option<bool>,
}

/// `PATCH /api/posts/{id}`: given fields change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PostPatchRequest, example = json!({ "published": true }))]
pub(super) struct PostPatchBody {
    #[schema(schema_with = title)]
    pub title: Option<String>,
    #[schema(schema_with = markdown)]
    pub body: Option<String>,
    #[schema(schema_with = tags)]
    pub tags: Option<Vec<String>>,
    pub published: Option<bool>,
}

/// `POST /api/posts/{id}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCommentRequest, example = json!({ "body": "Nice post!" }))]
pub(super) struct NewCommentBody {
    #[schema(required = true, schema_with = comment_text)]
    pub body: Option<String>,
}

/// Filters of the post list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation-only: the handler reads the raw query
pub(super) struct PostFilterParams {
    /// Only posts of this author (user id).
    author: Option<Uuid>,
    /// Only posts with this tag.
    #[param(pattern = "^[a-z0-9-]{1,30}$")]
    tag: Option<String>,
    /// Full-text search in title and body (at most 200 characters after trimming).
    #[param(max_length = 200)]
    q: Option<String>,
}
