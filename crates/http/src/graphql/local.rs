//! The ports answered by the in-process use cases: what the monolith runs, and what each split
//! service runs behind its `/internal/graphql/…` endpoint — one implementation for both, so the
//! answers cannot differ by topology.

use std::collections::HashMap;

use agora_app::{
    catalog::{Catalog, ProductListInput},
    content::{Content, NewPostInput, PostChange, PostListInput, PostView as AppPostView},
    identity::{Identity, LoginInput, RegisterInput, UserListQuery},
    orders::{CheckoutRequest, Orders},
    AppError,
};
use agora_domain::{
    catalog::{Category, Product},
    content::{Comment, PostListing},
    identity::{Principal, Role, User},
    orders::{IdempotencyKey, Order},
    paging::{Page, PageRequest, SortOrder},
    ports::{
        catalog::ProductCatalog,
        identity::{UserDirectory, UserFilter},
    },
    service_api::SnapshotDto,
};
use async_trait::async_trait;
use uuid::Uuid;

use super::{
    orders::Cart,
    ports::{
        AuthorView, CatalogPort, CommentView, ContentPort, IdentityPort, OrdersPort, PortResult,
        PostFields, PostView, PostsQuery, ProductsQuery, Registration, Scope, SessionView,
        UserPrivate, UserView,
    },
};

fn require(scope: &Scope) -> Result<&Principal, AppError> {
    scope.caller.as_ref().ok_or(AppError::NotAuthenticated)
}

fn page(page: u32, limit: u32) -> PageRequest {
    PageRequest { page, limit }
}

fn map_page<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> Page<U> {
    Page {
        items: page.items.into_iter().map(f).collect(),
        total: page.total,
    }
}

impl UserView {
    fn full(user: &User) -> Self {
        Self {
            id: user.id,
            name: user.name.as_str().to_owned(),
            role: user.role.as_str().to_owned(),
            private: Some(UserPrivate {
                email: user.email.as_str().to_owned(),
                is_verified: user.is_verified,
                created_at: user.created_at,
            }),
        }
    }
}

impl From<PostListing> for PostView {
    fn from(listing: PostListing) -> Self {
        let post = listing.post;
        Self {
            id: post.id,
            author_id: post.author_id,
            title: post.title.as_str().to_owned(),
            body: post.body.as_str().to_owned(),
            tags: post.tags.to_strings(),
            published: post.published,
            comment_count: listing.comment_count,
            created_at: post.created_at,
            updated_at: post.updated_at,
        }
    }
}

impl From<AppPostView> for PostView {
    fn from(view: AppPostView) -> Self {
        PostListing {
            post: view.post,
            comment_count: view.comment_count,
        }
        .into()
    }
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            post_id: c.post_id,
            author_id: c.author_id,
            body: c.body.as_str().to_owned(),
            created_at: c.created_at,
        }
    }
}

#[async_trait]
impl IdentityPort for Identity {
    async fn me(&self, scope: &Scope) -> PortResult<UserView> {
        Ok(UserView::full(&Identity::me(self, require(scope)?).await?))
    }

    async fn user(&self, scope: &Scope, id: Uuid) -> PortResult<UserView> {
        match &scope.caller {
            Some(caller) if caller.user_id == id => {
                Ok(UserView::full(&Identity::me(self, caller).await?))
            }
            Some(caller) if caller.is_admin() => {
                Ok(UserView::full(&self.get_user(caller, id).await?))
            }
            _ => {
                let profile = self
                    .profiles(&[id])
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .next()
                    .ok_or(AppError::NotFound)?;
                Ok(UserView {
                    id: profile.id,
                    name: profile.name.as_str().to_owned(),
                    role: profile.role.as_str().to_owned(),
                    private: None,
                })
            }
        }
    }

    async fn users(&self, scope: &Scope, page_no: u32, limit: u32) -> PortResult<Page<UserView>> {
        let query = UserListQuery {
            filter: UserFilter::default(),
            sort: SortOrder {
                column: "created_at",
                descending: true,
            },
            page: page(page_no, limit),
        };
        let found = self.list_users(require(scope)?, query).await?;
        Ok(map_page(found, |u| UserView::full(&u)))
    }

    async fn register(&self, _scope: &Scope, input: Registration) -> PortResult<UserView> {
        let user = Identity::register(
            self,
            RegisterInput {
                email: Some(input.email),
                password: Some(input.password),
                name: Some(input.name),
                age: input.age,
                role: Role::User,
            },
        )
        .await?;
        Ok(UserView::full(&user))
    }

    async fn login(
        &self,
        scope: &Scope,
        email: String,
        password: String,
    ) -> PortResult<SessionView> {
        let session = Identity::login(
            self,
            LoginInput {
                email: Some(email),
                password: Some(password),
                ip: scope.client_ip.clone(),
            },
        )
        .await?;
        Ok(SessionView {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            expires_in: session.expires_in,
            user: UserView::full(&session.user),
        })
    }
}

#[async_trait]
impl CatalogPort for Catalog {
    async fn product(&self, scope: &Scope, id: Uuid) -> PortResult<Product> {
        Ok(Catalog::product(self, scope.caller.as_ref(), id).await?)
    }

