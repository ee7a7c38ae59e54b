//! What the schema needs from each context (ADR 0035): one port per context, with exactly the
//! operations the resolvers and DataLoaders call. The monolith implements them with the
//! in-process use cases (`local`); a gateway in front of split services implements them over
//! HTTP (`wire`), each call answered by the owning service running the same in-process
//! implementation — so both topologies give the same answers and the same error codes.
//!
//! The values crossing a port are serialisable views of what the schema shows, not the domain
//! types: they are the wire format between the gateway and the services too.

use std::collections::HashMap;

use agora_app::AppError;
use agora_domain::{
    catalog::{Category, Product},
    identity::Principal,
    orders::Order,
    paging::Page,
    service_api::SnapshotDto,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::orders::Cart;

/// Who asks, and what a remote port forwards to the owning service.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The verified caller, if any.
    pub caller: Option<Principal>,
    /// The client address (failed-login limits and the audit log key on it).
    pub client_ip: Option<String>,
    /// The caller's `Authorization` header, verified again by the owning service.
    pub authorization: Option<String>,
    /// The request id, so one GraphQL request is one id in every service's log.
    pub request_id: Option<String>,
}

/// A failed operation as the schema reports it: the REST code, message and field details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `not_found`, `validation_failed`, … (API.md "Errors").
    pub code: String,
    /// Human message, safe to show.
    pub message: String,
    /// Offending fields (`validation_failed`, some conflicts).
    #[serde(default)]
    pub details: Vec<FieldDetail>,
}

/// One offending field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDetail {
    /// The field as the client named it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        use agora_app::ErrorKind;
        // Internal detail goes to the log of the process where it happened, never to clients.
        if matches!(error.kind(), ErrorKind::Internal | ErrorKind::Unavailable) {
            tracing::error!(%error, "graphql operation failed");
        }
        Self {
            code: error.code().to_owned(),
            message: error.message().to_owned(),
            details: error
                .details()
                .iter()
                .map(|d| FieldDetail {
                    field: d.field.clone(),
                    message: d.message.clone(),
                })
                .collect(),
        }
    }
}

/// A port's result.
pub type PortResult<T> = Result<T, Failure>;

/// A user as the caller may see them: `private` only for themselves and admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// `user` or `admin`.
    pub role: String,
    /// Email and account details.
    pub private: Option<UserPrivate>,
}

/// What only the user themselves and admins see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPrivate {
    /// Email address.
    pub email: String,
    /// Whether the email is verified.
    pub is_verified: bool,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

/// A new session, as login answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Short-lived JWT.
    pub access_token: String,
    /// Rotating refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The user logged in.
    pub user: UserView,
}

/// A post with its comment count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    /// Id.
    pub id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Title.
    pub title: String,
    /// Markdown source.
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Visible to everyone.
    pub published: bool,
    /// How many comments it has.
    pub comment_count: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    /// Id.
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Text.
    pub body: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Who wrote a post or comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorView {
    /// The user id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
}

/// `posts(…)` arguments, validated page included.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostsQuery {
    /// Page number.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Only posts with this tag.
    pub tag: Option<String>,
    /// Full-text search.
    pub q: Option<String>,
    /// Only this author's posts (raw, validated by content).
    pub author: Option<String>,
}

/// `products(…)` arguments, validated page included.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductsQuery {
    /// Page number.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Full-text search.
    pub q: Option<String>,
    /// Category id (raw, validated by catalog).
    pub category: Option<String>,
    /// `field` or `-field`.
    pub sort: Option<String>,
}

/// `createPost` / `updatePost` fields (absent: unchanged, on update).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostFields {
    /// Title.
    pub title: Option<String>,
    /// Markdown body.
    pub body: Option<String>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Published.
    pub published: Option<bool>,
}

/// `register` arguments.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub name: String,
    /// Age.
    pub age: Option<i64>,
}

