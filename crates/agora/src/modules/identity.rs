use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use agora_adapters::{
    identity::{
        JwtAccessTokens, JwtSettings, RandomSecretTokens, RedisDenylist, SigningKey, SqlAuditLog,
        SqlDenylist, SqlEmailTokenRepository, SqlRefreshTokenRepository, SqlUserRepository,
    },
    password::{Argon2Hasher, Argon2Params},
    store::Database,
};
use agora_app::identity::{
    Identity, IdentityDeps, IdentitySettings, SeedDemoAccounts, SeedOutcome,
};
use agora_domain::ports::{
    identity::UserDirectory, Outbox, PasswordHasher, TokenDenylist, UnitOfWork, UserRepository,
};
use agora_http::{Check, CheckStatus, SharedAuthenticator};
use async_trait::async_trait;
use tokio::{sync::watch, task::JoinHandle};

use super::{Context, Module, Registry, SeedStep};
use crate::config::{Config, Environment};

/// The identity context.
pub struct IdentityContext;

impl Context for IdentityContext {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn description(&self) -> &'static str {
        "users, email verification, login, JWT sessions, roles and tiers, audit"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["platform"]
    }

    fn standalone(&self) -> bool {
        true
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::identity::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::identity::api().into_openapi()
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(IdentityModule::new(config)))
    }
}

/// The ports of the identity context that CLI commands use without a server.
#[derive(Clone)]
pub struct IdentityServices {
    /// Account persistence.
    pub users: Arc<dyn UserRepository>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
}

/// Argon2 parameters from configuration.
pub fn argon2_params(config: &Config) -> Argon2Params {
    let p = config.password_hash;
    Argon2Params {
        memory_kib: p.memory_kib,
        iterations: p.iterations,
        parallelism: p.parallelism,
    }
}

/// Builds the user repository and hasher; used by the seed command.
pub fn identity_services(db: &Database, config: &Config) -> anyhow::Result<IdentityServices> {
    let hasher =
        Argon2Hasher::with_concurrency(argon2_params(config), config.password_hash.max_concurrent)
            .map_err(|e| anyhow::anyhow!("invalid `password_hash` settings: {e}"))?;
    Ok(IdentityServices {
        users: Arc::new(SqlUserRepository::new(db.clone())),
        hasher: Arc::new(hasher),
    })
}

/// The signing key: configured (required in production) or, in development, generated once into
/// the data directory.
fn signing_key(config: &Config) -> anyhow::Result<SigningKey> {
    if let Some(pem) = &config.jwt.private_key {
        return SigningKey::from_pem(pem.expose())
            .map_err(|e| anyhow::anyhow!("`jwt.private_key`: {e}"));
    }
    if let Some(path) = &config.jwt.private_key_file {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("`jwt.private_key_file` {}: {e}", path.display()))?;
        return SigningKey::from_pem(&pem)
            .map_err(|e| anyhow::anyhow!("`jwt.private_key_file` {}: {e}", path.display()));
    }
    if config.environment == Environment::Production {
        anyhow::bail!("production requires `jwt.private_key_file` or `jwt.private_key`");
    }
    let path = config.data_dir.join("jwt-ed25519.pem");
    let (key, created) = SigningKey::load_or_create(&path)
        .map_err(|e| anyhow::anyhow!("development signing key: {e}"))?;
    if created {
        tracing::warn!(path = %path.display(), "generated a development JWT signing key; configure jwt.private_key_file in production");
    }
    Ok(key)
}

/// Connects to Redis, naming the URL (without password) when it fails.
pub async fn connect_redis(url: &str) -> anyhow::Result<redis::aio::ConnectionManager> {
    let shown = agora_adapters::store::redact_url(url);
    let client = redis::Client::open(url)
        .map_err(|e| anyhow::anyhow!("invalid `redis_url` {shown}: {e}"))?;
    tokio::time::timeout(
        Duration::from_secs(5),
        // Bounded waits: with Redis gone, a request must fail over (fail-open limits, database
        // reads) in milliseconds instead of hanging on reconnect attempts.
        redis::aio::ConnectionManager::new_with_config(
            client,
            redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Duration::from_millis(500))
                .set_response_timeout(Duration::from_millis(500))
                .set_number_of_retries(1)
                .set_max_delay(200),
        ),
    )
    .await
    .map_err(|_| anyhow::anyhow!("cannot connect to Redis at {shown}: no answer within 5 s"))?
    .map_err(|e| anyhow::anyhow!("cannot connect to Redis at {shown}: {e}"))
}

/// Users, credentials, sessions and roles. Owns `users`, `email_tokens`, `refresh_tokens`,
/// `denied_tokens` and `audit_log`.
pub struct IdentityModule {
    config: Config,
    redis: Mutex<Option<redis::aio::ConnectionManager>>,
    purge: Mutex<Option<(watch::Sender<bool>, JoinHandle<()>)>>,
}

impl IdentityModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            config: config.clone(),
            redis: Mutex::new(None),
            purge: Mutex::new(None),
        }
    }
}

