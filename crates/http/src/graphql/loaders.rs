//! Per-request DataLoaders: each gathers the keys one level of a query asks for and calls ONE
//! batch operation of a context's port, so a level costs one statement in-process and one
//! request over HTTP (ADR 0035), whatever the page size.

use std::{collections::HashMap, sync::Arc};

use agora_app::AppError;
use agora_domain::{catalog::Category, paging::Page, service_api::SnapshotDto};
use async_graphql::dataloader::{DataLoader, Loader};
use uuid::Uuid;

use super::{
    ports::{AuthorView, CatalogPort, CommentView, ContentPort, Failure, PostView, Scope},
    GraphqlServices, Loader as PerRequest,
};

/// A loader's failure, shared by every field waiting on the batch.
pub type LoadError = Arc<Failure>;

/// A context's port and the request's scope.
pub struct Batch<P: ?Sized> {
    port: Option<Arc<P>>,
    scope: Scope,
    name: &'static str,
}

impl<P: ?Sized> Batch<P> {
    fn new(port: Option<Arc<P>>, scope: &Scope, name: &'static str) -> Self {
        Self {
            port,
            scope: scope.clone(),
            name,
        }
    }

    fn port(&self) -> Result<&P, LoadError> {
        self.port.as_deref().ok_or_else(|| {
            Arc::new(Failure::from(AppError::Unavailable(format!(
                "{} is not served by this process",
                self.name
            ))))
        })
    }
}

/// `Post.author`, `Comment.author`: author names from identity, through content.
pub struct Authors(Batch<dyn ContentPort>);

impl Loader<Uuid> for Authors {
    type Value = AuthorView;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, AuthorView>, LoadError> {
        let found = self.0.port()?.authors(&self.0.scope, ids.to_vec()).await?;
        Ok(found.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// `Post.comments`: every comment of the posts of one level, oldest first.
pub struct Comments(Batch<dyn ContentPort>);

impl Loader<Uuid> for Comments {
    type Value = Vec<CommentView>;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<CommentView>>, LoadError> {
        Ok(self
            .0
            .port()?
            .comments_of(&self.0.scope, ids.to_vec())
            .await?)
    }
}

/// `User.posts(page, limit)`: the same page of each user's posts the caller may read.
pub struct UserPosts(Batch<dyn ContentPort>);

/// A user and the page of their posts asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserPostsKey {
    /// The author.
    pub user: Uuid,
    /// Page number.
    pub page: u32,
    /// Page size.
    pub limit: u32,
}

impl Loader<UserPostsKey> for UserPosts {
    type Value = Page<PostView>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[UserPostsKey],
    ) -> Result<HashMap<UserPostsKey, Page<PostView>>, LoadError> {
        let content = self.0.port()?;
        // One batch per distinct page asked for (in practice one: the same field on every user).
        let mut by_page: HashMap<(u32, u32), Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page
                .entry((key.page, key.limit))
                .or_default()
                .push(key.user);
        }
        let mut found = HashMap::new();
        for ((page, limit), users) in by_page {
            let mut pages = content
                .posts_of_authors(&self.0.scope, users.clone(), page, limit)
                .await?;
            for user in users {
                let posts = pages.remove(&user).unwrap_or(Page {
                    items: Vec::new(),
                    total: 0,
                });
                found.insert(UserPostsKey { user, page, limit }, posts);
            }
        }
        Ok(found)
    }
}

/// `User.postCount`: how many posts each user wrote (the `withPosts` scope of the admin user
/// list), in one grouped statement per level.
pub struct PostCounts(Batch<dyn ContentPort>);

impl Loader<Uuid> for PostCounts {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        Ok(self
            .0
            .port()?
            .post_counts(&self.0.scope, ids.to_vec())
            .await?)
    }
}

/// `Product.category`: categories are few; one read answers every product of a request.
pub struct Categories(Batch<dyn CatalogPort>);

impl Loader<Uuid> for Categories {
    type Value = Category;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Category>, LoadError> {
        let all = self.0.port()?.categories(&self.0.scope).await?;
        Ok(all
            .into_iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| (c.id, c))
            .collect())
    }
}

/// `OrderItem.product`: products of one level through catalog's published port (one read).
/// Orders show what was bought, so inactive products resolve too.
pub struct Products(Batch<dyn CatalogPort>);

impl Loader<Uuid> for Products {
    type Value = SnapshotDto;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, SnapshotDto>, LoadError> {
        let snapshots = self
            .0
            .port()?
            .snapshots(&self.0.scope, ids.to_vec())
            .await?;
        Ok(snapshots.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// The loaders of one request.
pub(super) struct Loaders {
    authors: PerRequest<Authors>,
    comments: PerRequest<Comments>,
    user_posts: PerRequest<UserPosts>,
    post_counts: PerRequest<PostCounts>,
    categories: PerRequest<Categories>,
    products: PerRequest<Products>,
}

impl Loaders {
    pub fn new(services: &GraphqlServices, scope: &Scope) -> Self {
        let content = || Batch::new(services.content.clone(), scope, "content");
        let catalog = || Batch::new(services.catalog.clone(), scope, "catalog");
        Self {
            authors: DataLoader::new(Authors(content()), tokio::spawn),
            comments: DataLoader::new(Comments(content()), tokio::spawn),
            post_counts: DataLoader::new(PostCounts(content()), tokio::spawn),
            user_posts: DataLoader::new(UserPosts(content()), tokio::spawn),
            categories: DataLoader::new(Categories(catalog()), tokio::spawn),
            products: DataLoader::new(Products(catalog()), tokio::spawn),
        }
    }

    pub fn attach(self, request: async_graphql::Request) -> async_graphql::Request {
        request
            .data(self.authors)
            .data(self.comments)
            .data(self.user_posts)
            .data(self.post_counts)
            .data(self.categories)
            .data(self.products)
    }
}

/// A loader's error as a GraphQL error with its code.
pub(super) fn load_error(error: LoadError) -> async_graphql::Error {
    super::failure(Arc::unwrap_or_clone(error))
}
