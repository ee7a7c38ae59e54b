use std::collections::HashMap;

use agora_app::{
    identity::{
        AdminUserChange, ChangePasswordInput, Identity, LoginInput, ProfileChange, RegisterInput,
        ResetPasswordInput, UserListQuery,
    },
    AppError,
};
use agora_domain::{identity::Role, ports::UserFilter, FieldError, ValidationErrors};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
    Json,
};
use serde_json::{json, Value};
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::dto::{
    AdminUserBody, AuditDto, ChangePasswordBody, EmailBody, Jwks, LoginBody, ProfileBody,
    RefreshBody, RegisterBody, ResetBody, SessionDto, TokenBody, UserDto, UserFilterParams,
    Verified, AUDIT_FIELDS, USER_FIELDS,
};
use crate::{
    auth::{AdminUser, AuthUser, MaybeAuthUser},
    client_ip::ClientIp,
    openapi::{
        BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized,
        UnsupportedMediaType,
    },
    paging::{paginated, ListSpec, Paginated},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

/// Every identity route, each declared once with its OpenAPI operation (`#[utoipa::path]`), and
/// the email-verification page with its script (not operations; `openapi::UNDOCUMENTED`).
pub fn api() -> OpenApiRouter<Identity> {
    OpenApiRouter::with_openapi(IdentityApi::openapi())
        .routes(routes!(register))
        .routes(routes!(me))
        .routes(routes!(update_me))
        .routes(routes!(change_password))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(list_users))
        .routes(routes!(get_user))
        .routes(routes!(update_user))
        .routes(routes!(audit))
        .routes(routes!(jwks))
}

/// This module's tag in the OpenAPI document.
#[derive(OpenApi)]
#[openapi(tags(
    (name = "identity", description = "Accounts, sessions, passwords, profiles and their administration.")
))]
struct IdentityApi;

/// An id in a path that is not a UUID names nothing: 404, like an unknown id.
pub(crate) fn path_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound.into())
}

