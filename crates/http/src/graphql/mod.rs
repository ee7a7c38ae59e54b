//! GraphQL at `POST /graphql` (async-graphql): one schema over every context's use cases — no
//! second business logic and no SQL here. Each context contributes its part of the root types
//! (`MergedObject`); nested fields that would cause N+1 reads are resolved through per-request
//! DataLoaders calling the use cases' batch reads (`loaders`). Errors carry the REST codes in
//! `extensions.code`. Depth, complexity, page size and query size are limited before anything
//! runs (ADR 0020).
//!
//! The resolvers call one port per context (`ports`), answered in-process in the monolith and
//! over HTTP by the owning services behind a gateway (`wire`, `internal`; ADR 0035).

mod catalog;
mod content;
mod errors;
mod identity;
mod internal;
mod loaders;
mod local;
mod orders;
pub mod ports;
pub mod wire;
#[cfg(test)]
mod wire_tests;

use std::sync::Arc;

use agora_app::{catalog::Catalog, content::Content, identity::Identity, orders::Orders};
use agora_domain::{identity::Principal, paging::PageRequest, FieldError};
use async_graphql::{
    dataloader::DataLoader, EmptySubscription, MergedObject, Schema, SchemaBuilder, SimpleObject,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header::AUTHORIZATION, HeaderMap},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};

pub use errors::{failure, gql_error, GqlResult};
pub use internal::internal_api;
use ports::{CatalogPort, ContentPort, IdentityPort, OrdersPort, Scope};

use crate::{auth::MaybeAuthUser, client_ip::ClientIp};

/// The root query: each context's queries.
#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    catalog::CatalogQuery,
    orders::OrdersQuery,
    content::ContentQuery,
);

/// The root mutation: each context's mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    orders::OrdersMutation,
    content::ContentMutation,
);

/// The schema type.
pub type AgoraSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits applied to every request before any resolver runs.
#[derive(Debug, Clone)]
pub struct GraphqlLimits {
    /// Deepest selection nesting (API.md: 10).
    pub depth: usize,
    /// Highest complexity (each field 1, list fields times their `limit`).
    pub complexity: usize,
    /// Largest query text, in bytes.
    pub max_query_bytes: usize,
    /// Whether `__schema`/`__type` answer.
    pub introspection: bool,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            depth: 10,
            complexity: 5000,
            max_query_bytes: 16 * 1024,
            introspection: true,
        }
    }
}

/// The ports the schema calls; a context no one answers is absent, and its fields answer
/// `unavailable`.
#[derive(Clone, Default)]
pub struct GraphqlServices {
    identity: Option<Arc<dyn IdentityPort>>,
    catalog: Option<Arc<dyn CatalogPort>>,
    orders: Option<Arc<dyn OrdersPort>>,
    content: Option<Arc<dyn ContentPort>>,
}

impl GraphqlServices {
    /// The use cases of this process (the monolith, or a service answering its own context).
    pub fn in_process(
        identity: Option<Identity>,
        catalog: Option<Catalog>,
        orders: Option<Orders>,
        content: Option<Content>,
    ) -> Self {
        Self {
            identity: identity.map(|p| Arc::new(p) as Arc<dyn IdentityPort>),
            catalog: catalog.map(|p| Arc::new(p) as Arc<dyn CatalogPort>),
            orders: orders.map(|p| Arc::new(p) as Arc<dyn OrdersPort>),
            content: content.map(|p| Arc::new(p) as Arc<dyn ContentPort>),
        }
    }

    /// Each context answered by the service at the other end of its transport (ADR 0035).
    pub fn remote(
        identity: Option<Arc<dyn wire::Transport>>,
        catalog: Option<Arc<dyn wire::Transport>>,
        orders: Option<Arc<dyn wire::Transport>>,
        content: Option<Arc<dyn wire::Transport>>,
    ) -> Self {
        let remote = |context: &str, transport: Option<Arc<dyn wire::Transport>>| {
            transport.map(|t| Arc::new(wire::Remote::new(context, t)))
        };
        Self {
            identity: remote("identity", identity).map(|r| r as Arc<dyn IdentityPort>),
            catalog: remote("catalog", catalog).map(|r| r as Arc<dyn CatalogPort>),
            orders: remote("orders", orders).map(|r| r as Arc<dyn OrdersPort>),
            content: remote("content", content).map(|r| r as Arc<dyn ContentPort>),
        }
    }
}

fn builder(limits: &GraphqlLimits) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity);
    if limits.introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

/// The SDL of the schema (`agora graphql-schema`, `docs/schema.graphql`).
pub fn sdl() -> String {
    builder(&GraphqlLimits::default()).finish().sdl()
}

#[derive(Clone)]
struct GraphqlState {
    schema: AgoraSchema,
    services: GraphqlServices,
    limits: GraphqlLimits,
}

