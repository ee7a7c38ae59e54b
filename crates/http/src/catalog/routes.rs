use std::collections::HashMap;

use agora_app::catalog::{
    Catalog, NewProductInput, ProductChange, ProductListInput, DEFAULT_PRODUCT_SORT,
    PRODUCT_SORT_FIELDS,
};
use agora_domain::paging::Page;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
    Extension, Json,
};
use serde_json::Value;
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::dto::{
    CategoryDto, CategoryList, NewProductBody, ProductDto, ProductFilterParams, ProductPatchBody,
    PRODUCT_FIELDS,
};
use super::rendered::{RenderMemo, Rendered};
use crate::{
    auth::{AdminUser, MaybeAuthUser},
    encoding::Accepted,
    identity::path_id,
    openapi::{
        BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized,
        UnsupportedMediaType,
    },
    paging::{ListSpec, Paged, Paginated},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

/// Every catalog route, each declared once with its OpenAPI operation (`#[utoipa::path]`).
pub fn api() -> OpenApiRouter<Catalog> {
    OpenApiRouter::with_openapi(CatalogApi::openapi())
        .routes(routes!(list))
        .routes(routes!(create))
        .routes(routes!(one))
        .routes(routes!(update))
        .routes(routes!(deactivate))
        .routes(routes!(categories))
        // One route layer (each costs a request a boxed call): the final bytes of cached reads,
        // kept beside the catalog's cache entries, and public reads' caching headers.
        .route_layer(axum::middleware::from_fn_with_state(
            RenderMemo::new(),
            public_read_with_memo,
        ))
}

/// Its GETs are public reads (validators, 304s, caching for anonymous callers) answered from
/// the rendering memo.
async fn public_read_with_memo(
    State(memo): State<RenderMemo>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    request.extensions_mut().insert(memo);
    crate::caching::public_read(request, next).await
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags(
    (name = "catalog", description = "Products and categories: listing, search, administration.")
))]
struct CatalogApi;

/// `page`, `limit`, `sort`, `fields` of the product list, from [`PRODUCT_LIST`].
struct ProductListParams;

impl IntoParams for ProductListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        PRODUCT_LIST.openapi_params()
    }
}

const PRODUCT_LIST: ListSpec = ListSpec {
    sortable: &SORTABLE,
    default_sort: DEFAULT_PRODUCT_SORT,
    fields: PRODUCT_FIELDS,
};

/// The catalog's sortable fields as [`ListSpec`] wants them. The "column" is the API name again:
/// the catalog validates and maps `sort` itself, the spec only documents and pre-checks it.
const SORTABLE: [(&str, &str); PRODUCT_SORT_FIELDS.len()] = {
    let mut pairs = [("", ""); PRODUCT_SORT_FIELDS.len()];
    let mut i = 0;
    while i < pairs.len() {
        pairs[i] = (PRODUCT_SORT_FIELDS[i], PRODUCT_SORT_FIELDS[i]);
        i += 1;
    }
    pairs
};

