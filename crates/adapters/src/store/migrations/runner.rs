use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
#[cfg(feature = "sqlite")]
use sqlx::Sqlite;
use sqlx::{pool::PoolConnection, Connection, Executor, Postgres};

use super::registry::Migration;
use crate::store::{Backend, Database};

/// Where one known migration stands on this database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// Not applied yet.
    Pending,
    /// Applied at the given time, unchanged since.
    Applied(DateTime<Utc>),
    /// Applied, but its SQL in this binary differs from what ran: someone edited a landed file.
    Modified(DateTime<Utc>),
}

/// One line of `agora migrate status`.
#[derive(Debug, Clone)]
pub struct MigrationStatus {
    /// `module/NNNN_name`.
    pub id: String,
    /// Its state.
    pub state: MigrationState,
}

/// Why migrating stopped. Whatever step failed was rolled back as a whole.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// A step's SQL failed; its transaction was rolled back.
    #[error(
        "migration {id} failed on {backend} and was rolled back (nothing of it applied): {reason}"
    )]
    StepFailed {
        /// `module/NNNN_name`.
        id: String,
        /// Dialect.
        backend: Backend,
        /// The database's message.
        reason: String,
    },
    /// The database records a migration this binary does not know (a newer binary ran).
    #[error("database has migration {0} applied, which this binary does not know; run a newer agora or restore the database")]
    Unknown(String),
    /// A landed migration was edited.
    #[error("migration {0} was changed after it was applied; add a new migration instead of editing a landed one")]
    Modified(String),
    /// Bookkeeping failed (connection lost, permissions…).
    #[error("migration bookkeeping failed: {0}")]
    Store(#[from] sqlx::Error),
}

/// Applies and reverts the migrations it is given (the bounded contexts' contributions, in
/// dependency order), restricted per call to a set of modules.
#[derive(Debug)]
pub struct Migrator<'a> {
    db: &'a Database,
    registry: Vec<&'static Migration>,
}

struct Record {
    module: String,
    version: i64,
    checksum: String,
    applied_at: DateTime<Utc>,
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl<'a> Migrator<'a> {
    /// A migrator over `db` that knows `migrations` (each module's in ascending version).
    pub fn new(db: &'a Database, migrations: impl IntoIterator<Item = &'static Migration>) -> Self {
        Self {
            db,
            registry: migrations.into_iter().collect(),
        }
    }

    /// Every known migration of `modules` with its state.
    pub async fn status(&self, modules: &[&str]) -> Result<Vec<MigrationStatus>, MigrationError> {
        let backend = self.db.backend();
        let mut session = self.lock().await?;
        let applied = session.conn().applied().await;
        session.release().await;
        let applied = applied?;
        let by_key: HashMap<(&str, i64), &Record> = applied
            .iter()
            .map(|r| ((r.module.as_str(), r.version), r))
            .collect();
        Ok(known(&self.registry, modules)
            .into_iter()
            .map(|m| {
                let state = match by_key.get(&(m.module, m.version)) {
                    None => MigrationState::Pending,
                    Some(r) if r.checksum == checksum(m.up(backend)) => {
                        MigrationState::Applied(r.applied_at)
                    }
                    Some(r) => MigrationState::Modified(r.applied_at),
                };
                MigrationStatus { id: m.id(), state }
            })
            .collect())
    }

    /// Applies every pending migration of `modules`, calling `on_step` after each one.
    pub async fn up(
        &self,
        modules: &[&str],
        on_step: &mut (dyn FnMut(&Migration) + Send),
    ) -> Result<usize, MigrationError> {
        let mut session = self.lock().await?;
        let result = apply_pending(
            session.conn(),
            &self.registry,
            self.db.backend(),
            modules,
            on_step,
        )
        .await;
        session.release().await;
        result
    }

    /// Reverts the `steps` most recently applied migrations of `modules`, newest first.
    pub async fn down(
        &self,
        modules: &[&str],
        steps: usize,
        on_step: &mut (dyn FnMut(&Migration) + Send),
    ) -> Result<usize, MigrationError> {
        let mut session = self.lock().await?;
        let result = revert_latest(
            session.conn(),
            &self.registry,
            self.db.backend(),
            modules,
            steps,
            on_step,
        )
        .await;
        session.release().await;
        result
    }

    /// One dedicated connection with the bookkeeping table ensured. On Postgres an advisory lock
    /// serialises replicas that start at the same time; on SQLite the single writer connection
    /// (plus the busy timeout across processes) does the same.
    async fn lock(&self) -> Result<Session, MigrationError> {
        let mut session = match self.db {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(db) => Session::Sqlite(db.writer().acquire().await?),
            Database::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                Session::Postgres(conn)
            }
        };
        if let Err(error) = session.conn().bootstrap().await {
            session.release().await;
            return Err(error.into());
        }
        Ok(session)
    }
}

