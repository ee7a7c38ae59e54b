use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::FieldError;

/// Longest title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 200;
/// Largest markdown body, in characters ("50 KB" of text, counted as a client and JSON Schema
/// count it): enough for a long article, small enough to render on every read.
pub const MAX_BODY_CHARS: usize = 50 * 1024;
/// Most tags on one post.
pub const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 30;
/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 5000;

/// A post title: 1–200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Trims and validates.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("title", "Title is required"));
        }
        if trimmed.chars().count() > MAX_TITLE_CHARS {
            return Err(FieldError::new(
                "title",
                format!("Title must be at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post's markdown source: not blank, at most [`MAX_BODY_CHARS`]. Kept as written; it is
/// rendered (and sanitised) on read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody(String);

impl PostBody {
    /// Validates.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::new("body", "Body is required"));
        }
        if raw.chars().count() > MAX_BODY_CHARS {
            return Err(FieldError::new(
                "body",
                format!("Body must be at most {MAX_BODY_CHARS} characters"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The markdown source.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One tag: 1–30 characters of `[a-z0-9-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Validates (no case folding: `Rust` is refused rather than silently changed).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let valid = !raw.is_empty()
            && raw.chars().count() <= MAX_TAG_CHARS
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "tags",
                format!("Each tag must be 1–{MAX_TAG_CHARS} characters of a-z, 0-9 and -"),
            ))
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post's tags: 0–10 distinct [`Tag`]s, in the order given (repeats dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// Validates every tag and the count.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, FieldError> {
        // Counted as given (repeats too), so the rule is the one a JSON Schema `maxItems` states.
        if raw.len() > MAX_TAGS {
            return Err(FieldError::new("tags", format!("At most {MAX_TAGS} tags")));
        }
        let mut tags: Vec<Tag> = Vec::with_capacity(raw.len());
        for tag in raw {
            let tag = Tag::parse(tag.as_ref())?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(FieldError::new("tags", format!("At most {MAX_TAGS} tags")));
        }
        Ok(Self(tags))
    }

    /// The tags.
    pub fn as_slice(&self) -> &[Tag] {
        &self.0
    }

    /// The tags as strings.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|t| t.0.clone()).collect()
    }
}

/// A comment's text: 1–5 000 characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    /// Validates.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.trim().is_empty() {
            return Err(FieldError::new("body", "Comment is required"));
        }
        if raw.chars().count() > MAX_COMMENT_CHARS {
            return Err(FieldError::new(
                "body",
                format!("Comment must be at most {MAX_COMMENT_CHARS} characters"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A blog post. A draft (`published: false`) is visible only to its author and admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// UUID v7.
    pub id: Uuid,
    /// The user who wrote it (an identity user id; identity resolves the name).
    pub author_id: Uuid,
    /// Title.
    pub title: Title,
    /// Markdown source.
    pub body: PostBody,
    /// Tags.
    pub tags: Tags,
    /// Visible to everyone when true.
    pub published: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

impl Post {
    /// Whether `viewer` (anonymous when `None`) may read it: published, or their own, or an admin.
    pub fn visible_to(&self, viewer: Option<Uuid>, admin: bool) -> bool {
        self.published || admin || viewer == Some(self.author_id)
    }
}

/// A post in a list, with what a list shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostListing {
    /// The post.
    pub post: Post,
    /// How many comments it has.
    pub comment_count: u64,
}

/// A comment on a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// UUID v7.
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// The user who wrote it.
    pub author_id: Uuid,
    /// Text (plain, shown escaped).
    pub body: CommentBody,
    /// Created.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Hello ").unwrap().as_str(), "Hello");
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"é".repeat(200)).is_ok());
        assert!(Title::parse(&"é".repeat(201)).is_err());
    }

    #[test]
    fn a_body_over_50_kb_is_refused() {
        assert!(PostBody::parse(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        let error = PostBody::parse(&"a".repeat(51 * 1024)).unwrap_err();
        assert_eq!(error.field, "body");
    }

    #[test]
    fn eleven_tags_are_too_many_and_repeats_collapse() {
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(Tags::parse(&eleven).is_err());
        assert!(Tags::parse(&["a"; 11]).is_err(), "counted as given");
        assert_eq!(
            Tags::parse(&["a", "a", "b"]).unwrap().to_strings(),
            ["a", "b"]
        );
    }

    #[test]
    fn drafts_are_visible_to_their_author_and_admins_only() {
        let author = Uuid::now_v7();
        let post = Post {
            id: Uuid::now_v7(),
            author_id: author,
            title: Title::parse("t").unwrap(),
            body: PostBody::parse("b").unwrap(),
            tags: Tags::default(),
            published: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(post.visible_to(Some(author), false));
        assert!(post.visible_to(None, true));
        assert!(!post.visible_to(Some(Uuid::now_v7()), false));
        assert!(!post.visible_to(None, false));
    }

    proptest! {
        #[test]
        fn tags_accept_exactly_the_documented_alphabet(raw in "\\PC{0,40}") {
            let valid = !raw.is_empty()
                && raw.chars().count() <= 30
                && raw.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'));
            prop_assert_eq!(Tag::parse(&raw).is_ok(), valid);
        }

        #[test]
        fn valid_tags_round_trip(raw in "[a-z0-9-]{1,30}") {
            let tag = Tag::parse(&raw).unwrap();
            prop_assert_eq!(tag.as_str(), raw.as_str());
        }

        #[test]
        fn comments_accept_1_to_5000_non_blank_characters(raw in "\\PC{0,5100}") {
            let valid = !raw.trim().is_empty() && raw.chars().count() <= 5000;
            prop_assert_eq!(CommentBody::parse(&raw).is_ok(), valid);
        }
    }
}
