//! The content context's events (API.md "Events").

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DomainEvent;

/// Facts of the content context, published through the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ContentEvent {
    /// A post became visible to everyone: created published, or a draft published by an edit.
    #[serde(rename = "post.published")]
    PostPublished {
        /// The post.
        post_id: Uuid,
        /// Its author.
        author_id: Uuid,
        /// Its title when published.
        title: String,
        /// Its tags when published.
        tags: Vec<String>,
    },
    /// A comment was added to a post.
    #[serde(rename = "comment.created")]
    CommentCreated {
        /// The comment.
        comment_id: Uuid,
        /// The post it belongs to.
        post_id: Uuid,
        /// Who wrote it.
        author_id: Uuid,
        /// The post's author (to notify).
        post_author_id: Uuid,
    },
}

impl DomainEvent for ContentEvent {
    fn version(&self) -> u32 {
        1
    }

    fn aggregate_id(&self) -> Uuid {
        match self {
            Self::PostPublished { post_id, .. } | Self::CommentCreated { post_id, .. } => *post_id,
        }
    }
}