/// List products (inactive ones only for admins)
#[utoipa::path(
    get,
    path = "/api/products",
    operation_id = "list_products",
    tag = "catalog",
    security((), ("bearerAuth" = [])),
    params(ProductListParams, ProductFilterParams),
    responses(
        (status = 200, description = "One page of products", body = Paginated<ProductDto>, links(
            ("GetFirstProduct" = (operation_id = "get_product", parameters(("id" = "$response.body#/data/0/id"))))
        )),
        (status = 304, description = "Not modified: the `If-None-Match` validator names the current representation (no body)"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list(
    State(catalog): State<Catalog>,
    Extension(memo): Extension<RenderMemo>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Accepted(accepted): Accepted,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<axum::response::Response> {
    let request = PRODUCT_LIST.parse(&query)?;
    let raw = |name: &str| query.get(name).cloned();
    let input = ProductListInput {
        page: request.page,
        sort: raw("sort"),
        q: raw("q"),
        category: raw("category"),
        min_price: raw("minPrice"),
        max_price: raw("maxPrice"),
        in_stock: raw("inStock"),
    };
    let page = catalog.list(caller.as_ref(), input).await?;
    let rendered = memo
        .list(page, &request, |page| {
            let dtos = Page {
                items: page.items.iter().map(ProductDto::from).collect(),
                total: page.total,
            };
            Rendered::json(&Paged::new(dtos, &request))
        })
        .await;
    Ok(rendered.respond(accepted))
}

/// One product (an inactive one only for admins)
#[utoipa::path(
    get,
    path = "/api/products/{id}",
    operation_id = "get_product",
    tag = "catalog",
    security((), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductDto, links(
            ("UpdateProduct" = (operation_id = "update_product", parameters(("id" = "$response.body#/id")))),
            ("DeactivateProduct" = (operation_id = "deactivate_product", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 304, description = "Not modified: the `If-None-Match` validator names the current representation (no body)"),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn one(
    State(catalog): State<Catalog>,
    Extension(memo): Extension<RenderMemo>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Accepted(accepted): Accepted,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    let product = catalog.product(caller.as_ref(), path_id(&id)?).await?;
    let rendered = memo
        .product(&product, |product| {
            Rendered::json(&ProductDto::from(product))
        })
        .await;
    Ok(rendered.respond(accepted))
}

/// Create a product (admin); it starts at version 1
#[utoipa::path(
    post,
    path = "/api/products",
    operation_id = "create_product",
    tag = "catalog",
    security(("bearerAuth" = [])),
    request_body(content = NewProductBody, example = json!({
        "sku": "KIT-001", "name": "Chef Knife", "description": "Forged steel, 20 cm blade.",
        "price": { "amount": 4999, "currency": "EUR" }, "stock": 12
    })),
    responses(
        (status = 201, description = "Created", body = ProductDto, links(
            ("GetProduct" = (operation_id = "get_product", parameters(("id" = "$response.body#/id")))),
            ("UpdateProduct" = (operation_id = "update_product", parameters(("id" = "$response.body#/id")))),
            ("DeactivateProduct" = (operation_id = "deactivate_product", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn create(
    State(catalog): State<Catalog>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<NewProductBody>,
) -> ApiResult<impl IntoResponse> {
    let (price_amount, price_currency) =
        body.price.map_or((None, None), |p| (p.amount, p.currency));
    let input = NewProductInput {
        sku: body.sku,
        name: body.name,
        description: body.description,
        price_amount,
        price_currency,
        stock: body.stock,
        category_id: body.category_id,
    };
    let product = catalog.create(&admin, input).await?;
    Ok((StatusCode::CREATED, Json(ProductDto::from(&product))))
}

/// Change a product (admin) if `version` is still current (409 otherwise)
#[utoipa::path(
    patch,
    path = "/api/products/{id}",
    operation_id = "update_product",
    tag = "catalog",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body(content = ProductPatchBody, example = json!({ "version": 3, "price": { "amount": 4499 }, "stock": 20 })),
    responses(
        (status = 200, description = "The changed product (version + 1)", body = ProductDto, links(
            ("GetProduct" = (operation_id = "get_product", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn update(
    State(catalog): State<Catalog>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductPatchBody>,
) -> ApiResult<Json<ProductDto>> {
    let (price_amount, price_currency) =
        body.price.map_or((None, None), |p| (p.amount, p.currency));
    let change = ProductChange {
        version: body.version,
        sku: body.sku,
        name: body.name,
        description: body.description,
        price_amount,
        price_currency,
        stock: body.stock,
        category_id: body.category_id,
        active: body.active,
    };
    Ok(Json(ProductDto::from(
        &catalog.update(&admin, path_id(&id)?, change).await?,
    )))
}

/// Deactivate a product (admin; soft delete: hidden from everyone but admins)
#[utoipa::path(
    delete,
    path = "/api/products/{id}",
    operation_id = "deactivate_product",
    tag = "catalog",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deactivated (or already inactive)"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests)
    )
)]
async fn deactivate(
    State(catalog): State<Catalog>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    catalog.deactivate(&admin, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every category, by name
#[utoipa::path(
    get,
    path = "/api/categories",
    operation_id = "list_categories",
    tag = "catalog",
    responses(
        (status = 200, description = "All categories", body = CategoryList),
        (status = 304, description = "Not modified: the `If-None-Match` validator names the current representation (no body)"),
        (status = 429, response = TooManyRequests)
    )
)]
async fn categories(State(catalog): State<Catalog>) -> ApiResult<Json<Value>> {
    let categories: Vec<CategoryDto> = catalog
        .categories()
        .await?
        .into_iter()
        .map(CategoryDto::from)
        .collect();
    Ok(Json(serde_json::json!({ "data": categories })))
}
