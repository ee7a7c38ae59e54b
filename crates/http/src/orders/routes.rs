use std::collections::HashMap;

use agora_app::{
    orders::{AdminOrderQuery, CheckoutRequest, Orders},
    AppError,
};
use agora_domain::{orders::IdempotencyKey, paging::Page, ports::OrderSort, FieldError};
use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::dto::{
    AdminOrderFilterParams, CartDto, CartItemBody, CheckoutBody, OrderDto, TransitionBody,
    ORDER_FIELDS,
};
use crate::{
    auth::{require_verified, AdminUser, AuthUser},
    extract::json_body,
    identity::path_id,
    openapi::{
        BadRequest, Conflict, Forbidden, NotFound, PaymentRequired, TooManyRequests, Unauthorized,
        Unprocessable, UnsupportedMediaType,
    },
    paging::{ListSpec, Paged, Paginated},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

/// Every orders route, each declared once with its OpenAPI operation.
pub fn api() -> OpenApiRouter<Orders> {
    OpenApiRouter::with_openapi(OrdersApi::openapi())
        .routes(routes!(cart))
        .routes(routes!(put_item, remove_item))
        .routes(routes!(checkout, history))
        .routes(routes!(one))
        .routes(routes!(pay))
        .routes(routes!(cancel))
        .routes(routes!(admin_list))
        .routes(routes!(transition))
}

#[derive(OpenApi)]
#[openapi(tags(
    (name = "orders", description = "Cart, idempotent checkout, payment, order history and administration.")
))]
struct OrdersApi;

const OWN_LIST: ListSpec = ListSpec {
    sortable: &[("createdAt", "created_at")],
    default_sort: "-createdAt",
    fields: ORDER_FIELDS,
};

const ADMIN_LIST: ListSpec = ListSpec {
    sortable: &[
        ("createdAt", "created_at"),
        ("total", "total_amount"),
        ("status", "status"),
    ],
    default_sort: "-createdAt",
    fields: ORDER_FIELDS,
};

struct OwnListParams;
impl IntoParams for OwnListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        OWN_LIST.openapi_params()
    }
}

struct AdminListParams;
impl IntoParams for AdminListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        ADMIN_LIST.openapi_params()
    }
}

fn orders_page(page: Page<agora_domain::orders::Order>) -> Page<OrderDto> {
    page.map(|o| OrderDto::from(&o))
}

/// The caller's cart with current names and prices
#[utoipa::path(get, path = "/api/cart", tag = "orders", security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The cart", body = CartDto),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn cart(State(orders): State<Orders>, AuthUser(user): AuthUser) -> ApiResult<Json<CartDto>> {
    Ok(Json(CartDto::from(&orders.cart(&user).await?)))
}

