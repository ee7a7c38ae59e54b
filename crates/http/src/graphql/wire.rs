//! The ports over HTTP (ADR 0035): each operation is one signed `POST /internal/graphql/<context>`
//! to the service owning the context, carrying the operation and its arguments; the service
//! answers with the in-process implementation's result. A batch read of a DataLoader is one
//! operation, so one loader batch is one request — no N+1 over HTTP either.
//!
//! Domain refusals (`not_found`, `validation_failed`, …) are answers (`200` with `err`), not
//! transport failures: the client never retries or trips its breaker on them, and the GraphQL
//! error carries the service's code, message and details unchanged.

use std::{collections::HashMap, sync::Arc};

use agora_app::AppError;
use agora_domain::{
    catalog::{Category, Product},
    orders::Order,
    paging::Page,
    ports::PortError,
    service_api::SnapshotDto,
};
use async_trait::async_trait;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

use super::{
    orders::Cart,
    ports::{
        AuthorView, CatalogPort, CommentView, ContentPort, Failure, IdentityPort, OrdersPort,
        PortResult, PostFields, PostView, PostsQuery, ProductsQuery, Registration, Scope,
        SessionView, UserView,
    },
};

/// The internal path answering `context`'s operations.
pub fn path(context: &str) -> String {
    format!("/internal/graphql/{context}")
}

/// Identity's operations on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum IdentityCall {
    /// [`IdentityPort::me`].
    Me,
    /// [`IdentityPort::user`].
    User { id: Uuid },
    /// [`IdentityPort::users`].
    Users { page: u32, limit: u32 },
    /// [`IdentityPort::register`].
    Register { input: Registration },
    /// [`IdentityPort::login`]; the client address travels in the signed body.
    Login {
        email: String,
        password: String,
        ip: Option<String>,
    },
}

/// Catalog's operations on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum CatalogCall {
    /// [`CatalogPort::product`].
    Product { id: Uuid },
    /// [`CatalogPort::products`].
    Products { query: ProductsQuery },
    /// [`CatalogPort::categories`].
    Categories,
    /// [`CatalogPort::snapshots`].
    Snapshots { ids: Vec<Uuid> },
}

/// Orders' operations on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum OrdersCall {
    /// [`OrdersPort::cart`].
    Cart,
    /// [`OrdersPort::order`].
    Order { id: Uuid },
    /// [`OrdersPort::orders`].
    Orders { page: u32, limit: u32 },
    /// [`OrdersPort::set_cart_item`].
    SetCartItem { product: Uuid, quantity: i64 },
    /// [`OrdersPort::place_order`].
    PlaceOrder { key: String, note: Option<String> },
}

/// Content's operations on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum ContentCall {
    /// [`ContentPort::post`].
    Post { id: Uuid },
    /// [`ContentPort::posts`].
    Posts { query: PostsQuery },
    /// [`ContentPort::create_post`].
    CreatePost { fields: PostFields },
    /// [`ContentPort::update_post`].
    UpdatePost { id: Uuid, fields: PostFields },
    /// [`ContentPort::add_comment`].
    AddComment { post: Uuid, body: String },
    /// [`ContentPort::authors`].
    Authors { ids: Vec<Uuid> },
    /// [`ContentPort::comments_of`].
    CommentsOf { posts: Vec<Uuid> },
    /// [`ContentPort::posts_of_authors`].
    PostsOfAuthors {
        users: Vec<Uuid>,
        page: u32,
        limit: u32,
    },
    /// [`ContentPort::post_counts`].
    PostCounts { users: Vec<Uuid> },
}

/// A service's answer to one operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Answer {
    /// The operation's result.
    Ok(serde_json::Value),
    /// The refusal, as the schema reports it.
    Err(Failure),
}

impl Answer {
    /// The answer to a port's result.
    pub fn of<T: Serialize>(result: PortResult<T>) -> Self {
        match result.and_then(|value| {
            serde_json::to_value(value)
                .map_err(|e| Failure::from(AppError::Unexpected(anyhow::anyhow!(e))))
        }) {
            Ok(value) => Self::Ok(value),
            Err(failure) => Self::Err(failure),
        }
    }
}

/// How a remote port reaches a service: one signed request per operation, forwarding the
/// caller's `Authorization` and request id. `idempotent` operations (every read) may be retried
/// on transient failures; mutations are sent once.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `body` to `path`; a service that cannot be reached is a [`PortError`].
    async fn send(
        &self,
        path: &str,
        scope: &Scope,
        body: serde_json::Value,
        idempotent: bool,
    ) -> Result<Answer, PortError>;
}

/// A port answered by the service at the other end of `transport`.
#[derive(Clone)]
pub struct Remote {
    path: String,
    transport: Arc<dyn Transport>,
}

impl Remote {
    /// `context`'s port over `transport`.
    pub fn new(context: &str, transport: Arc<dyn Transport>) -> Self {
        Self {
            path: path(context),
            transport,
        }
    }

    async fn ask<C: Serialize, R: DeserializeOwned>(
        &self,
        scope: &Scope,
        call: C,
        idempotent: bool,
    ) -> PortResult<R> {
        let body = serde_json::to_value(call)
            .map_err(|e| Failure::from(AppError::Unexpected(anyhow::anyhow!(e))))?;
        let answer = self
            .transport
            .send(&self.path, scope, body, idempotent)
            .await
            .map_err(AppError::from)?;
        match answer {
            Answer::Ok(value) => serde_json::from_value(value).map_err(|e| {
                Failure::from(AppError::Unexpected(anyhow::anyhow!(
                    "{} answered an unreadable result: {e}",
                    self.path
                )))
            }),
            Answer::Err(failure) => Err(failure),
        }
    }

