//! The content bounded context: posts (markdown, tags, drafts) and their comments, and the
//! composable scopes that list them.

mod events;
mod post;
mod query;

pub use events::ContentEvent;
pub use post::{
    Comment, CommentBody, Post, PostBody, PostListing, Tag, Tags, Title, MAX_BODY_CHARS,
    MAX_COMMENT_CHARS, MAX_TAGS, MAX_TAG_CHARS, MAX_TITLE_CHARS,
};
pub use query::{PostQuery, PostScope};
