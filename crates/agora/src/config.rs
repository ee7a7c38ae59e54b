//! Layered configuration: built-in defaults → `agora.toml` (optional) → `AGORA_*` environment →
//! command-line flags. Invalid values stop the process at start with the key and the expected form.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use agora_domain::ratelimit::Quota;
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Where the process runs; production refuses unsafe conveniences (demo data, generated keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local development (default).
    #[default]
    Development,
    /// A deployed instance.
    Production,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-friendly, coloured when on a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// A value that must never be printed (database URLs with passwords, keys).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself; call sites that need it are few and deliberate.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Pool and connection settings (`[database]`, `AGORA_DATABASE__*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Most pooled connections (readers on SQLite); by default derived from the cores
    /// (`agora_adapters::store::default_pool_size`: 2 × cores + 1, at least 8).
    pub max_connections: u32,
    /// Wait this long for the database before giving up (e.g. `5s`).
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// SQLite: wait this long on another process's lock.
    #[serde(with = "humantime_serde")]
    pub busy_timeout: Duration,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            max_connections: agora_adapters::store::default_pool_size_here(),
            connect_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Argon2id cost (`[password_hash]`, `AGORA_PASSWORD_HASH__*`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordHashSettings {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Hashes computed at once (0 = cores − 1, at least 1); the rest wait their turn.
    pub max_concurrent: usize,
}

impl Default for PasswordHashSettings {
    fn default() -> Self {
        Self {
            memory_kib: 7_168,
            iterations: 5,
            parallelism: 1,
            max_concurrent: 0,
        }
    }
}

/// Access-token signing (`[jwt]`, `AGORA_JWT__*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access token lifetime (e.g. `15m`).
    #[serde(with = "humantime_serde")]
    pub access_ttl: Duration,
    /// Refresh token lifetime (e.g. `30d`).
    #[serde(with = "humantime_serde")]
    pub refresh_ttl: Duration,
    /// Ed25519 private key, PKCS#8 PEM text (production; or use `private_key_file`).
    pub private_key: Option<Secret<String>>,
    /// Path of an Ed25519 PKCS#8 PEM private key file.
    pub private_key_file: Option<PathBuf>,
    /// How old cached keys may get: without a configured key, each replica re-reads the signing
    /// key this often (a rotation reaches it within this window), and every service re-reads
    /// the keys it verifies with (a retired key stops verifying there within it).
    #[serde(with = "humantime_serde")]
    pub key_refresh: Duration,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            issuer: "agora".into(),
            audience: "agora".into(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            private_key: None,
            private_key_file: None,
            key_refresh: Duration::from_secs(60),
        }
    }
}

fn quota<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quota, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// `http://<addr>`: the base URL of a server listening on `addr`, a wildcard address
/// (`0.0.0.0`, `::`) read as the loopback address of its family.
pub fn served_url(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

impl Config {
    /// The base of mailed links: `public_url`, else the configured listen address.
    pub fn link_base(&self) -> String {
        self.public_url.as_deref().map_or_else(
            || served_url(self.bind),
            |url| url.trim_end_matches('/').to_owned(),
        )
    }
}

/// The metrics endpoint (`[metrics]`, `AGORA_METRICS__*`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Bearer token a scrape must send to `GET /metrics` (`Authorization: Bearer …`). Unset:
    /// the endpoint is open, which only `environment = development` accepts.
    pub token: Option<Secret<String>>,
}

/// Calls between split targets (`[services]`, `AGORA_SERVICES__*`; ADR 0030).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServicesConfig {
    /// The secret every service of a deployment shares to sign internal calls. Unset: this
    /// process neither calls other services nor answers their `/internal/…` calls.
    pub secret: Option<Secret<String>>,
    /// Longest one attempt of an internal call may take.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Attempts per internal call (they are all idempotent).
    pub attempts: u32,
    /// Consecutive failures after which calls to a service fail at once (503) …
    pub breaker_threshold: u32,
    /// … for this long, before one probe is let through.
    #[serde(with = "humantime_serde")]
    pub breaker_open_for: Duration,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            secret: None,
            timeout: Duration::from_secs(2),
            attempts: 3,
            breaker_threshold: 5,
            breaker_open_for: Duration::from_secs(5),
        }
    }
}