    async fn read<C: Serialize, R: DeserializeOwned>(
        &self,
        scope: &Scope,
        call: C,
    ) -> PortResult<R> {
        self.ask(scope, call, true).await
    }

    async fn write<C: Serialize, R: DeserializeOwned>(
        &self,
        scope: &Scope,
        call: C,
    ) -> PortResult<R> {
        self.ask(scope, call, false).await
    }
}

#[async_trait]
impl IdentityPort for Remote {
    async fn me(&self, scope: &Scope) -> PortResult<UserView> {
        self.read(scope, IdentityCall::Me).await
    }
    async fn user(&self, scope: &Scope, id: Uuid) -> PortResult<UserView> {
        self.read(scope, IdentityCall::User { id }).await
    }
    async fn users(&self, scope: &Scope, page: u32, limit: u32) -> PortResult<Page<UserView>> {
        self.read(scope, IdentityCall::Users { page, limit }).await
    }
    async fn register(&self, scope: &Scope, input: Registration) -> PortResult<UserView> {
        self.write(scope, IdentityCall::Register { input }).await
    }
    async fn login(
        &self,
        scope: &Scope,
        email: String,
        password: String,
    ) -> PortResult<SessionView> {
        let ip = scope.client_ip.clone();
        // Not retried: each attempt would count as a login attempt against the account.
        self.write(
            scope,
            IdentityCall::Login {
                email,
                password,
                ip,
            },
        )
        .await
    }
}

#[async_trait]
impl CatalogPort for Remote {
    async fn product(&self, scope: &Scope, id: Uuid) -> PortResult<Product> {
        self.read(scope, CatalogCall::Product { id }).await
    }
    async fn products(&self, scope: &Scope, query: ProductsQuery) -> PortResult<Page<Product>> {
        self.read(scope, CatalogCall::Products { query }).await
    }
    async fn categories(&self, scope: &Scope) -> PortResult<Vec<Category>> {
        self.read(scope, CatalogCall::Categories).await
    }
    async fn snapshots(&self, scope: &Scope, ids: Vec<Uuid>) -> PortResult<Vec<SnapshotDto>> {
        self.read(scope, CatalogCall::Snapshots { ids }).await
    }
}

#[async_trait]
impl OrdersPort for Remote {
    async fn cart(&self, scope: &Scope) -> PortResult<Cart> {
        self.read(scope, OrdersCall::Cart).await
    }
    async fn order(&self, scope: &Scope, id: Uuid) -> PortResult<Order> {
        self.read(scope, OrdersCall::Order { id }).await
    }
    async fn orders(&self, scope: &Scope, page: u32, limit: u32) -> PortResult<Page<Order>> {
        self.read(scope, OrdersCall::Orders { page, limit }).await
    }
    async fn set_cart_item(&self, scope: &Scope, product: Uuid, quantity: i64) -> PortResult<Cart> {
        self.write(scope, OrdersCall::SetCartItem { product, quantity })
            .await
    }
    async fn place_order(
        &self,
        scope: &Scope,
        key: String,
        note: Option<String>,
    ) -> PortResult<Order> {
        self.write(scope, OrdersCall::PlaceOrder { key, note })
            .await
    }
}

#[async_trait]
impl ContentPort for Remote {
    async fn post(&self, scope: &Scope, id: Uuid) -> PortResult<PostView> {
        self.read(scope, ContentCall::Post { id }).await
    }
    async fn posts(&self, scope: &Scope, query: PostsQuery) -> PortResult<Page<PostView>> {
        self.read(scope, ContentCall::Posts { query }).await
    }
    async fn create_post(&self, scope: &Scope, fields: PostFields) -> PortResult<PostView> {
        self.write(scope, ContentCall::CreatePost { fields }).await
    }
    async fn update_post(
        &self,
        scope: &Scope,
        id: Uuid,
        fields: PostFields,
    ) -> PortResult<PostView> {
        self.write(scope, ContentCall::UpdatePost { id, fields })
            .await
    }
    async fn add_comment(
        &self,
        scope: &Scope,
        post: Uuid,
        body: String,
    ) -> PortResult<CommentView> {
        self.write(scope, ContentCall::AddComment { post, body })
            .await
    }
    async fn authors(&self, scope: &Scope, ids: Vec<Uuid>) -> PortResult<Vec<AuthorView>> {
        self.read(scope, ContentCall::Authors { ids }).await
    }
    async fn comments_of(
        &self,
        scope: &Scope,
        posts: Vec<Uuid>,
    ) -> PortResult<HashMap<Uuid, Vec<CommentView>>> {
        self.read(scope, ContentCall::CommentsOf { posts }).await
    }
    async fn posts_of_authors(
        &self,
        scope: &Scope,
        users: Vec<Uuid>,
        page: u32,
        limit: u32,
    ) -> PortResult<HashMap<Uuid, Page<PostView>>> {
        self.read(scope, ContentCall::PostsOfAuthors { users, page, limit })
            .await
    }
    async fn post_counts(&self, scope: &Scope, users: Vec<Uuid>) -> PortResult<HashMap<Uuid, u64>> {
        self.read(scope, ContentCall::PostCounts { users }).await
    }
}
