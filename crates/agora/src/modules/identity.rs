use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{identity_store::identity_store, Context, Module, Registry, SeedStep};
use crate::{
    config::{Config, ConfigError},
    supervisor::{ModuleTasks, Supervisor},
};
use agora_adapters::{
    cache::{CacheSettings, TwoLevelCache, Uncached},
    dynamodb::DynamoClient,
    identity::{RandomSecretTokens, RedisDenylist, SqlAuditLog},
    password::{Argon2Hasher, Argon2Params},
    redis::RedisManager,
    store::Database,
};
use agora_app::{
    identity::{
        Identity, IdentityDeps, IdentitySettings, PasswordResetJob, SeedDemoAccounts, SeedOutcome,
        SessionGuard, PASSWORD_RESET_JOB,
    },
    platform::Jobs,
};
use agora_domain::ports::{
    identity::UserDirectory, Outbox, PasswordHasher, SessionStates, SessionStatus, TaggedCache,
    TokenDenylist, UnitOfWork, UserRepository,
};
use agora_http::{Check, CheckStatus, SharedAuthenticator};
use async_trait::async_trait;

/// The supervised task that purges expired tokens.
const HOUSEKEEPING_TASK: &str = "identity-housekeeping";

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

    fn remote(&self) -> Option<&'static dyn Context> {
        Some(&super::IdentityRemote)
    }

    fn migrations(&self) -> &'static [agora_adapters::store::migrations::Migration] {
        agora_adapters::identity::MIGRATIONS
    }

    fn openapi(&self) -> agora_http::openapi::Document {
        agora_http::identity::api().into_openapi()
    }

    fn config_section(&self) -> Option<&'static str> {
        Some("identity")
    }

    fn check_config(&self, config: &Config) -> Result<(), ConfigError> {
        config.section::<IdentityConfig>("identity").map(drop)
    }

    fn module(&self, config: &Config) -> anyhow::Result<Arc<dyn Module>> {
        Ok(Arc::new(IdentityModule::new(config)?))
    }
}

/// `[identity]` (`AGORA_IDENTITY__*`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// How long a spent refresh token still returns the pair it was exchanged for (two tabs
    /// refreshing at once); `0s` disables it. A later reuse revokes the family (ADR 0015).
    #[serde(with = "humantime_serde")]
    pub refresh_grace: Duration,
    /// Registration with a taken email answers 201 like a new one and mails the address's owner,
    /// instead of 409 `email_taken` (which tells anyone that the address has an account).
    pub registration_conceal_taken: bool,
    /// How long a replica may answer "session live" from memory (ADR 0018). With Redis, every
    /// revocation reaches every replica at once over pub/sub and this only bounds the effect of
    /// a lost message; without Redis it is how long *another* replica on the same database may
    /// still admit a revoked token (the replica that revoked knows at once). Each active session
    /// costs one indexed query per this period and replica; `0s` checks the database on every
    /// request.
    #[serde(with = "humantime_serde")]
    pub session_cache_ttl: Duration,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        let defaults = IdentitySettings::default();
        Self {
            refresh_grace: defaults.refresh_grace,
            registration_conceal_taken: defaults.registration_conceal_taken,
            session_cache_ttl: Duration::from_secs(5),
        }
    }
}

/// The revocation check over identity's store `states`, cached for `ttl` in memory and kept
/// coherent across replicas through `redis` when there is one (ADR 0018). Identity and every
/// target sharing identity's database build the same guard, so they hear the same invalidations.
pub async fn session_guard(
    states: Arc<dyn SessionStates>,
    redis: Option<&RedisManager>,
    ttl: Duration,
) -> SessionGuard {
    let settings = CacheSettings {
        name: "sessions",
        l1_ttl: ttl,
        l1_capacity: 200_000,
    };
    let cache: Arc<dyn TaggedCache<SessionStatus>> = match redis {
        _ if ttl.is_zero() => Arc::new(Uncached),
        Some(redis) => Arc::new(TwoLevelCache::replicated(&settings, redis).await),
        None => Arc::new(TwoLevelCache::in_process(&settings)),
    };
    SessionGuard::new(states, cache)
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

/// Builds the hasher and pairs it with `users`.
pub fn identity_services(
    users: Arc<dyn UserRepository>,
    config: &Config,
) -> anyhow::Result<IdentityServices> {
    let hasher =
        Argon2Hasher::with_concurrency(argon2_params(config), config.password_hash.max_concurrent)
            .map_err(|e| anyhow::anyhow!("invalid `password_hash` settings: {e}"))?;
    Ok(IdentityServices {
        users,
        hasher: Arc::new(hasher),
    })
}

/// Users, credentials, sessions and roles. Owns `users`, `email_tokens`, `refresh_tokens`,
/// `signing_keys` and `audit_log`.
pub struct IdentityModule {
    config: Config,
    settings: IdentityConfig,
    tasks: ModuleTasks,
    /// Set once started on DynamoDB: readiness asks the table.
    dynamodb: Mutex<Option<DynamoClient>>,
}

impl IdentityModule {
    /// The module for this configuration.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            config: config.clone(),
            settings: config.section("identity")?,
            tasks: ModuleTasks::default(),
            dynamodb: Mutex::new(None),
        })
    }
}

