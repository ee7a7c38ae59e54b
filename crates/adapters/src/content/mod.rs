//! Content adapters: posts and comments in SQL, scopes rendered per dialect (full-text search
//! with SQLite FTS5 or Postgres tsvector).

mod comments;
mod posts;
mod rows;
mod scopes;

pub use comments::SqlCommentRepository;
pub use posts::SqlPostRepository;

use crate::store::migrations::{migration, Migration};

/// The content context's schema, oldest first (`migrations/content/`).
pub static MIGRATIONS: &[Migration] = &[migration!("content", 1, "0001_create_content")];
