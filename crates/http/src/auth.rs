//! Authentication extractors: required (`AuthUser`), optional (`MaybeAuthUser`), admin-only
//! (`AdminUser`). They read `Authorization: Bearer …` and ask the [`Authenticator`] installed as
//! a request extension by [`crate::app_router`].

use std::sync::Arc;

use agora_app::{identity::Authenticator, AppError};
use agora_domain::identity::Principal;
use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{header::AUTHORIZATION, request::Parts, HeaderMap},
};

use crate::ApiError;

/// The authenticator as installed in request extensions.
pub type SharedAuthenticator = Arc<dyn Authenticator>;

/// A request made by an authenticated caller (401 otherwise).
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

/// A request made by an administrator (401 without credentials, 403 for other roles).
#[derive(Debug, Clone)]
pub struct AdminUser(pub Principal);

/// A caller that may or may not be authenticated; a present but invalid token is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<Principal>);

/// A principal already authenticated earlier in this request (by the rate limiter), so the
/// extractors do not verify the same token twice.
#[derive(Debug, Clone)]
pub struct VerifiedPrincipal(pub Principal);

/// The bearer token of a request: `Ok(None)` without an `Authorization` header, an error for a
/// header that is not `Bearer <token>`.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::from(AppError::AuthenticationFailed))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(AppError::AuthenticationFailed.into()),
    }
}

async fn principal(parts: &Parts) -> Result<Option<Principal>, ApiError> {
    if let Some(VerifiedPrincipal(principal)) = parts.extensions.get::<VerifiedPrincipal>() {
        return Ok(Some(principal.clone()));
    }
    let Some(token) = bearer_token(&parts.headers)? else {
        return Ok(None);
    };
    // Every server installs one (a target that cannot verify tokens refuses to start); should a
    // router be built without, a token it cannot check is a failed authentication, not a 500.
    let Some(authenticator) = parts.extensions.get::<SharedAuthenticator>().cloned() else {
        tracing::error!("no authenticator installed; rejecting the bearer token");
        return Err(AppError::AuthenticationFailed.into());
    };
    Ok(Some(authenticator.authenticate(token).await?))
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        principal(parts)
            .await?
            .map(AuthUser)
            .ok_or_else(|| AppError::NotAuthenticated.into())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AuthUser(principal) =
            <AuthUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if principal.is_admin() {
            Ok(AdminUser(principal))
        } else {
            Err(AppError::InsufficientPermissions.into())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        principal(parts).await.map(MaybeAuthUser)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(principal(parts).await?.map(AuthUser))
    }
}

/// Rejects callers whose email is not verified (403 `email_not_verified`), for actions that need
/// a proven address (orders, posts).
pub fn require_verified(principal: &Principal) -> Result<(), ApiError> {
    if principal.email_verified {
        Ok(())
    } else {
        Err(AppError::EmailNotVerified.into())
    }
}
