//! The content HTTP API (API.md "Content"): posts and comments.

mod dto;
mod routes;

pub use dto::{CommentDto, PostDto};
pub use routes::api;
