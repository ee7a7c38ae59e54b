use std::{fmt, str::FromStr, time::Duration};

use agora_domain::ports::{StoreError, Tx, TxBackend, UnitOfWork};
use async_trait::async_trait;
use sqlx::{postgres::PgPoolOptions, PgPool, Postgres};

use super::map_sqlx_error;
#[cfg(feature = "sqlite")]
use super::sqlite::SqliteDb;

/// Which SQL dialect a [`Database`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file in the data directory.
    Sqlite,
    /// The scaled backend.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Pool tuning, from configuration.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Upper bound of pooled connections (readers, on SQLite).
    pub max_connections: u32,
    /// How long to wait for the server or a free connection before reporting it unavailable.
    pub connect_timeout: Duration,
    /// How long SQLite waits on a lock held by another process before failing.
    pub busy_timeout: Duration,
}

/// Prepared statements each connection keeps (sqlx's LRU cache; every `sqlx::query` is prepared
/// once per connection and reused while it stays in the cache). Agora's distinct statements —
/// one per query shape, since list pages are bound parameters — number well under this, so
/// none is evicted and re-prepared under load.
pub const STATEMENT_CACHE_CAPACITY: usize = 256;

/// How long a pooled PostgreSQL connection may sit idle before it is pinged on acquire.
///
/// sqlx pings a connection both when it is acquired (`test_before_acquire`, on by default) and
/// when it is released (always): with the query itself, three round trips to the server for
/// one statement. The ping on release has just shown the connection alive, so the one on
/// acquire only matters after the connection has idled long enough for the server, a proxy or
/// a restart to have dropped it — HikariCP's "alive bypass window" (500 ms) is the same rule.
/// A busy pool then pays one round trip per statement fewer: on an uncached list page the two
/// pings were about a fifth of the process's CPU (ADR 0040).
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The default pool size on a machine with `cores` cores: PostgreSQL's rule of thumb
/// (`2 × cores + 1`: a connection waiting on I/O leaves its core to another) with a floor of 8,
/// because the process's own background work (outbox relay, event consumers, webhook
/// dispatcher, sweepers) holds a connection at times and must not make requests queue on a
/// small machine. SQLite uses it for its readers (one writer, always).
pub fn default_pool_size(cores: usize) -> u32 {
    u32::try_from(cores.saturating_mul(2).saturating_add(1))
        .unwrap_or(u32::MAX)
        .max(8)
}

/// [`default_pool_size`] for this machine.
pub fn default_pool_size_here() -> u32 {
    default_pool_size(std::thread::available_parallelism().map_or(1, usize::from))
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: default_pool_size_here(),
            connect_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A connected relational store. Cheap to clone (pools are reference-counted).
#[derive(Clone, Debug)]
pub enum Database {
    /// SQLite with one writer connection and a pool of readers (feature `sqlite`; the lean
    /// Lambda build speaks PostgreSQL only).
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteDb),
    /// PostgreSQL pool.
    Postgres(PgPool),
}

/// Why the store could not be opened; the message is meant for an operator.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL scheme names no supported backend.
    #[error("unsupported database URL scheme in `{0}`; expected sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    UnsupportedScheme(String),
    /// A SQLite URL given to a binary built without SQLite (the lean Lambda artefact).
    #[error("`{0}`: this binary was built without SQLite (feature `sqlite`); use postgres://USER@HOST:PORT/DB")]
    NotCompiledIn(String),
    /// The URL or options were rejected by the driver.
    #[error("invalid database URL `{url}`: {source}")]
    InvalidUrl {
        /// The URL with any password removed.
        url: String,
        /// Driver's reason.
        source: sqlx::Error,
    },
    /// The server or file could not be opened.
    #[error("cannot connect to database `{url}`: {reason}")]
    Unreachable {
        /// The URL with any password removed.
        url: String,
        /// What failed.
        reason: String,
    },
}

impl Database {
    /// Opens the store named by `url` (`sqlite://…` or `postgres://…`) and checks it answers.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Self, ConnectError> {
        let shown = redact_url(url);
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            return SqliteDb::connect(url, &shown, options)
                .await
                .map(Database::Sqlite);
        }
        #[cfg(not(feature = "sqlite"))]
        if url.starts_with("sqlite:") {
            return Err(ConnectError::NotCompiledIn(shown));
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConnectError::UnsupportedScheme(shown));
        }
        let connect_options = sqlx::postgres::PgConnectOptions::from_str(url)
            .map_err(|source| ConnectError::InvalidUrl {
                url: shown.clone(),
                source,
            })?
            .statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.connect_timeout)
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    // A failed ping discards the connection and the pool opens a new one
                    // (sqlx logs it as a warning).
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(connect_options);
        let pool = tokio::time::timeout(options.connect_timeout, pool)
            .await
            .map_err(|_| ConnectError::Unreachable {
                url: shown.clone(),
                reason: format!("no answer within {:?}", options.connect_timeout),
            })?
            .map_err(|e| ConnectError::Unreachable {
                url: shown,
                reason: describe(&e),
            })?;
        Ok(Database::Postgres(pool))
    }

    /// The dialect.
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// A cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(db) => sqlx::query("SELECT 1").execute(db.reader()).await.map(drop),
            Database::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
        .map_err(map_sqlx_error)
    }

    /// Pool occupancy `(in use, idle)`, for metrics.
    pub fn pool_usage(&self) -> (u32, u32) {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(db) => db.usage(),
            Database::Postgres(pool) => {
                let idle = pool.num_idle() as u32;
                (pool.size().saturating_sub(idle), idle)
            }
        }
    }

    /// Closes every pooled connection, waiting for checked-out ones to return.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(db) => db.close().await,
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

/// The concrete transaction behind a domain [`Tx`]; repositories reach it with [`crate::on_tx!`].
pub enum SqlTx {
    /// On the single SQLite writer connection.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// On a pooled Postgres connection.
    Postgres(sqlx::Transaction<'static, Postgres>),
}

#[async_trait]
impl TxBackend for SqlTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        match *self {
            #[cfg(feature = "sqlite")]
            SqlTx::Sqlite(tx) => tx.commit().await,
            SqlTx::Postgres(tx) => tx.commit().await,
        }
        .map_err(map_sqlx_error)
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        match *self {
            #[cfg(feature = "sqlite")]
            SqlTx::Sqlite(tx) => tx.rollback().await,
            SqlTx::Postgres(tx) => tx.rollback().await,
        }
        .map_err(map_sqlx_error)
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

#[async_trait]
impl UnitOfWork for Database {
    async fn begin(&self) -> Result<Tx, StoreError> {
        let backend = match self {
            // IMMEDIATE takes the write lock up front: a deferred transaction that reads, then
            // writes after another process (a CLI command) committed meanwhile, would fail with
            // SQLITE_BUSY_SNAPSHOT, which no busy timeout retries.
            #[cfg(feature = "sqlite")]
            Database::Sqlite(db) => SqlTx::Sqlite(
                db.writer()
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(map_sqlx_error)?,
            ),
            Database::Postgres(pool) => {
                SqlTx::Postgres(pool.begin().await.map_err(map_sqlx_error)?)
            }
        };
        Ok(Tx::new(backend))
    }
}

/// Drops the password from a URL so it can be printed in errors and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot carry one, which this one did.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The innermost cause of a connect failure, which is what an operator can act on.
pub(super) fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/agora"),
            "postgres://app:***@db:5432/agora"
        );
        assert_eq!(
            redact_url("sqlite://data/agora.db"),
            "sqlite://data/agora.db"
        );
    }
}
