use std::collections::{BTreeMap, HashMap};

use agora_app::flags::{FlagChange, Flags, NewFlagInput};
use agora_domain::flags::Subject;
use axum::{
    extract::{Path, Query, State},
    http::{
        header::{CACHE_CONTROL, COOKIE, SET_COOKIE},
        HeaderMap, HeaderValue, StatusCode,
    },
    response::{IntoResponse, Response},
    Json,
};
use serde_json::Value;
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::dto::{EvaluatedFlags, FlagChangeBody, FlagDto, NewFlagBody, FLAG_FIELDS};
use crate::{
    auth::{AdminUser, MaybeAuthUser},
    openapi::{
        BadRequest, Conflict, ErrorBody, Forbidden, NotFound, PayloadTooLarge, TooManyRequests,
        Unauthorized, UnsupportedMediaType,
    },
    paging::{paginated, ListSpec, Paginated},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

/// The cookie that gives an anonymous visitor a stable id, so their flag answers do not change
/// from one request to the next.
pub const VISITOR_COOKIE: &str = "agora_vid";

/// A year: long enough that a returning visitor keeps their bucket.
const VISITOR_COOKIE_MAX_AGE: u32 = 365 * 24 * 3600;

/// Every flags route, each declared once with its OpenAPI operation (`#[utoipa::path]`).
pub fn api() -> OpenApiRouter<Flags> {
    OpenApiRouter::with_openapi(FlagsApi::openapi())
        .routes(routes!(evaluate))
        .routes(routes!(list_flags))
        .routes(routes!(create_flag))
        .routes(routes!(get_flag))
        .routes(routes!(update_flag))
        .routes(routes!(delete_flag))
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags(
    (name = "flags", description = "Feature flags: the caller's evaluated flags, and their administration.")
))]
struct FlagsApi;

/// The visitor id from the `agora_vid` cookie, if present and a UUID.
fn visitor_id(headers: &HeaderMap) -> Option<Uuid> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == VISITOR_COOKIE)
        .and_then(|(_, value)| Uuid::try_parse(value.trim().trim_matches('"')).ok())
}

/// The caller's feature flags
///
/// Every flag, evaluated for the caller: `{ "<key>": true|false, … }`. A signed-in user is
/// bucketed by user id; an anonymous visitor by the `agora_vid` cookie, which is set (a random
/// UUID v4, one year, `HttpOnly; SameSite=Lax`) when missing or malformed. The same caller always
/// gets the same answers until a flag changes. Answers differ per caller: `Cache-Control:
/// private, no-store`.
#[utoipa::path(
    get,
    path = "/api/flags",
    tag = "flags",
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's flags", body = EvaluatedFlags, headers(
            ("Set-Cookie" = String, description = "`agora_vid=<uuid>; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax`, for an anonymous caller without a valid one")
        )),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
        (status = 503, description = "The flag store is unreachable", body = ErrorBody)
    )
)]
async fn evaluate(
    State(flags): State<Flags>,
    MaybeAuthUser(caller): MaybeAuthUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (subject, new_visitor) = match caller {
        Some(principal) => (Subject::from(&principal), None),
        None => match visitor_id(&headers) {
            Some(id) => (Subject::visitor(id), None),
            None => {
                let id = Uuid::new_v4();
                (Subject::visitor(id), Some(id))
            }
        },
    };
    let answers: BTreeMap<String, bool> = flags.evaluate_all(&subject).await?;
    let mut response = Json(answers).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Some(id) = new_visitor {
        let cookie = format!(
            "{VISITOR_COOKIE}={id}; Path=/; Max-Age={VISITOR_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax"
        );
        // A UUID and fixed attributes: always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// `page`, `limit`, `sort`, `fields` of the flag list, from [`FLAG_LIST`].
struct FlagListParams;

impl IntoParams for FlagListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        FLAG_LIST.openapi_params()
    }
}

const FLAG_LIST: ListSpec = ListSpec {
    sortable: &[
        ("key", "key"),
        ("createdAt", "created_at"),
        ("updatedAt", "updated_at"),
    ],
    default_sort: "key",
    fields: FLAG_FIELDS,
};

