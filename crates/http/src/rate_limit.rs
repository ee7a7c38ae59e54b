//! Tiered rate limiting (API.md "Rate limits"): anonymous callers per client IP, authenticated
//! callers per user by tier, administrators unlimited. Counting is delegated to a
//! [`RateLimiter`] (in-process or Redis), so several replicas can share one limit.

use std::{net::SocketAddr, sync::Arc};

use agora_domain::{
    identity::{Principal, Tier},
    ports::RateLimiter,
    ratelimit::{Decision, Quota},
};
use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderName, HeaderValue},
    response::{IntoResponse, Response},
};
use ipnet::IpNet;

use crate::{
    auth::{bearer_token, SharedAuthenticator, VerifiedPrincipal},
    client_ip::{limit_key, resolve, ResolvedClientIp},
    ApiError, ErrorPayload,
};

/// Quotas and behaviour, from configuration.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Off switch (benchmarks).
    pub enabled: bool,
    /// Per client IP, unauthenticated.
    pub anonymous: Quota,
    /// Per user, free tier.
    pub free: Quota,
    /// Per user, pro tier.
    pub pro: Quota,
    /// Per user, enterprise tier.
    pub enterprise: Quota,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// What the middleware needs.
#[derive(Clone)]
pub struct RateLimitState {
    /// Counter backend; `None` only resolves client IPs.
    pub limiter: Option<Arc<dyn RateLimiter>>,
    /// Quotas.
    pub settings: Arc<RateLimitSettings>,
    /// Resolves bearer tokens to callers (absent when no identity module runs).
    pub authenticator: Option<SharedAuthenticator>,
}

/// Only the API is limited: `/api/…`, `/graphql` and `/.well-known/…` (the public keys). Probes
/// and the metrics scrape must always reach the process, and static files (the API docs viewer,
/// the web app) load several assets per view, which would eat a visitor's quota for nothing the
/// database serves.
fn exempt(path: &str) -> bool {
    let docs = path == "/api/docs" || path.starts_with("/api/docs/");
    let api = path.starts_with("/api/") || path == "/graphql" || path.starts_with("/.well-known/");
    docs || !api
}

/// Endpoints that issue or recover credentials (login, sign-up, refresh, password reset,
/// email verification). They are limited per client IP like anonymous requests whatever token
/// the request carries: a bearer token (anyone's, even an enterprise one) must not move a login
/// or sign-up burst onto a roomier user quota, nor past an IP already at its limit. The gateway
/// does not verify bearer tokens on them either: they ignore the header.
pub fn per_ip_always(method: &axum::http::Method, path: &str) -> bool {
    matches!(
        path,
        "/api/auth/login"
            | "/api/auth/refresh"
            | "/api/auth/forgot-password"
            | "/api/auth/reset-password"
            | "/api/auth/verify-email"
            | "/api/auth/resend-verification"
    ) || (path == "/api/users" && method == axum::http::Method::POST)
}

impl RateLimitSettings {
    fn tier_quota(&self, tier: Tier) -> Quota {
        match tier {
            Tier::Free => self.free,
            Tier::Pro => self.pro,
            Tier::Enterprise => self.enterprise,
        }
    }
}

const X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

// On every limited response, so written without parsing header names or formatting strings
// more than needed.
fn set_headers(headers: &mut HeaderMap, decision: &Decision, quota: Quota) {
    let reset = HeaderValue::from(decision.reset_ms.div_ceil(1000));
    let limit = HeaderValue::from(decision.limit);
    let remaining = HeaderValue::from(decision.remaining);
    headers.insert(X_LIMIT, limit.clone());
    headers.insert(LIMIT, limit);
    headers.insert(X_REMAINING, remaining.clone());
    headers.insert(REMAINING, remaining);
    headers.insert(X_RESET, reset.clone());
    headers.insert(RESET, reset);
    if let Ok(policy) =
        HeaderValue::from_str(&format!("{};w={}", quota.count, quota.period.as_secs()))
    {
        headers.insert(POLICY, policy);
    }
}