impl IdentityModule {
    /// Hourly: drop expired refresh and mail tokens, so the tables do not grow with every login
    /// forever.
    fn start_housekeeping(&self, supervisor: Supervisor, identity: Identity) {
        supervisor.spawn(HOUSEKEEPING_TASK, move |mut stop_rx| {
            let identity = identity.clone();
            async move {
                loop {
                    match identity.purge_expired_tokens().await {
                        Ok(0) => {}
                        Ok(purged) => tracing::info!(purged, "expired tokens purged"),
                        Err(error) => tracing::warn!(%error, "could not purge expired tokens"),
                    }
                    tokio::select! {
                        _ = stop_rx.wait_for(|s| *s) => return Ok(()),
                        () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                    }
                }
            }
        });
        self.tasks.started(supervisor, &[HOUSEKEEPING_TASK]);
    }
}

#[async_trait]
impl Module for IdentityModule {
    fn name(&self) -> &'static str {
        "identity"
    }

    async fn start(&self, registry: &mut Registry) -> anyhow::Result<()> {
        let db: Database = registry.get()?;
        let relational: Arc<dyn UnitOfWork> = registry.get()?;
        let outbox: Arc<dyn Outbox> = registry.get()?;
        let store = identity_store(&self.config, &db, relational)?;
        *self.dynamodb.lock().unwrap_or_else(|p| p.into_inner()) = store.dynamodb.clone();
        let services = identity_services(store.users.clone(), &self.config)?;
        let access_tokens = super::keys::access_tokens(&self.config, &db).await?;

        let redis = registry.get::<RedisManager>().ok();
        let sessions = session_guard(
            store.session_states.clone(),
            redis.as_ref(),
            self.settings.session_cache_ttl,
        )
        .await;
        let revocation_notices = redis.as_ref().map(|redis| {
            Arc::new(RedisDenylist::new(redis.commands(), redis.prefix())) as Arc<dyn TokenDenylist>
        });

        let deps = IdentityDeps {
            uow: store.uow.clone(),
            users: services.users.clone(),
            email_tokens: store.email_tokens.clone(),
            refresh_tokens: store.refresh_tokens.clone(),
            sessions,
            revocation_notices,
            access_tokens: Arc::new(access_tokens),
            secrets: Arc::new(RandomSecretTokens),
            hasher: services.hasher.clone(),
            outbox,
            audit: Arc::new(SqlAuditLog::new(db)),
            auth_limiter: super::rate_limiter(redis),
        };
        let settings = IdentitySettings {
            public_url: self.config.link_base(),
            refresh_ttl: self.config.jwt.refresh_ttl,
            auth_failures: self
                .config
                .rate_limit
                .enabled
                .then_some(self.config.rate_limit.auth_failures),
            refresh_grace: self.settings.refresh_grace,
            registration_conceal_taken: self.settings.registration_conceal_taken,
            ..IdentitySettings::default()
        };
        let welcome = agora_app::identity::WelcomeMail::new(
            services.users.clone(),
            deps.outbox.clone(),
            settings.public_url.clone(),
        );
        registry.on_event(welcome);
        registry.on_event(agora_app::identity::OrderMails::new(
            services.users.clone(),
            deps.outbox.clone(),
            settings.public_url.clone(),
        ));
        let identity = Identity::new(deps, settings).await?;
        registry.routes(agora_http::identity::api().with_state(identity.clone()));
        registry.seed(DemoAccounts(SeedDemoAccounts::new(
            store.uow.clone(),
            services.users.clone(),
            services.hasher.clone(),
        )));
        // The relay runs the deferred half of forgot-password (ADR 0015).
        registry.get::<Jobs>()?.register(
            PASSWORD_RESET_JOB,
            Arc::new(PasswordResetJob(identity.clone())),
        );
        registry.provide(Arc::new(identity.clone()) as SharedAuthenticator);
        registry.provide(identity.clone());
        registry.provide(Arc::new(identity.clone()) as Arc<dyn UserDirectory>);
        // The directory for split targets (content) that reach identity over HTTP (ADR 0030).
        registry.routes(agora_http::internal::identity_api(
            Arc::new(identity.clone()),
            super::service_key(&self.config),
        ));
        if registry.get::<super::Headless>().is_err() {
            self.start_housekeeping(registry.get()?, identity);
        }
        registry.provide(services);
        Ok(())
    }

    async fn stop(&self) -> anyhow::Result<()> {
        self.tasks.stop().await;
        Ok(())
    }

    async fn checks(&self) -> Vec<Check> {
        // Redis is reported once, by the store module that owns the process's Redis manager.
        let mut checks = vec![Check {
            name: "identity".into(),
            status: CheckStatus::Up,
            latency_ms: None,
            reason: None,
        }];
        let dynamodb = self
            .dynamodb
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(client) = dynamodb {
            let started = std::time::Instant::now();
            let answer = client.describe_table().await;
            checks.push(Check {
                name: "dynamodb".into(),
                status: if answer.is_ok() {
                    CheckStatus::Up
                } else {
                    CheckStatus::Down
                },
                latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                reason: answer.err().map(|e| e.to_string()),
            });
        }
        checks
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
