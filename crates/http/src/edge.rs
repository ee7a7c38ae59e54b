//! The HTTP edge as ONE hand-written tower service around every route (issue 18, ADR 0034):
//! request id, error envelope, RED metrics, the request span, the timeout, client IP and rate
//! limit, the query-string check, security headers, compression and conditional GET.
//!
//! It replaces a stack of eight layers, each a `from_fn` or tower-http layer applied with
//! `Router::layer`: every one of them boxed its future and clone-boxed its inner service per
//! request, and the edge budget (bench/results/edge-budget.md) priced the stack at ~7× routing
//! alone. Here a request pays one boxed future; what can be built once (the static headers, the
//! metric handles, the settings) is built at start; what a request does not need is skipped: no
//! span fields are formatted when the span's level is off, a body already encoded (the catalog's
//! cached bytes) is never looked at again, a plain query string is not decoded.
//!
//! The order of the steps is the order the layers had (outermost first): `x-no-compression`,
//! conditional GET, compression, security headers, error envelope + request id, metrics, span,
//! timeout, rate limit + query check, the route.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    extract::{MatchedPath, Request},
    http::{header, HeaderName, Method, StatusCode},
    response::Response,
};
use tower::{Layer, Service};
use tracing::Instrument as _;

use crate::{
    auth::SharedAuthenticator,
    caching, encoding,
    encoding::Coding,
    metrics::{self, RequestMetrics},
    rate_limit::{self, RateLimitState},
    request_id,
    security::{self, StaticHeaders},
    trace, EdgeLayers, ErrorPayload,
};

/// The client's opt-out of compression: treated as accepting no encoding at all.
static X_NO_COMPRESSION: HeaderName = HeaderName::from_static("x-no-compression");

/// What the edge needs, built once per server.
pub(crate) struct Edge {
    pub(crate) layers: EdgeLayers,
    pub(crate) statics: StaticHeaders,
    pub(crate) metrics: RequestMetrics,
    pub(crate) timeout: Duration,
    /// The quotas; `None` for an edge without the rate-limit step (the gateway's, which limits
    /// inside its own router).
    pub(crate) limits: Option<RateLimitState>,
    /// Installed as a request extension for the auth extractors.
    pub(crate) authenticator: Option<SharedAuthenticator>,
    /// CORS answers OPTIONS itself (inside the edge); preflights are not counted as API calls.
    pub(crate) cors: bool,
}

/// The tower layer of [`Edge`].
#[derive(Clone)]
pub(crate) struct EdgeLayer(pub(crate) Arc<Edge>);

impl<S> Layer<S> for EdgeLayer {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeService {
            inner,
            edge: self.0.clone(),
        }
    }
}

/// The edge around one route.
#[derive(Clone)]
pub(crate) struct EdgeService<S> {
    inner: S,
    edge: Arc<Edge>,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for EdgeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The ready service goes with the request; a clone stays for the next one.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let edge = self.edge.clone();
        Box::pin(async move { Ok(edge.handle(inner, request).await) })
    }
}

impl Edge {
    async fn handle<S>(&self, inner: S, mut request: Request) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let layers = self.layers;
        // What the answer's steps need from the request, read before the request moves on.
        let read = caching::is_read(request.method());
        let if_none_match = if layers.conditional_get && read {
            request.headers().get(header::IF_NONE_MATCH).cloned()
        } else {
            None
        };
        let coding = if layers.compression {
            if request.headers().contains_key(&X_NO_COMPRESSION) {
                request.headers_mut().remove(header::ACCEPT_ENCODING);
            }
            encoding::negotiate(request.headers())
        } else {
            Coding::Identity
        };
        let private = layers.security_headers && security::private(&request);
        let id = layers.request_id.then(|| request_id::assign(&mut request));
        if let Some(authenticator) = &self.authenticator {
            request.extensions_mut().insert(authenticator.clone());
        }
        let method = metrics::method_label(request.method());
        let route = layers
            .metrics
            .then(|| request.extensions().get::<MatchedPath>().cloned())
            .flatten();
        let in_flight = layers.metrics.then(|| self.metrics.in_flight());
        let started = Instant::now();
        let span = if layers.trace {
            trace::make_span(&request)
        } else {
            tracing::Span::none()
        };

        let work = self
            .admit_and_route(inner, request)
            .instrument(span.clone());
        let response = if layers.timeout {
            tokio::time::timeout(self.timeout, work)
                .await
                .unwrap_or_else(|_| {
                    let status = StatusCode::REQUEST_TIMEOUT;
                    ErrorPayload::for_status(status).into_response_with(status)
                })
        } else {
            work.await
        };

        let status = response.status().as_u16();
        trace::on_response(&span, status, started.elapsed());
        if layers.metrics {
            self.metrics.record(method, status, route.as_ref(), started);
        }
        drop(in_flight);
        let mut response = match &id {
            Some(id) => {
                let mut response =
                    request_id::render_error(response, id.to_str().unwrap_or_default()).await;
                response
                    .headers_mut()
                    .insert(request_id::X_REQUEST_ID.clone(), id.clone());
                response
            }
            None => response,
        };
        if layers.security_headers {
            security::stamp(response.headers_mut(), &self.statics, private);
        }
        if layers.compression {
            response = encoding::compress(response, coding).await;
        }
        if layers.conditional_get && read {
            response = caching::conditional(response, if_none_match).await;
        }
        response
    }

    /// The rate limit (and the client IP it resolves), the query-string check, then the route.
    async fn admit_and_route<S>(&self, mut inner: S, mut request: Request) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let Some(limits) = self.limits.as_ref().filter(|_| self.layers.rate_limit) else {
            return call(&mut inner, request).await;
        };
        let preflight = self.cors && request.method() == Method::OPTIONS;
        let admitted = if preflight {
            None
        } else {
            match rate_limit::admit(limits, &mut request).await {
                Ok(admitted) => Some(admitted),
                Err(refused) => return refused,
            }
        };
        let mut response = match crate::extract::query_rejection(&request) {
            Some(rejection) => rejection,
            None => call(&mut inner, request).await,
        };
        if let Some(admitted) = admitted {
            admitted.stamp(&mut response);
        }
        response
    }
}

async fn call<S>(inner: &mut S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match inner.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