/// A request the limiter let through, and the quota headers its answer gets.
pub(crate) struct Admitted(Option<(Decision, Quota)>);

impl Admitted {
    /// Adds the quota headers, unless the answer is a 429 from inside (the failed-login limit),
    /// which reports its own, binding limit.
    pub(crate) fn stamp(&self, response: &mut Response) {
        if let Some((decision, quota)) = &self.0 {
            if response.status() != axum::http::StatusCode::TOO_MANY_REQUESTS {
                set_headers(response.headers_mut(), decision, *quota);
            }
        }
    }
}

/// The admission step as a middleware of its own, for a router without the application's edge
/// (the gateway, whose edge has only the request id and the span).
pub async fn enforce(
    axum::extract::State(state): axum::extract::State<RateLimitState>,
    mut request: Request,
    next: axum::middleware::Next,
) -> Response {
    match admit(&state, &mut request).await {
        Ok(admitted) => {
            let mut response = next.run(request).await;
            admitted.stamp(&mut response);
            response
        }
        Err(refused) => refused,
    }
}

/// The edge's admission step: resolves the client IP (for every request), then counts the
/// request against the caller's quota; `Err` is the answer (429, or 503 when a custom limiter
/// failed) and the request goes no further.
pub(crate) async fn admit(
    state: &RateLimitState,
    request: &mut Request,
) -> Result<Admitted, Response> {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        let client = resolve(
            peer.ip(),
            request.headers(),
            &state.settings.trusted_proxies,
        );
        request.extensions_mut().insert(ResolvedClientIp(client));
    }
    let Some(limiter) = state.limiter.as_ref().filter(|_| state.settings.enabled) else {
        return Ok(Admitted(None));
    };
    if exempt(request.uri().path()) {
        return Ok(Admitted(None));
    }

    let principal = if per_ip_always(request.method(), request.uri().path()) {
        None
    } else {
        authenticated(state, request.headers()).await
    };
    if let Some(principal) = &principal {
        request
            .extensions_mut()
            .insert(VerifiedPrincipal(principal.clone()));
    }
    let (key, quota, policy) = match &principal {
        Some(p) if p.is_admin() => return Ok(Admitted(None)),
        Some(p) => (
            format!("user:{}", p.user_id),
            state.settings.tier_quota(p.tier),
            p.tier.as_str(),
        ),
        None => {
            let ip = request
                .extensions()
                .get::<ResolvedClientIp>()
                .map_or_else(|| "unknown".to_owned(), |ip| limit_key(ip.0));
            (format!("ip:{ip}"), state.settings.anonymous, "anonymous")
        }
    };

    match limiter.check(&key, quota, 1).await {
        Ok(decision) if decision.allowed => Ok(Admitted(Some((decision, quota)))),
        Ok(decision) => {
            metrics::counter!("rate_limit_rejections_total", "policy" => policy).increment(1);
            let mut response = ApiError::rate_limited(decision.retry_after_ms.div_ceil(1000), None)
                .into_response();
            set_headers(response.headers_mut(), &decision, quota);
            Err(response)
        }
        Err(error) => {
            // Never open: the built-in limiters cannot fail (Redis falls back to the
            // in-process counter, ADR 0018), so this is a custom limiter that did.
            metrics::counter!("rate_limit_backend_errors_total").increment(1);
            tracing::error!(%error, "rate limiter unavailable; failing closed");
            let status = axum::http::StatusCode::SERVICE_UNAVAILABLE;
            Err(ErrorPayload::for_status(status).into_response_with(status))
        }
    }
}

/// The caller, if the request carries a valid, unrevoked token. An invalid token counts as
/// anonymous here; the route's extractor still rejects it with the precise 401.
async fn authenticated(state: &RateLimitState, headers: &HeaderMap) -> Option<Principal> {
    let token = bearer_token(headers).ok().flatten()?;
    state.authenticator.as_ref()?.authenticate(token).await.ok()
}