/// Put a product in the cart, or change its quantity (1–99)
///
/// An unknown or inactive product is 404; a product priced in another currency than the cart's
/// is 409.
#[utoipa::path(put, path = "/api/cart/items/{productId}", tag = "orders", security(("bearerAuth" = [])),
    params(("productId" = Uuid, Path, description = "Product id")),
    request_body = CartItemBody,
    responses(
        (status = 200, description = "The cart after the change", body = CartDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn put_item(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    Path(product_id): Path<String>,
    ApiJson(body): ApiJson<CartItemBody>,
) -> ApiResult<Json<CartDto>> {
    let product_id = path_id(&product_id)?;
    // Any integer reaches the use case (which owns the 1–99 rule); anything else is refused here
    // with the same message.
    let quantity = body
        .quantity
        .as_ref()
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| {
            AppError::from(FieldError::new(
                "quantity",
                "Quantity must be an integer between 1 and 99",
            ))
        })?;
    Ok(Json(CartDto::from(
        &orders.put_item(&user, product_id, quantity).await?,
    )))
}

/// Remove a product from the cart
#[utoipa::path(delete, path = "/api/cart/items/{productId}", tag = "orders", security(("bearerAuth" = [])),
    params(("productId" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The cart after the change", body = CartDto),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn remove_item(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    Path(product_id): Path<String>,
) -> ApiResult<Json<CartDto>> {
    let product_id = path_id(&product_id)?;
    Ok(Json(CartDto::from(
        &orders.remove_item(&user, product_id).await?,
    )))
}

/// Check out the cart (idempotent by `Idempotency-Key`)
///
/// Reserves stock, snapshots names and prices, empties the cart, all in one transaction.
/// The same key with the same body replays the original answer byte for byte (header
/// `Idempotent-Replayed: true`); with another body it is 422; while the first request is still
/// running, 409. Keys are per user and kept 24 hours. With `new-checkout-flow` on for the caller
/// the order is also paid (a declined payment leaves it `pending`, still 201).
#[utoipa::path(post, path = "/api/orders", tag = "orders", security(("bearerAuth" = [])),
    params(("Idempotency-Key" = String, Header, description = "1–255 visible ASCII characters, unique per checkout attempt (no leading or trailing space: HTTP strips it)", pattern = "^[!-~]([ -~]{0,253}[!-~])?$")),
    request_body(content = Option<CheckoutBody>, description = "Optional"),
    responses(
        (status = 201, description = "The order placed (or its replay)", body = OrderDto, links(
            ("GetOrder" = (operation_id = "one", parameters(("id" = "$response.body#/id")))),
            ("PayOrder" = (operation_id = "pay", parameters(("id" = "$response.body#/id")))),
            ("CancelOrder" = (operation_id = "cancel", parameters(("id" = "$response.body#/id")))),
            ("TransitionOrder" = (operation_id = "transition", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests)
    )
)]
async fn checkout(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    require_verified(&user)?;
    let raw_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let key = IdempotencyKey::parse(raw_key).map_err(AppError::from)?;
    // The body is optional; when present it gets every JSON body's rejections (invalid_json,
    // control characters and wrong shapes named by field).
    let parsed: CheckoutBody = if body.iter().all(u8::is_ascii_whitespace) {
        CheckoutBody::default()
    } else {
        json_body(&body)?
    };
    let request = CheckoutRequest {
        key,
        body: body.to_vec(),
        note: parsed.note,
    };
    let render = |order: &agora_domain::orders::Order| {
        serde_json::to_vec(&OrderDto::from(order)).unwrap_or_default()
    };
    let answer = orders.checkout(&user, request, &render).await?;
    let mut response = (
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED),
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer.body,
    )
        .into_response();
    if answer.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The caller's orders, newest first
#[utoipa::path(get, path = "/api/orders", tag = "orders", security(("bearerAuth" = [])),
    params(OwnListParams),
    responses(
        (status = 200, description = "One page of orders", body = Paginated<OrderDto>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn history(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let request = OWN_LIST.parse(&query)?;
    let page = orders.history(&user, request.page).await?;
    Ok(Json(Paged::new(orders_page(page), &request)).into_response())
}

/// One order: the caller's own, or any for an admin (404 for another user's)
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders", security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDto),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn one(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderDto>> {
    Ok(Json(OrderDto::from(
        &orders.order(&user, path_id(&id)?).await?,
    )))
}

/// Pay the caller's pending order (authorize + capture)
///
/// A declined payment is 402 and the order stays `pending`; paying an order that is not
/// pending is 409.
#[utoipa::path(post, path = "/api/orders/{id}/pay", tag = "orders", security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The paid order", body = OrderDto),
        (status = 401, response = Unauthorized),
        (status = 402, response = PaymentRequired),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests)
    )
)]
async fn pay(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderDto>> {
    Ok(Json(OrderDto::from(
        &orders.pay(&user, path_id(&id)?).await?,
    )))
}

/// Cancel the caller's `pending` or `paid` order; its stock goes back (a paid one is refunded)
///
/// A payment of a pending order that was interrupted (a crash after the provider was called) is
/// finished first and then refunded, so no money stays taken.
#[utoipa::path(post, path = "/api/orders/{id}/cancel", tag = "orders", security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = OrderDto),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests)
    )
)]
async fn cancel(
    State(orders): State<Orders>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderDto>> {
    Ok(Json(OrderDto::from(
        &orders.cancel(&user, path_id(&id)?).await?,
    )))
}

/// Every order (admin), filtered by `status`, `userId`, `from`, `to`
#[utoipa::path(get, path = "/api/admin/orders", tag = "orders", security(("bearerAuth" = [])),
    params(AdminListParams, AdminOrderFilterParams),
    responses(
        (status = 200, description = "One page of orders", body = Paginated<OrderDto>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn admin_list(
    State(orders): State<Orders>,
    AdminUser(admin): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let request = ADMIN_LIST.parse(&query)?;
    let sort = match request.sort.column {
        "total_amount" => OrderSort::Total,
        "status" => OrderSort::Status,
        _ => OrderSort::CreatedAt,
    };
    let filters = AdminOrderQuery {
        status: query.get("status").cloned(),
        user_id: query.get("userId").cloned(),
        from: query.get("from").cloned(),
        to: query.get("to").cloned(),
    };
    let page = orders
        .admin_list(&admin, filters, sort, request.sort.descending, request.page)
        .await?;
    Ok(Json(Paged::new(orders_page(page), &request)).into_response())
}

/// Move an order to another status (admin)
///
/// Allowed: pending→paid→shipped→delivered, pending|paid→cancelled (stock released, a paid
/// order refunded), delivered→refunded (refunded through the provider). Anything else is 409
/// naming from and to; an unknown status is 400.
#[utoipa::path(post, path = "/api/admin/orders/{id}/transition", tag = "orders", security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = TransitionBody,
    responses(
        (status = 200, description = "The order after the move", body = OrderDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn transition(
    State(orders): State<Orders>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TransitionBody>,
) -> ApiResult<Json<OrderDto>> {
    let id = path_id(&id)?;
    let to = body.to.unwrap_or_default();
    Ok(Json(OrderDto::from(
        &orders.transition(&admin, id, &to).await?,
    )))
}
