use std::{net::SocketAddr, sync::Mutex, time::Duration};

use agora_http::{
    app_router, AppParts, HttpSettings, RateLimitSettings, ReadinessProbe, RestApi,
    SecuritySettings, SharedAuthenticator,
};
use async_trait::async_trait;
use std::sync::Arc;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use super::{Module, Registry};
use crate::config::Config;

/// Resolves when the HTTP server has stopped, for whatever reason.
#[derive(Clone)]
pub struct HttpStopped(pub watch::Receiver<bool>);

/// The address the server actually listens on (differs from the configured one for port 0).
#[derive(Clone, Copy, Debug)]
pub struct LocalAddr(pub SocketAddr);

/// A listener bound before the modules start (so mailed links can name the served address,
/// port 0 included); the HTTP module serves on it instead of binding its own.
#[derive(Clone, Default)]
pub struct PreBound(Arc<Mutex<Option<std::net::TcpListener>>>);

impl PreBound {
    /// Binds `addr` now; the address actually bound is returned with it.
    pub fn bind(addr: SocketAddr) -> anyhow::Result<(Self, SocketAddr)> {
        let listener = std::net::TcpListener::bind(addr).map_err(|e| bind_error(addr, &e))?;
        Self::adopt(listener)
    }

    /// Serves on a listener the caller bound already: several in-process services can know each
    /// other's addresses before any of them starts (the contract suite's split topology).
    pub fn adopt(listener: std::net::TcpListener) -> anyhow::Result<(Self, SocketAddr)> {
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        Ok((Self(Arc::new(Mutex::new(Some(listener)))), local))
    }

    fn take(&self) -> Option<std::net::TcpListener> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

fn bind_error(addr: SocketAddr, e: &std::io::Error) -> anyhow::Error {
    let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
        "another process is using it; stop it or pick another address with --bind or AGORA_BIND"
    } else {
        "pick another address with --bind or AGORA_BIND"
    };
    anyhow::anyhow!("cannot listen on {addr}: {e}; {hint}")
}

/// Serves every route the started modules contributed. Started last, stopped first: on stop it
/// refuses new connections, lets in-flight requests finish within the drain deadline, then exits.
pub struct HttpModule {
    bind: SocketAddr,
    drain_deadline: Duration,
    settings: HttpSettings,
    verifier: super::verifier::Verifier,
    /// Signs internal calls; the GraphQL ports' internal endpoints check it (ADR 0035).
    #[cfg(feature = "graphql")]
    service_key: Option<agora_domain::service_auth::ServiceKey>,
    running: Mutex<Option<Running>>,
}

struct Running {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl HttpModule {
    /// The server for this configuration (validated: trusted proxies parse).
    pub fn new(config: &Config) -> Self {
        Self {
            bind: config.bind,
            drain_deadline: config.shutdown_timeout,
            settings: HttpSettings {
                body_limit: config.body_limit,
                security: SecuritySettings {
                    request_timeout: config.request_timeout,
                    cors_origins: config.cors_origins.clone(),
                    hsts: config.hsts,
                },
                rate_limit: rate_limit_settings(config),
                metrics_token: config.metrics.token.as_ref().map(|t| t.expose().clone()),
                web: match &config.web_dir {
                    Some(dir) => agora_web::WebUi::from_dir(dir),
                    None => agora_web::WebUi::embedded(),
                },
            },
            verifier: super::verifier::Verifier::new(config),
            #[cfg(feature = "graphql")]
            service_key: super::service_key(config),
            running: Mutex::new(None),
        }
    }

    /// The application's router over the routes the target's modules contributed.
    async fn app(&self, registry: &Registry) -> anyhow::Result<axum::Router> {
        #[allow(unused_mut)] // without the graphql feature nothing is added
        let mut routes: Vec<RestApi> = registry.get().unwrap_or_default();
        // The contexts this process runs answer the GraphQL ports of a gateway hosting
        // `/graphql` in front of the split (ADR 0035).
        #[cfg(feature = "graphql")]
        routes.extend(agora_http::graphql::internal_api(
            &super::graphql::in_process(registry),
            self.service_key.clone(),
        ));
        let readiness: Arc<dyn ReadinessProbe> = registry.get()?;
        // Identity's own, or (identity not in this target) one verifying its tokens here.
        let authenticator: SharedAuthenticator = match registry.get() {
            Ok(identity) => identity,
            Err(_) => self.verifier.authenticator(registry).await?,
        };
        let rate_limiter = super::rate_limiter(registry.get().ok());
        let parts = AppParts {
            modules: routes,
            readiness,
            authenticator: Some(authenticator),
            rate_limiter: Some(rate_limiter),
            metrics: registry.get().unwrap_or_default(),
        };
        let app = app_router(parts, &self.settings);
        Ok(app)
    }
}

/// The quotas of `[rate_limit]` (trusted proxies validated at load).
pub fn rate_limit_settings(config: &Config) -> RateLimitSettings {
    let limits = &config.rate_limit;
    RateLimitSettings {
        enabled: limits.enabled,
        anonymous: limits.anonymous,
        free: limits.free,
        pro: limits.pro,
        enterprise: limits.enterprise,
        trusted_proxies: limits.trusted_networks().unwrap_or_default(),
    }
}

#[async_trait]
impl Module for HttpModule {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let app = match registry.get::<super::EdgeRouter>() {
            Ok(super::EdgeRouter(edge)) => edge,
            Err(_) => self.app(registry).await?,
        };
        if registry.get::<super::Serverless>().is_ok() {
            registry.provide(super::AppRouter(app));
            return Ok(());
        }
        let pre_bound = registry.get::<PreBound>().ok().and_then(|p| p.take());
        let listener = match pre_bound {
            Some(listener) => TcpListener::from_std(listener)?,
            None => TcpListener::bind(self.bind)
                .await
                .map_err(|e| bind_error(self.bind, &e))?,
        };
        let local = listener.local_addr()?;
        let (shutdown, mut shutdown_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            let result = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = shutdown_rx.wait_for(|stop| *stop).await;
            })
            .await;
            let _ = stopped_tx.send(true);
            result
        });
        tracing::info!(address = %local, "listening on http://{local}");
        registry.provide(LocalAddr(local));
        registry.provide(HttpStopped(stopped_rx));
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = Some(Running { shutdown, task });
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        let Some(Running { shutdown, mut task }) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return Ok(());
        };
        let _ = shutdown.send(true);
        tracing::info!(deadline = ?self.drain_deadline, "draining in-flight requests");
        match tokio::time::timeout(self.drain_deadline, &mut task).await {
            Ok(joined) => joined??,
            Err(_) => {
                task.abort();
                tracing::warn!(deadline = ?self.drain_deadline, "drain deadline passed; closing remaining connections");
            }
        }
        Ok(())
    }
}
