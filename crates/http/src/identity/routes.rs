use std::collections::HashMap;

use agora_app::{
    identity::{
        AdminUserChange, ChangePasswordInput, Identity, LoginInput, ProfileChange, RegisterInput,
        ResetPasswordInput, UserListQuery,
    },
    AppError,
};
use agora_domain::{identity::Role, ports::UserFilter, FieldError};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::dto::{
    AdminUserBody, AuditDto, ChangePasswordBody, EmailBody, LoginBody, ProfileBody, RefreshBody,
    RegisterBody, ResetBody, SessionDto, TokenBody, UserDto, AUDIT_FIELDS, USER_FIELDS,
};
use crate::{
    auth::{AdminUser, AuthUser, MaybeAuthUser},
    client_ip::ClientIp,
    paging::{paginated, ListSpec},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

/// Every identity route.
pub fn routes(identity: Identity) -> Router {
    Router::new()
        .route("/api/users", post(register))
        .route("/api/users/me", get(me).patch(update_me))
        .route("/api/users/me/password", post(change_password))
        .route("/api/auth/verify-email", post(verify_email))
        .route("/api/auth/resend-verification", post(resend_verification))
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/forgot-password", post(forgot_password))
        .route("/api/auth/reset-password", post(reset_password))
        .route("/api/admin/users", get(list_users))
        .route("/api/admin/users/{id}", get(get_user).patch(update_user))
        .route("/api/admin/audit", get(audit))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(identity)
}

/// An id in a path that is not a UUID names nothing: 404, like an unknown id.
pub(crate) fn path_id(raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound.into())
}

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

async fn refresh(
    State(identity): State<Identity>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<SessionDto>> {
    Ok(Json(identity.refresh(body.refresh_token).await?.into()))
}

async fn logout(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
) -> ApiResult<StatusCode> {
    identity.logout(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn verify_email(
    State(identity): State<Identity>,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<Json<Value>> {
    identity.verify_email(body.token).await?;
    Ok(Json(json!({ "verified": true })))
}

async fn resend_verification(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
) -> ApiResult<StatusCode> {
    identity.resend_verification(&principal).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn forgot_password(
    State(identity): State<Identity>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult<StatusCode> {
    identity.forgot_password(body.email, ip).await?;
    Ok(StatusCode::ACCEPTED)
}

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

async fn me(
    State(identity): State<Identity>,
    AuthUser(principal): AuthUser,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(UserDto::from(&identity.me(&principal).await?)))
}

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

async fn list_users(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = USER_LIST.parse(&query)?;
    let mut details = Vec::new();
    let role = query.get("role").and_then(|r| match r.parse() {
        Ok(role) => Some(role),
        Err(_) => {
            details.push(FieldError::new("role", "role must be one of: user, admin"));
            None
        }
    });
    let tier = query.get("tier").and_then(|t| match t.parse() {
        Ok(tier) => Some(tier),
        Err(_) => {
            details.push(FieldError::new(
                "tier",
                "tier must be one of: free, pro, enterprise",
            ));
            None
        }
    });
    if !details.is_empty() {
        return Err(AppError::Validation(details.into_iter().fold(
            Default::default(),
            |mut all, d| {
                all.push(d);
                all
            },
        ))
        .into());
    }
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

async fn get_user(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(UserDto::from(
        &identity.get_user(&principal, path_id(&id)?).await?,
    )))
}

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

async fn audit(
    State(identity): State<Identity>,
    AdminUser(principal): AdminUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request = AUDIT_LIST.parse(&query)?;
    let page = identity.audit_log(&principal, request.page).await?;
    Ok(Json(paginated(page.map(AuditDto::from), &request)))
}

async fn jwks(State(identity): State<Identity>) -> Json<Value> {
    Json(identity.jwks())
}
