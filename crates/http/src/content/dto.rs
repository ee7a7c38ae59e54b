use agora_app::content::{Author, CommentView, PostView};
use agora_domain::content::{MAX_BODY_CHARS, MAX_COMMENT_CHARS, MAX_TAGS, MAX_TITLE_CHARS};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{
    openapi::{
        schema::{ArrayBuilder, SchemaType},
        Array, Object, ObjectBuilder, Type,
    },
    IntoParams, ToSchema,
};
use uuid::Uuid;

use crate::rules;

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
    title_schema(false)
}

/// A title, or `null` to leave it.
fn title_change() -> Object {
    title_schema(true)
}

fn title_schema(nullable: bool) -> Object {
    rules::text(
        nullable,
        1,
        MAX_TITLE_CHARS,
        format!("1–{MAX_TITLE_CHARS} characters after trimming"),
    )
}

/// Text with at least one non-space character and at most `max` characters (and, as every
/// body string, no control characters but tab, LF, CR).
fn non_blank(nullable: bool, max: usize, description: String) -> Object {
    rules::string(nullable)
        .pattern(Some(format!(
            "^{any}*{kept}{any}*$",
            any = rules::ANY,
            kept = rules::KEPT
        )))
        .max_length(Some(max))
        .description(Some(description))
        .build()
}

/// Markdown: not blank, at most 51 200 characters.
fn markdown() -> Object {
    non_blank(false, MAX_BODY_CHARS, markdown_description())
}

/// Markdown, or `null` to leave it.
fn markdown_change() -> Object {
    non_blank(true, MAX_BODY_CHARS, markdown_description())
}

fn markdown_description() -> String {
    format!("Markdown, not blank, at most {MAX_BODY_CHARS} characters (50 KB)")
}

/// 0–10 tags of `[a-z0-9-]{1,30}`, or `null` for none (new post) / to leave them (edit).
fn tags() -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
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
    non_blank(
        false,
        MAX_COMMENT_CHARS,
        format!("Plain text, not blank, at most {MAX_COMMENT_CHARS} characters"),
    )
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

/// `PATCH /api/posts/{id}`: given fields change; `null` leaves a field as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PostPatchRequest, example = json!({ "published": true }))]
pub(super) struct PostPatchBody {
    #[schema(schema_with = title_change)]
    pub title: Option<String>,
    #[schema(schema_with = markdown_change)]
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

/// `q` of the post list: at most 200 characters after trimming (`PostListInput`).
fn post_search() -> Object {
    let max = agora_app::content::MAX_SEARCH_CHARS;
    rules::text(
        false,
        0,
        max,
        format!("Full-text search in title and body (at most {max} characters after trimming)."),
    )
}

/// Fields a post list may select with `fields`.
pub(super) const POST_FIELDS: &[&str] = &[
    "id",
    "title",
    "body",
    "bodyHtml",
    "tags",
    "published",
    "author",
    "commentCount",
    "createdAt",
    "updatedAt",
];

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
    #[param(schema_with = post_search)]
    q: Option<String>,
}