/// Identity's operations.
#[async_trait]
pub trait IdentityPort: Send + Sync {
    /// The caller.
    async fn me(&self, scope: &Scope) -> PortResult<UserView>;
    /// A user: everything for themselves and admins, the public profile for others.
    async fn user(&self, scope: &Scope, id: Uuid) -> PortResult<UserView>;
    /// Every user, newest first (admins).
    async fn users(&self, scope: &Scope, page: u32, limit: u32) -> PortResult<Page<UserView>>;
    /// Registers an account.
    async fn register(&self, scope: &Scope, input: Registration) -> PortResult<UserView>;
    /// Logs in from `scope.client_ip`.
    async fn login(
        &self,
        scope: &Scope,
        email: String,
        password: String,
    ) -> PortResult<SessionView>;
}

/// Catalog's operations.
#[async_trait]
pub trait CatalogPort: Send + Sync {
    /// One product (an inactive one only for admins).
    async fn product(&self, scope: &Scope, id: Uuid) -> PortResult<Product>;
    /// A page of products.
    async fn products(&self, scope: &Scope, query: ProductsQuery) -> PortResult<Page<Product>>;
    /// Every category, by name.
    async fn categories(&self, scope: &Scope) -> PortResult<Vec<Category>>;
    /// Products by id, inactive ones included (batch: one call per loader level).
    async fn snapshots(&self, scope: &Scope, ids: Vec<Uuid>) -> PortResult<Vec<SnapshotDto>>;
}

/// Orders' operations.
#[async_trait]
pub trait OrdersPort: Send + Sync {
    /// The caller's cart.
    async fn cart(&self, scope: &Scope) -> PortResult<Cart>;
    /// One order: the caller's own, or any for an admin.
    async fn order(&self, scope: &Scope, id: Uuid) -> PortResult<Order>;
    /// The caller's orders, newest first.
    async fn orders(&self, scope: &Scope, page: u32, limit: u32) -> PortResult<Page<Order>>;
    /// Puts `quantity` units of a product in the caller's cart.
    async fn set_cart_item(&self, scope: &Scope, product: Uuid, quantity: i64) -> PortResult<Cart>;
    /// Checks the cart out under an idempotency key.
    async fn place_order(
        &self,
        scope: &Scope,
        idempotency_key: String,
        note: Option<String>,
    ) -> PortResult<Order>;
}

/// Content's operations.
#[async_trait]
pub trait ContentPort: Send + Sync {
    /// One post the caller may read.
    async fn post(&self, scope: &Scope, id: Uuid) -> PortResult<PostView>;
    /// Posts the caller may read, newest first.
    async fn posts(&self, scope: &Scope, query: PostsQuery) -> PortResult<Page<PostView>>;
    /// Writes a post.
    async fn create_post(&self, scope: &Scope, fields: PostFields) -> PortResult<PostView>;
    /// Edits a post.
    async fn update_post(
        &self,
        scope: &Scope,
        id: Uuid,
        fields: PostFields,
    ) -> PortResult<PostView>;
    /// Comments on a post.
    async fn add_comment(&self, scope: &Scope, post: Uuid, body: String)
        -> PortResult<CommentView>;
    /// Authors by user id (batch).
    async fn authors(&self, scope: &Scope, ids: Vec<Uuid>) -> PortResult<Vec<AuthorView>>;
    /// Every comment of each post, oldest first (batch).
    async fn comments_of(
        &self,
        scope: &Scope,
        posts: Vec<Uuid>,
    ) -> PortResult<HashMap<Uuid, Vec<CommentView>>>;
    /// The same page of each user's posts the caller may read (batch).
    async fn posts_of_authors(
        &self,
        scope: &Scope,
        users: Vec<Uuid>,
        page: u32,
        limit: u32,
    ) -> PortResult<HashMap<Uuid, Page<PostView>>>;
    /// How many posts each user wrote (batch).
    async fn post_counts(&self, scope: &Scope, users: Vec<Uuid>) -> PortResult<HashMap<Uuid, u64>>;
}
