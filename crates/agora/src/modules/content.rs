use std::sync::Arc;

use agora_adapters::{
    content::{SqlCommentRepository, SqlPostRepository},
    store::Database,
};
use agora_app::content::{Content, ContentDeps};
use agora_domain::ports::{identity::UserDirectory, Outbox, UnitOfWork};
use async_trait::async_trait;

use super::{Context, Module, Registry};

/// The content context: blog posts and comments.
pub struct ContentContext;

impl Context for ContentContext {
    fn name(&self) -> &'static str {
        "content"
    }

    fn description(&self) -> &'static str {
        "blog posts (markdown, tags, drafts, full-text search) and comments"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        // Author names come from identity's published directory; events go through the outbox.
        &["identity", "platform"]
    }

    fn standalone(&self) -> bool {
        true
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::content::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::content::api().into_openapi()
    }

    fn module(&self, _: &crate::config::Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(ContentModule))
    }
}

/// Posts and comments. Owns `posts`, `comments` (and SQLite's `posts_fts`); reaches identity
/// only through its published `UserDirectory`.
pub struct ContentModule;

#[async_trait]
impl Module for ContentModule {
    fn name(&self) -> &'static str {
        "content"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let content = Content::new(ContentDeps {
            uow: registry.get::<Arc<dyn UnitOfWork>>()?,
            posts: Arc::new(SqlPostRepository::new(db.clone())),
            comments: Arc::new(SqlCommentRepository::new(db)),
            users: registry.get::<Arc<dyn UserDirectory>>()?,
            outbox: registry.get::<Arc<dyn Outbox>>()?,
        });
        registry.routes(agora_http::content::api().with_state(content.clone()));
        registry.provide(content);
        Ok(())
    }
}
