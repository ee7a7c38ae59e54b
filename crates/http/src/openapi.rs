//! The OpenAPI 3.1 document of every REST endpoint, generated from the code (`utoipa`): handlers
//! carry `#[utoipa::path]`, DTOs derive `ToSchema`, and each module builds its router as a
//! [`RestApi`] (`routes!(handler)` routes the handler and records its operation in one call).
//! [`document`] merges the modules' parts with the shared ones below (error envelope, reusable
//! error responses, the bearer scheme).
//!
//! Served as `GET /api/openapi.json`, browsable at `/api/docs` (Swagger UI whose assets are
//! compiled into the binary, so the page works without internet), printed by `agora openapi`.
//!
//! Completeness: the contract test `openapi` in the `agora` crate compares the document with the
//! routers the started modules registered (read from axum's `Debug` output, so a route added with
//! plain `OpenApiRouter::route`, which bypasses the document, is caught), in both directions, and
//! probes the running app. The only paths deliberately left out of the document are
//! [`UNDOCUMENTED`].

use axum::{
    body::Bytes, extract::State, http::header, response::IntoResponse, routing::get, Router,
};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi, ToResponse, ToSchema,
};
use utoipa_axum::router::OpenApiRouter;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

/// Where the interactive documentation is served (`/api/docs` redirects to `/api/docs/`).
pub const DOCS_PATH: &str = "/api/docs";

/// Served but deliberately not in the document: the Swagger UI page and its assets are a viewer
/// of the API, not part of it; GraphQL is described by its own schema (`docs/schema.graphql`,
/// `agora graphql-schema`). The web app's pages are the router's fallback, outside any route.
pub const UNDOCUMENTED: &[&str] = &["/graphql", "/api/docs", "/api/docs/", "/api/docs/{*rest}"];

// The request-id middleware renders this body from `ErrorPayload`; the type only describes it.
/// The body of every non-2xx response.
#[derive(Debug, ToSchema)]
#[schema(
    rename_all = "camelCase",
    example = json!({
        "error": "Validation failed", "code": "validation_failed",
        "details": [{ "field": "password", "message": "Password must be at least 8 characters" }],
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    })
)]
pub struct ErrorBody {
    /// Human-readable message (the exact texts are in the API contract).
    pub error: String,
    /// Machine-readable code, e.g. `validation_failed`, `not_authenticated`, `rate_limited`.
    pub code: String,
    /// Field problems: present (possibly empty) on every 400, on some 409s.
    #[schema(value_type = Vec<ErrorDetail>, required = false)]
    pub details: Option<Vec<ErrorDetail>>,
    /// The request's id, also sent as the `X-Request-Id` header; quote it when reporting a problem.
    pub request_id: String,
    /// Seconds to wait before retrying (429 only; the `Retry-After` header says the same).
    #[schema(value_type = u64, required = false)]
    pub retry_after: Option<u64>,
}

// Mirrors `crate::error::Detail`, which is what gets serialised.
/// One problem with one field.
#[derive(Debug, ToSchema)]
pub struct ErrorDetail {
    /// The offending field, in camelCase (empty when the problem is not tied to one field).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

// Reusable error responses. Operations refer to them (`response = Unauthorized`), so each status
// is described, with examples of each code it can carry, in one place.

/// The request body or query failed validation, or the body is not JSON.
#[derive(Debug, ToResponse)]
#[response(examples(
    ("validation_failed" = (summary = "A field is invalid", value = json!({
        "error": "Validation failed", "code": "validation_failed",
        "details": [{ "field": "email", "message": "Invalid email" }],
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    }))),
    ("invalid_json" = (summary = "The body is not JSON", value = json!({
        "error": "Invalid JSON", "code": "invalid_json", "details": [],
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    })))
))]
pub struct BadRequest(pub ErrorBody);

/// No credentials, or bad, expired or revoked ones.
#[derive(Debug, ToResponse)]
#[response(examples(
    ("not_authenticated" = (summary = "No bearer token", value = json!({
        "error": "Not authenticated", "code": "not_authenticated",
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    }))),
    ("authentication_failed" = (summary = "Bad, expired or forged token, or wrong credentials", value = json!({
        "error": "Authentication failed", "code": "authentication_failed",
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    }))),
    ("token_revoked" = (summary = "Logged out or revoked", value = json!({
        "error": "Token revoked", "code": "token_revoked",
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    })))
))]
pub struct Unauthorized(pub ErrorBody);

/// The caller's role does not allow this.
#[derive(Debug, ToResponse)]
#[response(example = json!({
    "error": "Insufficient permissions", "code": "insufficient_permissions",
    "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
}))]
pub struct Forbidden(pub ErrorBody);

/// Nothing with that id (an id that is not a UUID names nothing either).
#[derive(Debug, ToResponse)]
#[response(example = json!({
    "error": "Not found", "code": "not_found",
    "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
}))]
pub struct NotFound(pub ErrorBody);

