//! Client input of the content use cases, validated into domain values (every broken rule at
//! once), shared by every API.

use agora_domain::{
    content::{CommentBody, PostBody, PostScope, Tag, Tags, Title},
    paging::PageRequest,
    FieldError, ValidationErrors,
};
use uuid::Uuid;

use crate::AppError;

/// Longest accepted search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A new post.
#[derive(Debug, Clone, Default)]
pub struct NewPostInput {
    /// 1–200 characters.
    pub title: String,
    /// Markdown, up to 50 KB.
    pub body: String,
    /// 0–10 tags of `[a-z0-9-]{1,30}`.
    pub tags: Vec<String>,
    /// Publish now (needs a verified email) or keep as a draft.
    pub published: bool,
}

/// Validated fields of a new post.
pub(super) struct NewPost {
    pub title: Title,
    pub body: PostBody,
    pub tags: Tags,
}

impl NewPostInput {
    pub(super) fn validate(&self) -> Result<NewPost, AppError> {
        let mut errors = ValidationErrors::new();
        let title = errors.check(Title::parse(&self.title));
        let body = errors.check(PostBody::parse(&self.body));
        let tags = errors.check(Tags::parse(&self.tags));
        errors.into_result()?;
        match (title, body, tags) {
            (Some(title), Some(body), Some(tags)) => Ok(NewPost { title, body, tags }),
            _ => unreachable!("every field either parsed or was reported"),
        }
    }
}

/// A partial edit of a post: absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct PostChange {
    /// New title.
    pub title: Option<String>,
    /// New markdown.
    pub body: Option<String>,
    /// New tags (replacing all).
    pub tags: Option<Vec<String>>,
    /// Publish (needs a verified email) or unpublish.
    pub published: Option<bool>,
}

/// Validated fields of an edit.
pub(super) struct ValidChange {
    pub title: Option<Title>,
    pub body: Option<PostBody>,
    pub tags: Option<Tags>,
    pub published: Option<bool>,
}

impl PostChange {
    pub(super) fn validate(&self) -> Result<ValidChange, AppError> {
        let mut errors = ValidationErrors::new();
        let title = self
            .title
            .as_deref()
            .and_then(|t| errors.check(Title::parse(t)));
        let body = self
            .body
            .as_deref()
            .and_then(|b| errors.check(PostBody::parse(b)));
        let tags = self
            .tags
            .as_deref()
            .and_then(|t| errors.check(Tags::parse(t)));
        errors.into_result()?;
        Ok(ValidChange {
            title,
            body,
            tags,
            published: self.published,
        })
    }
}

/// A comment's text, validated.
pub(super) fn comment_body(raw: &str) -> Result<CommentBody, AppError> {
    Ok(CommentBody::parse(raw)?)
}

/// A post list as a client asks for it: the page and the filters as raw text, so every API
/// reports the same messages for the same bad values.
#[derive(Debug, Clone, Default)]
pub struct PostListInput {
    /// Which page.
    pub page: PageRequest,
    /// Author id (UUID).
    pub author: Option<String>,
    /// One tag.
    pub tag: Option<String>,
    /// Full-text search on title and body; blank means none.
    pub q: Option<String>,
}

impl PostListInput {
    /// The filter scopes this input asks for, or every rule it broke.
    pub(super) fn scopes(&self) -> Result<Vec<PostScope>, AppError> {
        let mut errors = ValidationErrors::new();
        let mut scopes = Vec::new();
        if let Some(raw) = &self.author {
            match Uuid::parse_str(raw) {
                Ok(id) => scopes.push(PostScope::ByAuthor(id)),
                Err(_) => errors.push(FieldError::new("author", "author must be a user id (UUID)")),
            }
        }
        if let Some(raw) = &self.tag {
            match Tag::parse(raw) {
                Ok(tag) => scopes.push(PostScope::Tagged(tag.as_str().to_owned())),
                Err(error) => errors.push(FieldError::new("tag", error.message)),
            }
        }
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if q.chars().count() > MAX_SEARCH_CHARS {
                errors.push(FieldError::new(
                    "q",
                    format!("q must be at most {MAX_SEARCH_CHARS} characters"),
                ));
            } else {
                scopes.push(PostScope::Search(q.to_owned()));
            }
        }
        errors.into_result()?;
        Ok(scopes)
    }
}
