//! `agora lambda`: the application behind AWS Lambda's runtime API. `lambda_http` turns API
//! Gateway REST (v1) and HTTP API (v2) events into HTTP requests for the same router `serve`
//! runs, so every handler, middleware and error mapping is shared (ADR 0022).

use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Method, Request, Response, Uri},
    Router,
};
use lambda_http::{
    request::RequestContext,
    tower::{self, ServiceExt},
    RequestExt,
};

use crate::{cli::LambdaArgs, config::Config, Application};

/// What one deployed function answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LambdaFunction {
    /// Every route of the API (one function behind `ANY /{proxy+}`).
    Api,
    /// `GET /users`: the admin user list (`GET /api/admin/users`), query and all.
    UsersList,
    /// `POST /users`: registration (`POST /api/users`).
    UsersCreate,
}

impl LambdaFunction {
    /// The one operation a per-function handler serves, as (method, public path, API path).
    fn operation(self) -> Option<(Method, &'static str, &'static str)> {
        match self {
            Self::Api => None,
            Self::UsersList => Some((Method::GET, "/users", "/api/admin/users")),
            Self::UsersCreate => Some((Method::POST, "/users", "/api/users")),
        }
    }
}

/// Serves invocations until the runtime stops the process.
pub(super) async fn run(config: &Config, args: &LambdaArgs) -> anyhow::Result<()> {
    let (modules, router) = Application::start_serverless(config, "all").await?;
    let function = args.function;
    let handler = tower::service_fn(move |request: lambda_http::Request| {
        let router = router.clone();
        async move { Ok::<_, Infallible>(handle(&router, function, request).await) }
    });
    let served = lambda_http::run(handler).await;
    modules.stop().await;
    served.map_err(|e| anyhow::anyhow!("Lambda runtime: {e}"))
}

/// One invocation: the caller's address from the event, the function's routing, the router.
async fn handle(
    router: &Router,
    function: LambdaFunction,
    request: lambda_http::Request,
) -> Response<Body> {
    let source = source_ip(&request);
    let stage = stage(&request);
    let (mut parts, body) = request.into_parts();
    // API Gateway names the caller; the rate limits and the audit log read it like a peer
    // address (the port is meaningless here).
    if let Some(ip) = source {
        parts.extensions.insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    if let Some(stage) = stage {
        parts.uri = without_stage(&parts.uri, &stage);
    }
    parts.uri = function_router(function, &parts.method, &parts.uri);
    let request = Request::from_parts(parts, Body::new(body));
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Where a per-function handler sends what is not its operation: under `/api`, which no route
/// serves and the web app never answers (with or without a built SPA), so the application
/// answers its own JSON 404 in the error envelope, request id and all.
const NOT_THIS_FUNCTION: &str = "/api/.not-this-function";

/// The URI the application router sees for a request to `uri` on `function`: the whole API
/// passes unchanged; a per-function handler maps its one operation onto the API route that
/// implements it, and anything else onto [`NOT_THIS_FUNCTION`].
pub fn function_router(function: LambdaFunction, method: &Method, uri: &Uri) -> Uri {
    let Some((allowed, public, api)) = function.operation() else {
        return uri.clone();
    };
    let path = if method == allowed && uri.path() == public {
        api
    } else {
        NOT_THIS_FUNCTION
    };
    with_path(uri, path)
}

/// `uri` with `path` instead of its own, the query kept.
fn with_path(uri: &Uri, path: &str) -> Uri {
    let rewritten = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    rewritten.parse().unwrap_or_else(|_| uri.clone())
}

/// The API Gateway stage `lambda_http` put in front of the path (`/prod/api/users`): the
/// application's routes do not know deployments' stage names.
fn stage(request: &lambda_http::Request) -> Option<String> {
    let stage = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => context.stage.clone(),
        RequestContext::ApiGatewayV2(context) => context.stage.clone(),
        _ => None,
    };
    stage.filter(|s| s != "$default")
}

/// `uri` without a leading `/{stage}` segment.
fn without_stage(uri: &Uri, stage: &str) -> Uri {
    let prefix = format!("/{stage}");
    let Some(rest) = uri.path().strip_prefix(&prefix) else {
        return uri.clone();
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return uri.clone();
    }
    with_path(uri, if rest.is_empty() { "/" } else { rest })
}

fn source_ip(request: &lambda_http::Request) -> Option<IpAddr> {
    let ip = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.as_deref(),
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref(),
        // The other event sources are not compiled in (only the API Gateway features are on).
        _ => None,
    };
    ip?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(function: LambdaFunction, method: Method, uri: &str) -> String {
        function_router(function, &method, &uri.parse().unwrap()).to_string()
    }

    #[test]
    fn the_stage_prefix_is_removed_only_as_a_whole_segment() {
        let strip = |uri: &str| without_stage(&uri.parse().unwrap(), "prod").to_string();
        assert_eq!(strip("/prod/api/users?x=1"), "/api/users?x=1");
        assert_eq!(strip("/prod"), "/");
        assert_eq!(strip("/production/api"), "/production/api");
        assert_eq!(strip("/api/users"), "/api/users");
    }

    #[test]
    fn the_api_function_passes_every_request_through() {
        assert_eq!(
            routed(LambdaFunction::Api, Method::GET, "/api/users/me?x=1"),
            "/api/users/me?x=1"
        );
    }

    #[test]
    fn a_per_function_handler_serves_its_one_operation_and_nothing_else() {
        assert_eq!(
            routed(LambdaFunction::UsersList, Method::GET, "/users?page=2"),
            "/api/admin/users?page=2"
        );
        assert_eq!(
            routed(LambdaFunction::UsersCreate, Method::POST, "/users"),
            "/api/users"
        );
        assert_eq!(
            routed(LambdaFunction::UsersCreate, Method::GET, "/users"),
            NOT_THIS_FUNCTION
        );
        assert_eq!(
            routed(LambdaFunction::UsersList, Method::GET, "/api/users/me"),
            NOT_THIS_FUNCTION
        );
    }
}
