//! Per-request DataLoaders: each gathers the keys one level of a query asks for and calls ONE
//! batch read of a use case (a port for other contexts' data), so a level costs one statement
//! whatever the page size.

use std::{collections::HashMap, sync::Arc};

use agora_app::{
    catalog::Catalog,
    content::{Author, Content},
    AppError,
};
use agora_domain::{
    catalog::Category,
    content::{Comment, PostListing},
    identity::Principal,
    paging::{Page, PageRequest},
    ports::catalog::{ProductCatalog, ProductSnapshot},
};
use async_graphql::dataloader::{DataLoader, Loader};
use uuid::Uuid;

use super::{GraphqlServices, Loader as PerRequest};

/// A loader's failure, shared by every field waiting on the batch.
pub type LoadError = Arc<AppError>;

fn unavailable(name: &str) -> LoadError {
    Arc::new(AppError::Unavailable(format!(
        "{name} is not served by this process"
    )))
}

/// `Post.author`, `Comment.author`: author names from identity, through content.
pub struct Authors(Option<Content>);

impl Loader<Uuid> for Authors {
    type Value = Author;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Author>, LoadError> {
        let content = self.0.as_ref().ok_or_else(|| unavailable("content"))?;
        content.authors(ids).await.map_err(Arc::new)
    }
}

/// `Post.comments`: every comment of the posts of one level, oldest first.
pub struct Comments(Option<Content>);

impl Loader<Uuid> for Comments {
    type Value = Vec<Comment>;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Comment>>, LoadError> {
        let content = self.0.as_ref().ok_or_else(|| unavailable("content"))?;
        content.comments_of(ids).await.map_err(Arc::new)
    }
}

/// `User.posts(page, limit)`: the same page of each user's posts the caller may read.
pub struct UserPosts {
    content: Option<Content>,
    caller: Option<Principal>,
}

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
    type Value = Page<PostListing>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[UserPostsKey],
    ) -> Result<HashMap<UserPostsKey, Page<PostListing>>, LoadError> {
        let content = self
            .content
            .as_ref()
            .ok_or_else(|| unavailable("content"))?;
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
            let request = PageRequest { page, limit };
            let mut pages = content
                .posts_of_authors(self.caller.as_ref(), &users, request)
                .await
                .map_err(Arc::new)?;
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
pub struct PostCounts(Option<Content>);

impl Loader<Uuid> for PostCounts {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        let content = self.0.as_ref().ok_or_else(|| unavailable("content"))?;
        content.post_counts(ids).await.map_err(Arc::new)
    }
}

/// `Product.category`: categories are few; one read answers every product of a request.
pub struct Categories(Option<Catalog>);

impl Loader<Uuid> for Categories {
    type Value = Category;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Category>, LoadError> {
        let catalog = self.0.as_ref().ok_or_else(|| unavailable("catalog"))?;
        let all = catalog.categories().await.map_err(Arc::new)?;
        Ok(all
            .into_iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| (c.id, c))
            .collect())
    }
}

/// `OrderItem.product`: products of one level through catalog's published port (one read).
/// Orders show what was bought, so inactive products resolve too.
pub struct Products(Option<Catalog>);

impl Loader<Uuid> for Products {
    type Value = ProductSnapshot;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, ProductSnapshot>, LoadError> {
        let catalog = self.0.as_ref().ok_or_else(|| unavailable("catalog"))?;
        let snapshots = catalog
            .snapshots(ids)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
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
    pub fn new(services: &GraphqlServices, caller: Option<Principal>) -> Self {
        let content = services.content.clone();
        let catalog = services.catalog.clone();
        Self {
            authors: DataLoader::new(Authors(content.clone()), tokio::spawn),
            comments: DataLoader::new(Comments(content.clone()), tokio::spawn),
            post_counts: DataLoader::new(PostCounts(content.clone()), tokio::spawn),
            user_posts: DataLoader::new(UserPosts { content, caller }, tokio::spawn),
            categories: DataLoader::new(Categories(catalog.clone()), tokio::spawn),
            products: DataLoader::new(Products(catalog), tokio::spawn),
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
    let error = Arc::try_unwrap(error).unwrap_or_else(|shared| clone_error(&shared));
    super::gql_error(error)
}

/// An owned copy of a shared error, enough to report it (code, message, details).
fn clone_error(error: &AppError) -> AppError {
    match error {
        AppError::Validation(errors) => AppError::Validation(errors.clone()),
        AppError::NotFound => AppError::NotFound,
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        AppError::NotAuthenticated => AppError::NotAuthenticated,
        AppError::InsufficientPermissions => AppError::InsufficientPermissions,
        other => AppError::Unexpected(anyhow::anyhow!("{other}")),
    }
}