/// Register an account
///
/// The account starts unverified; a mail with a verification link is sent. Anonymous callers
/// always get role `user`; only an administrator's token may set `role`.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "identity",
    security((), ("bearerAuth" = [])),
    request_body(content = RegisterBody, example = json!({
        "email": "ann@example.org", "password": "Secret123", "name": "Ann", "age": 34
    })),
    responses(
        (status = 201, description = "Registered", body = UserDto, links(
            ("GetUser" = (operation_id = "get_user", parameters(("id" = "$response.body#/id")))),
            ("UpdateUser" = (operation_id = "update_user", parameters(("id" = "$response.body#/id"))))
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
async fn register(
    State(identity): State<Identity>,
    MaybeAuthUser(caller): MaybeAuthUser,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<impl IntoResponse> {
    let role = match body.role.as_deref() {
        None | Some("user") => Role::User,
        Some(other) => {
            let role: Role = other.parse().map_err(|_| {
                AppError::from(FieldError::new("role", "Role must be one of: user, admin"))
            })?;
            if !caller.as_ref().is_some_and(|p| p.is_admin()) {
                return Err(AppError::InsufficientPermissions.into());
            }
            role
        }
    };
    let input = RegisterInput {
        email: body.email,
        password: body.password,
        name: body.name,
        age: body.age,
        role,
    };
    let user = identity.register(input).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}

/// Log in
///
/// Wrong email and wrong password are indistinguishable. Failed attempts are rate-limited per
/// client and email.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "identity",
    request_body(content = LoginBody, example = json!({
        "email": "admin@agora.local", "password": "AgoraAdmin1"
    })),
    responses(
        (status = 200, description = "A new session", body = SessionDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn login(
    State(identity): State<Identity>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<SessionDto>> {
    let session = identity
        .login(LoginInput {
            email: body.email,
            password: body.password,
            ip,
        })
        .await?;
    Ok(Json(session.into()))
}

/// Exchange a refresh token for a new token pair
///
/// The presented token is spent. Presenting a spent one revokes its whole family (401
/// `token_revoked`).
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "identity",
    request_body(content = RefreshBody, example = json!({
        "refreshToken": "kq3cV1mX0b2r7Yt8…"
    })),
    responses(
        (status = 200, description = "A new token pair", body = SessionDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn refresh(
    State(identity): State<Identity>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<SessionDto>> {
    Ok(Json(identity.refresh(body.refresh_token).await?.into()))
}

/// Log out
///
/// The access token is denied until it expires and the session's refresh tokens are revoked.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "identity",
    security(("bearerAuth" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn logout(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
) -> ApiResult<StatusCode> {
    identity.logout(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Verify an email address with the token from the mailed link
///
/// Single use; an expired or used token is a 400 on `token`.
#[utoipa::path(
    post,
    path = "/api/auth/verify-email",
    tag = "identity",
    request_body(content = TokenBody, example = json!({ "token": "Zb8d0Q3m…" })),
    responses(
        (status = 200, description = "Verified", body = Verified),
        (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn verify_email(
    State(identity): State<Identity>,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<Json<Value>> {
    identity.verify_email(body.token).await?;
    Ok(Json(json!({ "verified": true })))
}

/// Send the verification mail again
///
/// Does nothing for an address that is verified already.
#[utoipa::path(
    post,
    path = "/api/auth/resend-verification",
    tag = "identity",
    security(("bearerAuth" = [])),
    responses(
        (status = 202, description = "A new mail is on its way"),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn resend_verification(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
) -> ApiResult<StatusCode> {
    identity.resend_verification(&principal).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Ask for a password-reset mail
///
/// Always 202, whether or not the address is registered, so accounts cannot be enumerated.
#[utoipa::path(
    post,
    path = "/api/auth/forgot-password",
    tag = "identity",
    request_body(content = EmailBody, example = json!({ "email": "ann@example.org" })),
    responses(
        (status = 202, description = "A mail is sent if the address is registered"),
        (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn forgot_password(
    State(identity): State<Identity>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    identity.forgot_password(body.email, ip).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from the mailed link
///
/// Ends every session of the account.
#[utoipa::path(
    post,
    path = "/api/auth/reset-password",
    tag = "identity",
    request_body(content = ResetBody, example = json!({
        "token": "Zb8d0Q3m…", "password": "NewSecret456"
    })),
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn reset_password(
    State(identity): State<Identity>,
    ApiJson(body): ApiJson<ResetBody>,
) -> ApiResult<StatusCode> {
    identity
        .reset_password(ResetPasswordInput {
            token: body.token,
            password: body.password,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account
#[utoipa::path(
    get,
    path = "/api/users/me",
    tag = "identity",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller", body = UserDto),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn me(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(UserDto::from(&identity.me(&principal).await?)))
}

/// Change the caller's name, age or profile
#[utoipa::path(
    patch,
    path = "/api/users/me",
    tag = "identity",
    security(("bearerAuth" = [])),
    request_body(content = ProfileBody, example = json!({
        "name": "Ann Lee", "age": 35, "profile": { "bio": "Collects teapots" }
    })),
    responses(
        (status = 200, description = "The updated account", body = UserDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn update_me(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
    ApiJson(body): ApiJson<ProfileBody>,
) -> ApiResult<Json<UserDto>> {
    let change = ProfileChange {
        name: body.name,
        age: body.age,
        profile: body.profile,
    };
    Ok(Json(UserDto::from(
        &identity.update_me(&principal, change).await?,
    )))
}

/// Change the caller's password
///
/// A wrong current password is a 400 on `currentPassword`.
#[utoipa::path(
    post,
    path = "/api/users/me/password",
    tag = "identity",
    security(("bearerAuth" = [])),
    request_body(content = ChangePasswordBody, example = json!({
        "currentPassword": "Secret123", "newPassword": "NewSecret456"
    })),
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn change_password(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> ApiResult<StatusCode> {
    let input = ChangePasswordInput {
        current_password: body.current_password,
        new_password: body.new_password,
    };
    identity.change_password(&principal, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

const USER_LIST: ListSpec = ListSpec {
    sortable: &[
        ("createdAt", "created_at"),
        ("email", "email"),
        ("name", "name"),
        ("role", "role"),
        ("tier", "tier"),
    ],
    default_sort: "-createdAt",
    fields: USER_FIELDS,
};

/// `page`, `limit`, `sort`, `fields` of the user list, from [`USER_LIST`].
struct UserListParams;

impl IntoParams for UserListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        USER_LIST.openapi_params()
    }
}

/// List accounts (admin)
#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "identity",
    security(("bearerAuth" = [])),
    params(UserListParams, UserFilterParams),
    responses(
        (status = 200, description = "One page of accounts", body = Paginated<UserDto>, links(
            ("GetFirstUser" = (operation_id = "get_user", parameters(("id" = "$response.body#/data/0/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list_users(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = USER_LIST.parse(&query)?;
    let mut errors = ValidationErrors::new();
    let role = query.get("role").and_then(|r| {
        errors.check(
            r.parse()
                .map_err(|_| FieldError::new("role", "role must be one of: user, admin")),
        )
    });
    let tier = query.get("tier").and_then(|t| {
        errors.check(
            t.parse()
                .map_err(|_| FieldError::new("tier", "tier must be one of: free, pro, enterprise")),
        )
    });
    errors.into_result().map_err(AppError::Validation)?;
    let filter = UserFilter {
        q: query.get("q").cloned(),
        role,
        tier,
    };
    let page = identity
        .list_users(
            &principal,
            UserListQuery {
                filter,
                sort: request.sort,
                page: request.page,
            },
        )
        .await?;
    Ok(Json(paginated(page.map(|u| UserDto::from(&u)), &request)))
}

/// One account (admin)
#[utoipa::path(
    get,
    path = "/api/admin/users/{id}",
    tag = "identity",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = UserDto, links(
            ("UpdateUser" = (operation_id = "update_user", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn get_user(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(UserDto::from(
        &identity.get_user(&principal, path_id(&id)?).await?,
    )))
}

/// Change an account's role, tier or disabled state (admin)
///
/// Any change ends the account's sessions. Administrators cannot demote or disable themselves
/// (409).
#[utoipa::path(
    patch,
    path = "/api/admin/users/{id}",
    tag = "identity",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    request_body(content = AdminUserBody, example = json!({ "tier": "pro" })),
    responses(
        (status = 200, description = "The updated account", body = UserDto),
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
async fn update_user(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AdminUserBody>,
) -> ApiResult<Json<UserDto>> {
    let change = AdminUserChange {
        role: body.role,
        tier: body.tier,
        disabled: body.disabled,
    };
    Ok(Json(UserDto::from(
        &identity
            .update_user(&principal, path_id(&id)?, change)
            .await?,
    )))
}

const AUDIT_LIST: ListSpec = ListSpec {
    sortable: &[("createdAt", "created_at")],
    default_sort: "-createdAt",
    fields: AUDIT_FIELDS,
};

/// `page`, `limit`, `sort`, `fields` of the audit log, from [`AUDIT_LIST`].
struct AuditListParams;

impl IntoParams for AuditListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        AUDIT_LIST.openapi_params()
    }
}

/// The security audit log, newest first (admin)
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    tag = "identity",
    security(("bearerAuth" = [])),
    params(AuditListParams),
    responses(
        (status = 200, description = "One page of audit entries", body = Paginated<AuditDto>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests)
    )
)]
async fn audit(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = AUDIT_LIST.parse(&query)?;
    let page = identity
        .audit_log(&principal, request.page, request.sort.descending)
        .await?;
    Ok(Json(paginated(page.map(AuditDto::from), &request)))
}

/// The public keys that verify access tokens (JWKS)
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "identity",
    responses(
        (status = 200, description = "The current signing keys", body = Jwks),
        (status = 429, response = TooManyRequests)
    )
)]
async fn jwks(State(identity): State<Identity>) -> Json<Value> {
    Json(identity.jwks().await)
}