impl IdentityModule {
    /// Hourly: drop expired refresh/mail tokens and expired denylist rows, so the tables do not
    /// grow with every login forever.
    fn start_housekeeping(&self, identity: Identity, denylist: SqlDenylist) {
        let (stop, mut stop_rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                match identity.purge_expired_tokens().await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "expired tokens purged"),
                    Err(error) => tracing::warn!(%error, "could not purge expired tokens"),
                }
                if let Err(error) = denylist.purge_expired().await {
                    tracing::warn!(%error, "could not purge expired denylist entries");
                }
                tokio::select! {
                    _ = stop_rx.wait_for(|s| *s) => return,
                    () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                }
            }
        });
        *self.purge.lock().unwrap_or_else(|p| p.into_inner()) = Some((stop, task));
    }
}

#[async_trait]
impl Module for IdentityModule {
    fn name(&self) -> &'static str {
        "identity"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let uow: Arc<dyn UnitOfWork> = registry.get()?;
        let outbox: Arc<dyn Outbox> = registry.get()?;
        let services = identity_services(&db, &self.config)?;
        let jwt = JwtSettings {
            issuer: self.config.jwt.issuer.clone(),
            audience: self.config.jwt.audience.clone(),
            lifetime_secs: self.config.jwt.access_ttl.as_secs(),
        };
        let access_tokens = JwtAccessTokens::new(&signing_key(&self.config)?, jwt)
            .map_err(|e| anyhow::anyhow!(e))?;

        let sql_denylist = SqlDenylist::new(db.clone());
        let denylist: Arc<dyn TokenDenylist> = match &self.config.redis_url {
            Some(url) => {
                let conn = connect_redis(url.expose()).await?;
                *self.redis.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
                tracing::info!("token denylist in Redis");
                Arc::new(RedisDenylist::new(conn, &self.config.redis_prefix))
            }
            None => Arc::new(sql_denylist.clone()),
        };

        let deps = IdentityDeps {
            uow,
            users: services.users.clone(),
            email_tokens: Arc::new(SqlEmailTokenRepository),
            refresh_tokens: Arc::new(SqlRefreshTokenRepository),
            denylist,
            access_tokens: Arc::new(access_tokens),
            secrets: Arc::new(RandomSecretTokens),
            hasher: services.hasher.clone(),
            outbox,
            audit: Arc::new(SqlAuditLog::new(db)),
            auth_limiter: super::rate_limiter(
                self.config.redis_url.as_ref(),
                &self.config.redis_prefix,
            )
            .await?,
        };
        let settings = IdentitySettings {
            public_url: self.config.public_url.trim_end_matches('/').to_owned(),
            refresh_ttl: self.config.jwt.refresh_ttl,
            auth_failures: self
                .config
                .rate_limit
                .enabled
                .then_some(self.config.rate_limit.auth_failures),
            auth_fail_open: self.config.rate_limit.fail_open,
            ..IdentitySettings::default()
        };
        let identity = Identity::new(deps, settings).await?;
        registry.routes(agora_http::identity::api().with_state(identity.clone()));
        registry.seed(DemoAccounts(SeedDemoAccounts::new(
            registry.get()?,
            services.users.clone(),
            services.hasher.clone(),
        )));
        registry.provide(Arc::new(identity.clone()) as SharedAuthenticator);
        registry.provide(identity.clone());
        registry.provide(Arc::new(identity.clone()) as Arc<dyn UserDirectory>);
        if registry.get::<super::Headless>().is_err() {
            self.start_housekeeping(identity, sql_denylist);
        }
        registry.provide(services);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        let purge = self.purge.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((stop, task)) = purge {
            let _ = stop.send(true);
            task.await?;
        }
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        let identity = Check {
            name: "identity".into(),
            status: CheckStatus::Up,
            latency_ms: None,
            reason: None,
        };
        let conn = self.redis.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(mut conn) = conn else {
            return vec![identity];
        };
        let started = std::time::Instant::now();
        let pong = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        let (status, reason) = match pong {
            Ok(Ok(_)) => (CheckStatus::Up, None),
            Ok(Err(error)) => (
                CheckStatus::Down,
                Some(format!("Redis unreachable: {error}")),
            ),
            Err(_) => (
                CheckStatus::Down,
                Some("Redis did not answer within 2 s".to_owned()),
            ),
        };
        vec![
            identity,
            Check {
                name: "redis".into(),
                status,
                latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                reason,
            },
        ]
    }
}

/// The demo accounts (development only: their passwords are published in the README).
struct DemoAccounts(SeedDemoAccounts);

#[async_trait]
impl SeedStep for DemoAccounts {
    fn name(&self) -> &'static str {
        "demo accounts (development only)"
    }

    async fn run(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .0
            .execute()
            .await?
            .into_iter()
            .map(|(account, outcome)| {
                let what = match outcome {
                    SeedOutcome::Created => "created",
                    SeedOutcome::AlreadyPresent => "exists ",
                };
                format!(
                    "{what} {:<24} password {:<12} role {:<5} tier {}",
                    account.email, account.password, account.role, account.tier
                )
            })
            .collect())
    }
}