/// Rate limits (`[rate_limit]`, `AGORA_RATE_LIMIT__*`), each `COUNT/PERIOD`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// `false` turns every limit off (benchmarks).
    pub enabled: bool,
    /// Per client IP without a token.
    #[serde(deserialize_with = "quota")]
    pub anonymous: Quota,
    /// Failed logins (and password-reset requests) per client IP + email.
    #[serde(deserialize_with = "quota")]
    pub auth_failures: Quota,
    /// Per user, free tier.
    #[serde(deserialize_with = "quota")]
    pub free: Quota,
    /// Per user, pro tier.
    #[serde(deserialize_with = "quota")]
    pub pro: Quota,
    /// Per user, enterprise tier.
    #[serde(deserialize_with = "quota")]
    pub enterprise: Quota,
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        let q = |text: &str| {
            text.parse::<Quota>().unwrap_or(Quota {
                count: 1,
                period: Duration::from_secs(1),
            })
        };
        Self {
            enabled: true,
            anonymous: q("100/15m"),
            auth_failures: q("5/15m"),
            free: q("10/1m"),
            pro: q("100/1m"),
            enterprise: q("1000/1m"),
            trusted_proxies: Vec::new(),
        }
    }
}

impl RateLimitConfig {
    /// The trusted proxies as networks (a bare IP is a one-address network).
    pub fn trusted_networks(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .iter()
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| entry.clone())
            })
            .collect()
    }
}

/// The whole configuration. Every field has a default, so an empty environment runs the embedded
/// monolith on 127.0.0.1:3000 with SQLite in `./data`.
///
/// The fields are the core's keys (and, for compatibility, the keys identity and platform had
/// before contexts owned sections). A bounded context reads its own section (`[orders]`,
/// `AGORA_ORDERS__*`) with [`Config::section`]; a top-level key that is neither a field nor a
/// registered section is rejected at load (ADR 0012).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `development` or `production`.
    pub environment: Environment,
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Directory for the SQLite file and generated keys.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; defaults to `sqlite://<data_dir>/agora.db`.
    pub database_url: Option<Secret<String>>,
    /// Log filter in `RUST_LOG` syntax (`RUST_LOG` itself wins when set).
    pub log: String,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// How long shutdown waits for in-flight requests (e.g. `10s`).
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// Apply pending migrations when `serve` starts.
    pub auto_migrate: bool,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// Pool settings.
    pub database: DatabaseSettings,
    /// Password hashing cost.
    pub password_hash: PasswordHashSettings,
    /// Base URL of the web app, used in mailed links. Unset: the address the server actually
    /// listens on (`http://<bound address>`, a wildcard address read as loopback).
    pub public_url: Option<String>,
    /// Access-token signing.
    pub jwt: JwtConfig,
    /// SMTP server for outgoing mail; without it mail goes to the embedded mailbox.
    pub smtp_url: Option<Secret<String>>,
    /// Sender of outgoing mail.
    pub mail_from: String,
    /// Redis, for the token denylist shared by replicas (and later caches and rate limits).
    pub redis_url: Option<Secret<String>>,
    /// Prefix of every Redis key this deployment writes.
    pub redis_prefix: String,
    /// DynamoDB endpoint of identity's table (`http://127.0.0.1:8000` for a local emulator);
    /// unset: the region's public endpoint (ADR 0022).
    pub dynamodb_endpoint: Option<String>,
    /// DynamoDB table identity keeps its accounts, tokens and sessions in; unset: identity uses
    /// the relational store.
    pub dynamodb_table: Option<String>,
    /// Base URL of the identity service, for targets that do not run identity: they verify
    /// tokens with the keys it publishes at `/.well-known/jwks.json`.
    pub identity_url: Option<String>,
    /// Base URL of the catalog service, for targets that use catalog's ports without running
    /// catalog (`--target orders`).
    pub catalog_url: Option<String>,
    /// Service-to-service calls: the shared signing secret, timeouts, retries, breaker.
    pub services: ServicesConfig,
    /// How often the outbox relay looks for undelivered mail and events.
    #[serde(with = "humantime_serde")]
    pub outbox_poll_interval: Duration,
    /// Rate limits.
    pub rate_limit: RateLimitConfig,
    /// Longest a request may run before it is answered 408.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Browser origins allowed to call the API cross-origin (none by default).
    pub cors_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (enable when served over TLS).
    pub hsts: bool,
    /// A built web app (`web/dist`) to serve instead of the one compiled in (`AGORA_WEB_DIR`):
    /// a fresh `npm run build` without recompiling.
    pub web_dir: Option<PathBuf>,
    /// The metrics endpoint.
    pub metrics: MetricsConfig,
    /// The event bus (`memory`, `redis`, `nats`); unset: `nats` when `nats_url` is set,
    /// otherwise `memory` (read it with [`Config::bus_kind`]).
    pub bus: Option<crate::bus::BusKind>,
    /// NATS with JetStream, for the `nats` bus (`nats://HOST:PORT`).
    pub nats_url: Option<Secret<String>>,
    /// Prefix of this deployment's JetStream streams and subjects (a subject token).
    pub nats_prefix: String,
    /// Consumers: attempts, backoff, redelivery (ADR 0019).
    pub events: crate::bus::EventsConfig,
    /// The assembled layers, from which contexts extract their sections.
    #[serde(skip)]
    layers: Layers,
}