/// `POST /graphql` over `services`.
pub fn router(services: GraphqlServices, limits: GraphqlLimits) -> Router {
    let schema = builder(&limits).finish();
    Router::new()
        .route("/graphql", post(execute))
        .with_state(GraphqlState {
            schema,
            services,
            limits,
        })
}

async fn execute(
    State(state): State<GraphqlState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    client_ip: ClientIp,
    headers: HeaderMap,
    request_id: Option<axum::Extension<crate::RequestId>>,
    body: Bytes,
) -> Result<Response, crate::ApiError> {
    let request: async_graphql::Request = crate::extract::json_body(&body)?;
    if request.query.len() > state.limits.max_query_bytes {
        let error = async_graphql::ServerError::new(
            format!(
                "Query text is larger than {} bytes",
                state.limits.max_query_bytes
            ),
            None,
        );
        let mut response = async_graphql::Response::from_errors(vec![error]);
        errors::label(&mut response, "payload_too_large");
        return Ok(Json(response).into_response());
    }
    // The client address keys failed-login limits and the audit log as REST's login does; the
    // token and request id travel to the services answering remote ports.
    let scope = Scope {
        caller: caller.clone(),
        client_ip: client_ip.0,
        authorization: headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: request_id.map(|id| id.as_str().to_owned()),
    };
    let loaders = loaders::Loaders::new(&state.services, &scope);
    let mut request = request.data(state.services.clone()).data(scope);
    if let Some(caller) = caller {
        request = request.data(caller);
    }
    let request = loaders.attach(request);
    let mut response = state.schema.execute(request).await;
    // Parse and validation errors (unknown fields, depth, complexity) come without a code.
    errors::label(&mut response, "validation_failed");
    Ok(Json(response).into_response())
}

/// The caller, if authenticated.
fn caller<'a>(ctx: &async_graphql::Context<'a>) -> Option<&'a Principal> {
    ctx.data_opt::<Principal>()
}

/// The caller, or `not_authenticated`.
fn require_caller<'a>(ctx: &async_graphql::Context<'a>) -> GqlResult<&'a Principal> {
    caller(ctx).ok_or_else(|| gql_error(agora_app::AppError::NotAuthenticated))
}

fn services<'a>(ctx: &async_graphql::Context<'a>) -> &'a GraphqlServices {
    ctx.data_unchecked::<GraphqlServices>()
}

/// Who asks, for the ports.
fn scope<'a>(ctx: &async_graphql::Context<'a>) -> &'a Scope {
    ctx.data_unchecked::<Scope>()
}

/// A context's port, or `unavailable` when no one answers it here.
fn service<T: Clone>(found: &Option<T>, name: &str) -> GqlResult<T> {
    found.clone().ok_or_else(|| {
        gql_error(agora_app::AppError::Unavailable(format!(
            "{name} is not served by this process"
        )))
    })
}

/// Largest page a list field returns (API.md "Pagination").
pub const MAX_LIMIT: i32 = 100;

/// `page`/`limit` arguments as the REST lists validate them.
fn page_request(page: Option<i32>, limit: Option<i32>) -> GqlResult<PageRequest> {
    let mut errors = agora_domain::ValidationErrors::new();
    let page = page.unwrap_or(1);
    let limit = limit.unwrap_or(20);
    if page < 1 {
        errors.push(FieldError::new("page", "page must be at least 1"));
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    errors
        .into_result()
        .map_err(|e| gql_error(agora_app::AppError::Validation(e)))?;
    Ok(PageRequest {
        page: page.unsigned_abs(),
        limit: limit.unsigned_abs(),
    })
}

/// A list's complexity: its children's times the page size asked for.
fn list_complexity(children: usize, limit: Option<i32>) -> usize {
    let limit = usize::try_from(limit.unwrap_or(20).clamp(1, MAX_LIMIT)).unwrap_or(1);
    children.saturating_mul(limit).saturating_add(1)
}

/// `meta` of a list, as in REST.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageMeta {
    total: u64,
    page: u32,
    limit: u32,
    total_pages: u64,
    has_next: bool,
    has_prev: bool,
}

impl PageMeta {
    fn new(total: u64, request: PageRequest) -> Self {
        let (total_pages, has_next, has_prev) = crate::paging::page_position(total, request);
        Self {
            total,
            page: request.page,
            limit: request.limit,
            total_pages,
            has_next,
            has_prev,
        }
    }
}

/// An id argument: an unparsable one finds nothing, as in REST.
fn parse_id(id: &async_graphql::ID) -> GqlResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str()).map_err(|_| gql_error(agora_app::AppError::NotFound))
}

/// Per-request loader of `T`.
type Loader<T> = DataLoader<T>;
