//! `POST /internal/graphql/<context>`: a service answers the GraphQL ports of the contexts it
//! runs for a gateway hosting `/graphql` in front of the split (ADR 0035). Signed like every
//! internal call (ADR 0030); the caller is the forwarded bearer token, verified here with this
//! service's own authenticator — the gateway's word about who calls is not taken on trust.

use std::sync::Arc;

use agora_domain::service_auth::ServiceKey;
use axum::{extract::State, routing::post, Json, Router};

use super::{
    ports::{CatalogPort, ContentPort, Failure, FieldDetail, IdentityPort, OrdersPort, Scope},
    wire::{path, Answer, CatalogCall, ContentCall, IdentityCall, OrdersCall},
    GraphqlServices,
};
use crate::{auth::MaybeAuthUser, openapi::RestApi, ApiError};

impl From<&ApiError> for Failure {
    fn from(error: &ApiError) -> Self {
        let payload = error.payload();
        Self {
            code: payload.code.to_owned(),
            message: payload.error.clone(),
            details: payload
                .details
                .iter()
                .flatten()
                .map(|d| FieldDetail {
                    field: d.field.clone(),
                    message: d.message.clone(),
                })
                .collect(),
        }
    }
}

/// Runs `call` for the caller of an internal request. A token this service refuses is the same
/// refusal as on the monolith (`authentication_failed`, `token_revoked`), answered as one.
async fn answer<C, F, Fut>(caller: Result<MaybeAuthUser, ApiError>, call: C, run: F) -> Json<Answer>
where
    F: FnOnce(Scope, C) -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    match caller {
        Ok(MaybeAuthUser(caller)) => {
            let scope = Scope {
                caller,
                ..Scope::default()
            };
            Json(run(scope, call).await)
        }
        Err(error) => Json(Answer::Err(Failure::from(&error))),
    }
}

/// The endpoints of the contexts `services` has, behind the signature check.
pub fn internal_api(services: &GraphqlServices, key: Option<ServiceKey>) -> Option<RestApi> {
    let mut router = Router::new();
    let mut any = false;
    if let Some(port) = services.identity.clone() {
        router = router.route(&path("identity"), post(identity).with_state(port));
        any = true;
    }
    if let Some(port) = services.catalog.clone() {
        router = router.route(&path("catalog"), post(catalog).with_state(port));
        any = true;
    }
    if let Some(port) = services.orders.clone() {
        router = router.route(&path("orders"), post(orders).with_state(port));
        any = true;
    }
    if let Some(port) = services.content.clone() {
        router = router.route(&path("content"), post(content).with_state(port));
        any = true;
    }
    any.then(|| {
        RestApi::from(router.route_layer(axum::middleware::from_fn_with_state(
            key,
            crate::internal::require_signature,
        )))
    })
}

async fn identity(
    State(port): State<Arc<dyn IdentityPort>>,
    caller: Result<MaybeAuthUser, ApiError>,
    Json(call): Json<IdentityCall>,
) -> Json<Answer> {
    answer(caller, call, |mut scope, call| async move {
        match call {
            IdentityCall::Me => Answer::of(port.me(&scope).await),
            IdentityCall::User { id } => Answer::of(port.user(&scope, id).await),
            IdentityCall::Users { page, limit } => {
                Answer::of(port.users(&scope, page, limit).await)
            }
            IdentityCall::Register { input } => Answer::of(port.register(&scope, input).await),
            IdentityCall::Login {
                email,
                password,
                ip,
            } => {
                scope.client_ip = ip;
                Answer::of(port.login(&scope, email, password).await)
            }
        }
    })
    .await
}

async fn catalog(
    State(port): State<Arc<dyn CatalogPort>>,
    caller: Result<MaybeAuthUser, ApiError>,
    Json(call): Json<CatalogCall>,
) -> Json<Answer> {
    answer(caller, call, |scope, call| async move {
        match call {
            CatalogCall::Product { id } => Answer::of(port.product(&scope, id).await),
            CatalogCall::Products { query } => Answer::of(port.products(&scope, query).await),
            CatalogCall::Categories => Answer::of(port.categories(&scope).await),
            CatalogCall::Snapshots { ids } => Answer::of(port.snapshots(&scope, ids).await),
        }
    })
    .await
}

async fn orders(
    State(port): State<Arc<dyn OrdersPort>>,
    caller: Result<MaybeAuthUser, ApiError>,
    Json(call): Json<OrdersCall>,
) -> Json<Answer> {
    answer(caller, call, |scope, call| async move {
        match call {
            OrdersCall::Cart => Answer::of(port.cart(&scope).await),
            OrdersCall::Order { id } => Answer::of(port.order(&scope, id).await),
            OrdersCall::Orders { page, limit } => {
                Answer::of(port.orders(&scope, page, limit).await)
            }
            OrdersCall::SetCartItem { product, quantity } => {
                Answer::of(port.set_cart_item(&scope, product, quantity).await)
            }
            OrdersCall::PlaceOrder { key, note } => {
                Answer::of(port.place_order(&scope, key, note).await)
            }
        }
    })
    .await
}

async fn content(
    State(port): State<Arc<dyn ContentPort>>,
    caller: Result<MaybeAuthUser, ApiError>,
    Json(call): Json<ContentCall>,
) -> Json<Answer> {
    answer(caller, call, |scope, call| async move {
        match call {
            ContentCall::Post { id } => Answer::of(port.post(&scope, id).await),
            ContentCall::Posts { query } => Answer::of(port.posts(&scope, query).await),
            ContentCall::CreatePost { fields } => {
                Answer::of(port.create_post(&scope, fields).await)
            }
            ContentCall::UpdatePost { id, fields } => {
                Answer::of(port.update_post(&scope, id, fields).await)
            }
            ContentCall::AddComment { post, body } => {
                Answer::of(port.add_comment(&scope, post, body).await)
            }
            ContentCall::Authors { ids } => Answer::of(port.authors(&scope, ids).await),
            ContentCall::CommentsOf { posts } => Answer::of(port.comments_of(&scope, posts).await),
            ContentCall::PostsOfAuthors { users, page, limit } => {
                Answer::of(port.posts_of_authors(&scope, users, page, limit).await)
            }
            ContentCall::PostCounts { users } => Answer::of(port.post_counts(&scope, users).await),
        }
    })
    .await
}