/// The layers behind a [`Config`]; they hold secrets, so they never print.
#[derive(Clone, Default)]
struct Layers(Figment);

impl fmt::Debug for Layers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Layers([redacted])")
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            log: "info,sqlx=warn".to_owned(),
            log_format: LogFormat::Pretty,
            shutdown_timeout: Duration::from_secs(10),
            auto_migrate: true,
            body_limit: agora_http::DEFAULT_BODY_LIMIT,
            database: DatabaseSettings::default(),
            password_hash: PasswordHashSettings::default(),
            public_url: None,
            jwt: JwtConfig::default(),
            smtp_url: None,
            mail_from: "Agora <no-reply@agora.local>".to_owned(),
            redis_url: None,
            redis_prefix: "agora:".to_owned(),
            identity_url: None,
            catalog_url: None,
            services: ServicesConfig::default(),
            dynamodb_endpoint: None,
            dynamodb_table: None,
            outbox_poll_interval: Duration::from_millis(250),
            rate_limit: RateLimitConfig::default(),
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            hsts: false,
            web_dir: None,
            metrics: MetricsConfig::default(),
            bus: None,
            nats_url: None,
            nats_prefix: "agora".to_owned(),
            events: crate::bus::EventsConfig::default(),
            layers: Layers::default(),
        }
    }
}

/// Values given as command-line flags; they beat every other layer.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--bind`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    /// `--no-migrate` sets this to false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_migrate: Option<bool>,
}