/// The request conflicts with the current state.
#[derive(Debug, ToResponse)]
#[response(examples(
    ("email_taken" = (summary = "The email is registered already", value = json!({
        "error": "Email already registered", "code": "email_taken",
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    }))),
    ("conflict" = (summary = "A state rule forbids the change", value = json!({
        "error": "Administrators cannot demote or disable themselves", "code": "conflict",
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    })))
))]
pub struct Conflict(pub ErrorBody);

/// The payment provider declined; the order stays `pending`.
#[derive(Debug, ToResponse)]
#[response(example = json!({
    "error": "Payment declined", "code": "payment_declined",
    "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
}))]
pub struct PaymentRequired(pub ErrorBody);

/// The `Idempotency-Key` was used before with a different request body.
#[derive(Debug, ToResponse)]
#[response(example = json!({
    "error": "Idempotency key reused with a different request", "code": "idempotency_mismatch",
    "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
}))]
pub struct Unprocessable(pub ErrorBody);

/// The body is over the configured limit (1 MiB by default).
#[derive(Debug, ToResponse)]
#[response(example = json!({
    "error": "Payload too large", "code": "payload_too_large",
    "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
}))]
pub struct PayloadTooLarge(pub ErrorBody);

/// The body is not sent as `application/json`.
#[derive(Debug, ToResponse)]
#[response(example = json!({
    "error": "Unsupported media type", "code": "unsupported_media_type",
    "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
}))]
pub struct UnsupportedMediaType(pub ErrorBody);

/// A rate limit is exhausted; retry after the given number of seconds.
#[derive(Debug, ToResponse)]
#[response(
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
    example = json!({
        "error": "Rate limit exceeded", "code": "rate_limited", "retryAfter": 42,
        "requestId": "0193a3f0-7d1e-7000-8000-000000000000"
    })
)]
pub struct TooManyRequests(pub ErrorBody);

/// Adds the `bearerAuth` scheme that protected operations name in their `security`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from `POST /api/auth/login` or `/api/auth/refresh`: an \
                         EdDSA (Ed25519) signed JWT, valid 15 minutes by default. Public keys \
                         are at `/.well-known/jwks.json`.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        description = "Storefront and community platform.\n\n\
            - **Errors**: every non-2xx response has the `ErrorBody` shape; any operation may \
            also answer `500 internal` or `503 unavailable`.\n\
            - **Request ids**: every response carries `X-Request-Id` (echoed when the client \
            sends a sane one).\n\
            - **Authentication**: `Authorization: Bearer <access token>` (see `bearerAuth`).\n\
            - **Lists** take `page`, `limit`, `sort` and `fields` and answer `{data, meta}`.\n\
            - **Rate limits**: anonymous clients per IP, authenticated users per tier; answers \
            carry `X-RateLimit-*`/`RateLimit-*` headers and 429 adds `Retry-After`.",
        license(name = "MIT")
    ),
    paths(openapi_json),
    components(
        schemas(ErrorBody, ErrorDetail),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PaymentRequired,
            Unprocessable,
            PayloadTooLarge,
            UnsupportedMediaType,
            TooManyRequests
        )
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Liveness, readiness and this document.")
    )
)]
struct ApiDoc;

/// An OpenAPI document (or a module's part of one).
pub type Document = utoipa::openapi::OpenApi;

/// A module's REST contribution: its routes and their OpenAPI operations, declared together
/// (`OpenApiRouter::routes(routes!(handler))`), so a route cannot be served undocumented or
/// documented unserved.
pub type RestApi = OpenApiRouter;

/// The whole document of an app serving `modules` (each module's `api().into_openapi()`): the
/// shared parts (errors, bearer scheme, service endpoints) and every module's operations.
pub fn document(
    modules: impl IntoIterator<Item = utoipa::openapi::OpenApi>,
) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::health::api().into_openapi());
    doc.merge(crate::metrics::openapi());
    for module in modules {
        doc.merge(module);
    }
    crate::openapi_post::partial_list_items(&mut doc);
    crate::openapi_post::spec_named_links(&mut doc);
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .insert(
            crate::rules::JSON_VALUE.to_owned(),
            crate::rules::json_value().into(),
        );
    doc
}

/// `GET /api/openapi.json` serving `document` (serialised once, here) and, when compiled in
/// (feature `swagger-ui`), the Swagger UI at `/api/docs`.
pub(crate) fn routes(document: &utoipa::openapi::OpenApi) -> Router {
    let json = Bytes::from(document.to_json().expect("the OpenAPI document serialises"));
    let router = Router::new()
        .route(DOCUMENT_PATH, get(openapi_json))
        .with_state(json);
    #[cfg(feature = "swagger-ui")]
    let router = {
        let config = utoipa_swagger_ui::Config::new([DOCUMENT_PATH])
            // Swagger UI would otherwise load a validity badge from validator.swagger.io.
            .validator_url("none")
            .persist_authorization(true);
        router.merge(utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH).config(config))
    };
    router
}

/// The OpenAPI 3.1 document of this API
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "service",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object),
        (status = 429, response = TooManyRequests)
    )
)]
async fn openapi_json(State(document): State<Bytes>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let doc = serde_json::to_value(document([])).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
            "bearer"
        );
    }
}
