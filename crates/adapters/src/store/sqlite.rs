use std::{path::Path, str::FromStr};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use super::database::{describe, ConnectError, DbOptions};

/// SQLite behind two pools. SQLite allows one writer at a time; funnelling every write
/// transaction through a single connection queues writers in the pool instead of letting them race
/// for the file lock and fail with `SQLITE_BUSY`. WAL mode lets the reader pool run beside it.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteDb {
    pub(super) async fn connect(
        url: &str,
        shown: &str,
        options: &DbOptions,
    ) -> Result<Self, ConnectError> {
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|source| ConnectError::InvalidUrl {
                url: shown.to_owned(),
                source,
            })?
            .statement_cache_capacity(super::database::STATEMENT_CACHE_CAPACITY)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        if let Some(parent) = Path::new(base.get_filename()).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| ConnectError::Unreachable {
                    url: shown.to_owned(),
                    reason: format!("cannot create directory {}: {e}", parent.display()),
                })?;
            }
        }
        let unreachable = |e: sqlx::Error| ConnectError::Unreachable {
            url: shown.to_owned(),
            reason: describe(&e),
        };
        // No ping on acquire: an in-process connection cannot be dropped by a server or a
        // network, and each ping is a round trip to the connection's worker thread.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(options.connect_timeout)
            .connect_with(base.clone())
            .await
            .map_err(unreachable)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .test_before_acquire(false)
            .acquire_timeout(options.connect_timeout)
            .connect_with(base.read_only(true))
            .await
            .map_err(unreachable)?;
        Ok(Self { writer, reader })
    }

    /// The single connection every write transaction runs on.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Read-only connections for queries outside a write transaction.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub(super) fn usage(&self) -> (u32, u32) {
        let idle = (self.writer.num_idle() + self.reader.num_idle()) as u32;
        let size = self.writer.size() + self.reader.size();
        (size.saturating_sub(idle), idle)
    }

    pub(super) async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