/// Configuration could not be assembled; the message names the key and the expected form.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config FILE` names a file that does not exist.
    #[error("configuration file {0} does not exist (check --config / AGORA_CONFIG)")]
    MissingFile(PathBuf),
    /// A layer had a value of the wrong type or a file did not parse.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Assembles the layers. `file` is `--config`; without it `./agora.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let layers = Self::figment(file, overrides)?;
        let mut config = layers.extract::<Config>().map_err(describe)?;
        reject_unknown_keys(&layers)?;
        config.layers = Layers(layers);
        let config = config.validate()?;
        for context in crate::modules::CONTEXTS {
            context.check_config(&config)?;
        }
        Ok(config)
    }

    /// A context's section (`[name]` in the file, `AGORA_NAME__KEY` in the environment), its
    /// defaults where nothing is set. Errors name the key and where the bad value came from.
    pub fn section<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T, ConfigError> {
        if self.layers.0.find_value(name).is_err() {
            return Ok(T::default());
        }
        self.layers.0.extract_inner::<T>(name).map_err(|mut error| {
            // figment appends the section after the field (`cache_ttl.flags`); operators
            // write it first (`flags.cache_ttl`, AGORA_FLAGS__CACHE_TTL).
            if error.path.last().is_some_and(|last| last == name) {
                error.path.pop();
                error.path.insert(0, name.to_owned());
            }
            describe(error)
        })
    }

    /// The base URL(s) of service `name` (`<name>_url`, `AGORA_<NAME>_URL`; comma-separated for
    /// several replicas, which the gateway balances). Any context's name is accepted, so a
    /// context that becomes a target of its own is addressable without a new field.
    pub fn service_url(&self, name: &str) -> Option<String> {
        if name == "identity" {
            return self.identity_url.clone();
        }
        self.layers
            .0
            .extract_inner::<String>(&format!("{name}_url"))
            .ok()
            .filter(|url| !url.trim().is_empty())
    }

    /// Sets a context's section as a whole (tests and embedders; the file and environment are
    /// the usual way).
    pub fn set_section<T: Serialize>(&mut self, name: &str, value: T) {
        let layers = std::mem::take(&mut self.layers.0);
        self.layers.0 = layers.merge(Serialized::global(name, value));
    }

    fn figment(file: Option<&Path>, overrides: &Overrides) -> Result<Figment, ConfigError> {
        let toml = match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => Toml::file_exact(path),
            None => Toml::file_exact("agora.toml"),
        };
        let mut figment = Figment::new();
        if file.is_some() || Path::new("agora.toml").exists() {
            figment = figment.merge(toml);
        }
        Ok(figment
            .merge(Env::prefixed("AGORA_").split("__").ignore(&["config"]))
            .merge(Serialized::globals(overrides)))
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> Secret<String> {
        self.database_url.clone().unwrap_or_else(|| {
            Secret::new(format!(
                "sqlite://{}",
                self.data_dir.join("agora.db").display()
            ))
        })
    }

    fn validate(self) -> Result<Self, ConfigError> {
        let invalid = |key: &str, expected: &str, got: &dyn fmt::Display| {
            ConfigError::Invalid(format!(
                "`{key}` (AGORA_{}) must be {expected}; got {got}",
                key.replace('.', "__").to_uppercase()
            ))
        };
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                let scheme = url.split(':').next().unwrap_or_default();
                return Err(invalid(
                    "database_url",
                    "sqlite://PATH or postgres://USER[:PASSWORD]@HOST:PORT/DB",
                    &format!("a URL with scheme `{scheme}`"),
                ));
            }
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "at least 1", &0));
        }
        if self.body_limit == 0 {
            return Err(invalid("body_limit", "a positive number of bytes", &0));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid("public_url", "an http:// or https:// URL", url));
            }
        }
        if let Some(url) = &self.redis_url {
            if !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://")) {
                return Err(invalid(
                    "redis_url",
                    "redis://HOST:PORT[/DB]",
                    &"another scheme",
                ));
            }
        }
        crate::bus::validate(&self).map_err(ConfigError::Invalid)?;
        if let Some(url) = &self.dynamodb_endpoint {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(
                    "dynamodb_endpoint",
                    "an http:// or https:// URL (e.g. http://127.0.0.1:8000)",
                    url,
                ));
            }
        }
        if self.dynamodb_table.as_deref().is_some_and(str::is_empty) {
            return Err(invalid("dynamodb_table", "a table name", &""));
        }
        if let Some(url) = &self.catalog_url {
            if !url.starts_with("http://") {
                return Err(invalid(
                    "catalog_url",
                    "an http:// URL inside the cluster network (https is not supported)",
                    url,
                ));
            }
        }
        if self
            .services
            .secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 16)
        {
            return Err(invalid(
                "services.secret",
                "at least 16 characters (every service of the deployment shares it)",
                &"a shorter value",
            ));
        }
        if self.services.attempts == 0 || self.services.timeout.is_zero() {
            return Err(invalid(
                "services.attempts / services.timeout",
                "at least 1 attempt and a positive timeout",
                &"zero",
            ));
        }
        if let Some(url) = &self.identity_url {
            // Split targets reach identity inside the cluster network in plain HTTP; the HTTP
            // client's TLS (since ADR 0022) is there for DynamoDB's public endpoints, and
            // JWKS over https has no test here yet: refuse it at start rather than assume.
            if !url.starts_with("http://") {
                return Err(invalid(
                    "identity_url",
                    "an http:// URL inside the cluster network (https is not supported)",
                    url,
                ));
            }
        }
        if self.jwt.key_refresh.is_zero() {
            return Err(invalid(
                "jwt.key_refresh",
                "a positive duration",
                &humantime::format_duration(self.jwt.key_refresh),
            ));
        }
        if let Some(url) = &self.smtp_url {
            if !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://")) {
                return Err(invalid(
                    "smtp_url",
                    "smtp://[USER:PASS@]HOST:PORT or smtps://…",
                    &"another scheme",
                ));
            }
        }
        if self.jwt.access_ttl.as_secs() < 1 {
            return Err(invalid(
                "jwt.access_ttl",
                "at least 1s",
                &humantime::format_duration(self.jwt.access_ttl),
            ));
        }
        if self.environment == Environment::Production
            && self.jwt.private_key.is_none()
            && self.jwt.private_key_file.is_none()
        {
            return Err(invalid(
                "jwt.private_key_file",
                "set in production (an Ed25519 PKCS#8 PEM file; or AGORA_JWT__PRIVATE_KEY with the PEM text)",
                &"nothing",
            ));
        }
        if let Some(token) = &self.metrics.token {
            if token.expose().trim().is_empty() {
                return Err(invalid(
                    "metrics.token",
                    "a non-empty secret",
                    &"an empty string",
                ));
            }
        } else if self.environment == Environment::Production {
            return Err(invalid(
                "metrics.token",
                "set in production: /metrics would be open to anyone who reaches the port \
                 (AGORA_METRICS__TOKEN; scrapers send it as `Authorization: Bearer <token>`)",
                &"nothing",
            ));
        }
        if let Err(entry) = self.rate_limit.trusted_networks() {
            return Err(invalid(
                "rate_limit.trusted_proxies",
                "a list of IP addresses or CIDRs such as [\"10.0.0.0/8\"]",
                &entry,
            ));
        }
        for origin in &self.cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                return Err(invalid("cors_origins", "origins such as https://app.example.com (scheme, host, optional port; no path)", origin));
            }
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log) {
            return Err(invalid(
                "log",
                "a RUST_LOG-style filter such as `info,agora=debug`",
                &e,
            ));
        }
        Ok(self)
    }
}