/// Module order is the caller's (dependency order), so a module's tables exist before a dependent
/// module's migrations could reference them.
fn known(registry: &[&'static Migration], modules: &[&str]) -> Vec<&'static Migration> {
    modules
        .iter()
        .flat_map(|module| {
            registry
                .iter()
                .copied()
                .filter(move |m| m.module == *module)
        })
        .collect()
}

async fn apply_pending(
    conn: &mut dyn MigrationConn,
    registry: &[&'static Migration],
    backend: Backend,
    modules: &[&str],
    on_step: &mut (dyn FnMut(&Migration) + Send),
) -> Result<usize, MigrationError> {
    let applied = conn.applied().await?;
    check_known(registry, &applied, modules)?;
    let mut count = 0;
    for migration in known(registry, modules) {
        let sum = checksum(migration.up(backend));
        let record = applied
            .iter()
            .find(|r| r.module == migration.module && r.version == migration.version);
        match record {
            Some(r) if r.checksum != sum => return Err(MigrationError::Modified(migration.id())),
            Some(_) => continue,
            None => {}
        }
        conn.apply(migration, &sum)
            .await
            .map_err(|e| step_failed(migration, backend, &e))?;
        on_step(migration);
        count += 1;
    }
    Ok(count)
}

async fn revert_latest(
    conn: &mut dyn MigrationConn,
    registry: &[&'static Migration],
    backend: Backend,
    modules: &[&str],
    steps: usize,
    on_step: &mut (dyn FnMut(&Migration) + Send),
) -> Result<usize, MigrationError> {
    let applied = conn.applied().await?;
    check_known(registry, &applied, modules)?;
    let latest = applied
        .iter()
        .rev()
        .filter(|r| modules.contains(&r.module.as_str()))
        .take(steps);
    let mut count = 0;
    for record in latest {
        let migration = find(registry, &record.module, record.version).ok_or_else(|| {
            MigrationError::Unknown(format!("{}/{:04}", record.module, record.version))
        })?;
        conn.revert(migration)
            .await
            .map_err(|e| step_failed(migration, backend, &e))?;
        on_step(migration);
        count += 1;
    }
    Ok(count)
}

enum Session {
    #[cfg(feature = "sqlite")]
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Session {
    fn conn(&mut self) -> &mut dyn MigrationConn {
        match self {
            #[cfg(feature = "sqlite")]
            Session::Sqlite(conn) => conn,
            Session::Postgres(conn) => conn,
        }
    }

    /// Gives the connection back. A Postgres advisory lock belongs to the session, so a
    /// connection whose unlock failed is closed rather than returned to the pool still locked.
    // Without SQLite compiled in the pattern always matches.
    #[cfg_attr(not(feature = "sqlite"), allow(irrefutable_let_patterns))]
    async fn release(self) {
        if let Session::Postgres(mut conn) = self {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                let _ = conn.detach().close().await;
            }
        }
    }
}

/// Arbitrary but fixed key for `pg_advisory_lock`: "agora" in ASCII.
const MIGRATION_LOCK: i64 = 0x61_676f_7261;

fn find(registry: &[&'static Migration], module: &str, version: i64) -> Option<&'static Migration> {
    registry
        .iter()
        .copied()
        .find(|m| m.module == module && m.version == version)
}

fn check_known(
    registry: &[&'static Migration],
    applied: &[Record],
    modules: &[&str],
) -> Result<(), MigrationError> {
    match applied.iter().find(|r| {
        modules.contains(&r.module.as_str()) && find(registry, &r.module, r.version).is_none()
    }) {
        Some(r) => Err(MigrationError::Unknown(format!(
            "{}/{:04}",
            r.module, r.version
        ))),
        None => Ok(()),
    }
}

fn step_failed(migration: &Migration, backend: Backend, error: &sqlx::Error) -> MigrationError {
    let reason = match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    };
    MigrationError::StepFailed {
        id: migration.id(),
        backend,
        reason,
    }
}

/// The few statements the runner needs, implemented once per backend by the macro below.
#[async_trait::async_trait]
trait MigrationConn: Send {
    async fn bootstrap(&mut self) -> Result<(), sqlx::Error>;
    async fn applied(&mut self) -> Result<Vec<Record>, sqlx::Error>;
    async fn apply(&mut self, migration: &Migration, checksum: &str) -> Result<(), sqlx::Error>;
    async fn revert(&mut self, migration: &Migration) -> Result<(), sqlx::Error>;
}

#[cfg(feature = "sqlite")]
const SQLITE_BOOTSTRAP: &str = "CREATE TABLE IF NOT EXISTS agora_migrations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
    checksum TEXT NOT NULL, applied_at TEXT NOT NULL,
    UNIQUE (module, version))";

const POSTGRES_BOOTSTRAP: &str = "CREATE TABLE IF NOT EXISTS agora_migrations (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module text NOT NULL, version bigint NOT NULL, name text NOT NULL,
    checksum text NOT NULL, applied_at timestamptz NOT NULL,
    UNIQUE (module, version))";

macro_rules! impl_migration_conn {
    ($db:ty, $backend:expr, $bootstrap:expr) => {
        #[async_trait::async_trait]
        impl MigrationConn for PoolConnection<$db> {
            async fn bootstrap(&mut self) -> Result<(), sqlx::Error> {
                (&mut **self).execute($bootstrap).await.map(drop)
            }

            async fn applied(&mut self) -> Result<Vec<Record>, sqlx::Error> {
                let rows: Vec<(String, i64, String, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT module, version, checksum, applied_at FROM agora_migrations ORDER BY seq",
                )
                .fetch_all(&mut **self)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(module, version, checksum, applied_at)| Record { module, version, checksum, applied_at })
                    .collect())
            }

            async fn apply(&mut self, migration: &Migration, checksum: &str) -> Result<(), sqlx::Error> {
                let mut tx = (**self).begin().await?;
                (&mut *tx).execute(migration.up($backend)).await?;
                sqlx::query(
                    "INSERT INTO agora_migrations (module, version, name, checksum, applied_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(migration.module)
                .bind(migration.version)
                .bind(migration.name)
                .bind(checksum)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }

            async fn revert(&mut self, migration: &Migration) -> Result<(), sqlx::Error> {
                let mut tx = (**self).begin().await?;
                (&mut *tx).execute(migration.down($backend)).await?;
                sqlx::query("DELETE FROM agora_migrations WHERE module = $1 AND version = $2")
                    .bind(migration.module)
                    .bind(migration.version)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
        }
    };
}

#[cfg(feature = "sqlite")]
impl_migration_conn!(Sqlite, Backend::Sqlite, SQLITE_BOOTSTRAP);
impl_migration_conn!(Postgres, Backend::Postgres, POSTGRES_BOOTSTRAP);