    async fn products(&self, scope: &Scope, query: ProductsQuery) -> PortResult<Page<Product>> {
        let input = ProductListInput {
            page: page(query.page, query.limit),
            sort: query.sort,
            q: query.q,
            category: query.category,
            ..ProductListInput::default()
        };
        Ok(self
            .list(scope.caller.as_ref(), input)
            .await?
            .as_ref()
            .clone())
    }

    async fn categories(&self, _scope: &Scope) -> PortResult<Vec<Category>> {
        Ok(Catalog::categories(self).await?)
    }

    async fn snapshots(&self, _scope: &Scope, ids: Vec<Uuid>) -> PortResult<Vec<SnapshotDto>> {
        let found = ProductCatalog::snapshots(self, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(found.iter().map(SnapshotDto::from).collect())
    }
}

#[async_trait]
impl OrdersPort for Orders {
    async fn cart(&self, scope: &Scope) -> PortResult<Cart> {
        Ok(Orders::cart(self, require(scope)?).await?.into())
    }

    async fn order(&self, scope: &Scope, id: Uuid) -> PortResult<Order> {
        Ok(Orders::order(self, require(scope)?, id).await?)
    }

    async fn orders(&self, scope: &Scope, page_no: u32, limit: u32) -> PortResult<Page<Order>> {
        Ok(self.history(require(scope)?, page(page_no, limit)).await?)
    }

    async fn set_cart_item(&self, scope: &Scope, product: Uuid, quantity: i64) -> PortResult<Cart> {
        Ok(self
            .put_item(require(scope)?, product, quantity)
            .await?
            .into())
    }

    async fn place_order(
        &self,
        scope: &Scope,
        idempotency_key: String,
        note: Option<String>,
    ) -> PortResult<Order> {
        let caller = require(scope)?;
        let key = IdempotencyKey::parse(Some(&idempotency_key)).map_err(AppError::from)?;
        // The fingerprint of the request is its note: the same key with another note is refused.
        let body = serde_json::to_vec(&serde_json::json!({ "note": note })).unwrap_or_default();
        let request = CheckoutRequest { key, body, note };
        // The stored answer is the order's id; a replay reads the order again.
        let render = |order: &Order| order.id.to_string().into_bytes();
        let answer = self.checkout(caller, request, &render).await?;
        let id = Uuid::parse_str(&String::from_utf8_lossy(&answer.body))
            .map_err(|_| AppError::NotFound)?;
        Ok(Orders::order(self, caller, id).await?)
    }
}

#[async_trait]
impl ContentPort for Content {
    async fn post(&self, scope: &Scope, id: Uuid) -> PortResult<PostView> {
        Ok(self.visible(scope.caller.as_ref(), id).await?.into())
    }

    async fn posts(&self, scope: &Scope, query: PostsQuery) -> PortResult<Page<PostView>> {
        let input = PostListInput {
            page: page(query.page, query.limit),
            author: query.author,
            tag: query.tag,
            q: query.q,
        };
        let found = self.listings(scope.caller.as_ref(), &input).await?;
        Ok(map_page(found, PostView::from))
    }

    async fn create_post(&self, scope: &Scope, fields: PostFields) -> PortResult<PostView> {
        let input = NewPostInput {
            title: fields.title.unwrap_or_default(),
            body: fields.body.unwrap_or_default(),
            tags: fields.tags.unwrap_or_default(),
            published: fields.published.unwrap_or_default(),
        };
        Ok(self.create(require(scope)?, input).await?.into())
    }

    async fn update_post(
        &self,
        scope: &Scope,
        id: Uuid,
        fields: PostFields,
    ) -> PortResult<PostView> {
        let change = PostChange {
            title: fields.title,
            body: fields.body,
            tags: fields.tags,
            published: fields.published,
        };
        Ok(self.update(require(scope)?, id, change).await?.into())
    }

    async fn add_comment(
        &self,
        scope: &Scope,
        post: Uuid,
        body: String,
    ) -> PortResult<CommentView> {
        let view = Content::add_comment(self, require(scope)?, post, &body).await?;
        Ok(view.comment.into())
    }

    async fn authors(&self, _scope: &Scope, ids: Vec<Uuid>) -> PortResult<Vec<AuthorView>> {
        let found = Content::authors(self, &ids).await?;
        Ok(found
            .into_values()
            .map(|a| AuthorView {
                id: a.id,
                name: a.name,
            })
            .collect())
    }

    async fn comments_of(
        &self,
        _scope: &Scope,
        posts: Vec<Uuid>,
    ) -> PortResult<HashMap<Uuid, Vec<CommentView>>> {
        let found = Content::comments_of(self, &posts).await?;
        Ok(found
            .into_iter()
            .map(|(post, comments)| (post, comments.into_iter().map(Into::into).collect()))
            .collect())
    }

    async fn posts_of_authors(
        &self,
        scope: &Scope,
        users: Vec<Uuid>,
        page_no: u32,
        limit: u32,
    ) -> PortResult<HashMap<Uuid, Page<PostView>>> {
        let found =
            Content::posts_of_authors(self, scope.caller.as_ref(), &users, page(page_no, limit))
                .await?;
        Ok(found
            .into_iter()
            .map(|(user, posts)| (user, map_page(posts, PostView::from)))
            .collect())
    }

    async fn post_counts(
        &self,
        _scope: &Scope,
        users: Vec<Uuid>,
    ) -> PortResult<HashMap<Uuid, u64>> {
        Ok(Content::post_counts(self, &users).await?)
    }
}