/// Rewrites figment's errors so each names the key, where it came from (the environment variable
/// or the file) and what was expected, one problem per line.
fn describe(error: figment::Error) -> ConfigError {
    let lines: Vec<String> = error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".").to_lowercase();
            let origin = match e.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                Some(figment::Source::File(path)) => format!("in {}", path.display()),
                _ if e
                    .metadata
                    .as_ref()
                    .is_some_and(|m| m.name.contains("environment")) =>
                {
                    format!(
                        "from environment variable AGORA_{}",
                        e.path.join("__").to_uppercase()
                    )
                }
                _ => e
                    .metadata
                    .as_ref()
                    .map_or_else(String::new, |m| format!("from {}", m.name)),
            };
            match (key.is_empty(), expected_form(&key)) {
                (true, _) => format!("{} ({origin})", e.kind),
                (false, Some(form)) => format!("`{key}`: {}; expected {form} ({origin})", e.kind),
                (false, None) => format!("`{key}`: {} ({origin})", e.kind),
            }
        })
        .collect();
    ConfigError::Invalid(lines.join("\n  "))
}

/// Top-level keys are the core's fields and the registered contexts' sections; anything else is
/// a typo or a stale setting, and silently ignoring it would hide the mistake.
fn reject_unknown_keys(layers: &Figment) -> Result<(), ConfigError> {
    let present: std::collections::BTreeMap<String, figment::value::Value> =
        layers.extract().map_err(describe)?;
    let fields = core_keys();
    let service_urls: Vec<String> = crate::modules::CONTEXTS
        .iter()
        .map(|c| format!("{}_url", c.name()))
        .collect();
    let sections: Vec<&str> = crate::modules::CONTEXTS
        .iter()
        .filter_map(|c| c.config_section())
        .chain(CORE_SECTIONS.iter().copied())
        .chain(service_urls.iter().map(String::as_str))
        .collect();
    let unknown: Vec<String> = present
        .keys()
        .filter(|key| !fields.contains(&key.as_str()) && !sections.contains(&key.as_str()))
        .map(|key| {
            let origin = match layers.find_metadata(key).and_then(|m| m.source.as_ref()) {
                Some(figment::Source::File(path)) => format!("in {}", path.display()),
                _ => {
                    let var = format!("AGORA_{}", key.to_uppercase());
                    format!("from environment variable {var} or {var}__*")
                }
            };
            format!("`{key}`: unknown key ({origin})")
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut known: Vec<&str> = fields.iter().copied().chain(sections).collect();
    known.sort_unstable();
    Err(ConfigError::Invalid(format!(
        "{}\n  known keys: {}",
        unknown.join("\n  "),
        known.join(", ")
    )))
}

/// Sections of the core rather than of a context that are not fields of [`Config`]: the
/// gateway's (`[gateway]`), read by the gateway target only. (`[services]`, the signed internal
/// calls' secret, is a field.)
const CORE_SECTIONS: &[&str] = &["gateway"];

/// The names of [`Config`]'s fields, as serde sees them.
fn core_keys() -> &'static [&'static str] {
    /// Answers `deserialize_struct` by remembering the field list, then stops.
    struct Fields(Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &mut Fields {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("fields only"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(serde::de::Error::custom("fields only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    static FIELDS: std::sync::OnceLock<&'static [&'static str]> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        let mut fields = Fields(None);
        let _ = Config::deserialize(&mut fields);
        fields.0.expect("Config is a struct")
    })
}

/// The forms whose type name alone would not tell an operator what to write.
fn expected_form(key: &str) -> Option<&'static str> {
    match key {
        "bind" => Some("HOST:PORT such as 127.0.0.1:3000"),
        "shutdown_timeout"
        | "request_timeout"
        | "outbox_poll_interval"
        | "events.retry_base"
        | "events.retry_max"
        | "events.redelivery_timeout"
        | "flags.cache_ttl"
        | "catalog.l1_ttl"
        | "database.connect_timeout"
        | "database.busy_timeout"
        | "jwt.access_ttl"
        | "jwt.refresh_ttl"
        | "jwt.key_refresh" => Some("a duration such as 10s or 500ms"),
        "environment" => Some("development or production"),
        "log_format" => Some("pretty or json"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