/// List feature flags (admin)
///
/// Read from the store, not the evaluation cache, so the latest state. Sorted by key by default.
#[utoipa::path(
    get,
    path = "/api/admin/flags",
    tag = "flags",
    params(FlagListParams),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "One page of flags", body = Paginated<FlagDto>, links(
            ("GetFirstFlag" = (operation_id = "get_flag", parameters(("key" = "$response.body#/data/0/key"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list_flags(
    State(flags): State<Flags>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = FLAG_LIST.parse(&query)?;
    let page = flags.list(&principal, request.sort, request.page).await?;
    Ok(Json(paginated(page.map(|f| FlagDto::from(&f)), &request)))
}

/// One feature flag (admin)
#[utoipa::path(
    get,
    path = "/api/admin/flags/{key}",
    tag = "flags",
    security(("bearerAuth" = [])),
    params(("key" = String, Path, description = "The flag's key")),
    responses(
        (status = 200, description = "The flag", body = FlagDto, links(
            ("UpdateFlag" = (operation_id = "update_flag", parameters(("key" = "$response.body#/key")))),
            ("DeleteFlag" = (operation_id = "delete_flag", parameters(("key" = "$response.body#/key"))))
        )),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn get_flag(
    State(flags): State<Flags>,
    AdminUser(principal): AdminUser,
    Path(key): Path<String>,
) -> ApiResult<Json<FlagDto>> {
    Ok(Json(FlagDto::from(&flags.get(&principal, &key).await?)))
}

/// Create a feature flag (admin)
///
/// `key`, `enabled` and `rolloutPercent` are required. Every replica sees the flag at once
/// (with Redis configured; otherwise within the cache TTL).
#[utoipa::path(
    post,
    path = "/api/admin/flags",
    tag = "flags",
    security(("bearerAuth" = [])),
    request_body = NewFlagBody,
    responses(
        (status = 201, description = "Created", body = FlagDto, links(
            ("GetFlag" = (operation_id = "get_flag", parameters(("key" = "$response.body#/key")))),
            ("UpdateFlag" = (operation_id = "update_flag", parameters(("key" = "$response.body#/key")))),
            ("DeleteFlag" = (operation_id = "delete_flag", parameters(("key" = "$response.body#/key"))))
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
async fn create_flag(
    State(flags): State<Flags>,
    AdminUser(principal): AdminUser,
    ApiJson(body): ApiJson<NewFlagBody>,
) -> ApiResult<impl IntoResponse> {
    let input = NewFlagInput {
        key: body.key,
        description: body.description,
        enabled: body.enabled,
        rollout_percent: body.rollout_percent,
        roles: body.roles,
        tiers: body.tiers,
        user_ids: body.user_ids,
    };
    let flag = flags.create(&principal, input).await?;
    Ok((StatusCode::CREATED, Json(FlagDto::from(&flag))))
}

/// Change a feature flag (admin)
///
/// Only the given fields change. Raising `rolloutPercent` keeps every caller that already had
/// the flag.
#[utoipa::path(
    patch,
    path = "/api/admin/flags/{key}",
    tag = "flags",
    security(("bearerAuth" = [])),
    params(("key" = String, Path, description = "The flag's key")),
    request_body = FlagChangeBody,
    responses(
        (status = 200, description = "The changed flag", body = FlagDto, links(
            ("GetFlag" = (operation_id = "get_flag", parameters(("key" = "$response.body#/key"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn update_flag(
    State(flags): State<Flags>,
    AdminUser(principal): AdminUser,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<FlagChangeBody>,
) -> ApiResult<Json<FlagDto>> {
    let change = FlagChange {
        description: body.description,
        enabled: body.enabled,
        rollout_percent: body.rollout_percent,
        roles: body.roles,
        tiers: body.tiers,
        user_ids: body.user_ids,
    };
    Ok(Json(FlagDto::from(
        &flags.update(&principal, &key, change).await?,
    )))
}

/// Delete a feature flag (admin)
///
/// Code still asking for it gets "off".
#[utoipa::path(
    delete,
    path = "/api/admin/flags/{key}",
    tag = "flags",
    security(("bearerAuth" = [])),
    params(("key" = String, Path, description = "The flag's key")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn delete_flag(
    State(flags): State<Flags>,
    AdminUser(principal): AdminUser,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    flags.delete(&principal, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(COOKIE, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_visitor_id_is_read_among_other_cookies() {
        let id = Uuid::new_v4();
        let headers = cookies(&["theme=dark", &format!("a=1; agora_vid={id}; b=2")]);
        assert_eq!(visitor_id(&headers), Some(id));
    }

    #[test]
    fn a_missing_or_malformed_visitor_id_is_none() {
        assert_eq!(visitor_id(&cookies(&[])), None);
        assert_eq!(visitor_id(&cookies(&["agora_vid=not-a-uuid"])), None);
        assert_eq!(visitor_id(&cookies(&["xagora_vid=0"])), None);
    }
}
