//! The relational store: one [`Database`] handle over SQLite or PostgreSQL, transactions that fit
//! the domain's [`Tx`](agora_domain::ports::Tx), and per-module migrations.
//!
//! Query code is written once and expanded for each backend by [`on_tx!`]: both drivers accept
//! `$N` placeholders, and column types are chosen so the same Rust types decode on both (UUIDs are
//! BLOB(16) on SQLite, `uuid` on Postgres; timestamps TEXT vs `timestamptz`; JSON TEXT vs `jsonb`).

mod args;
mod database;
mod errors;
pub mod migrations;
mod provision;
mod search;
#[cfg(feature = "sqlite")]
mod sqlite;

pub(crate) use args::bind_args;
pub use args::Arg;
pub use database::{
    default_pool_size, default_pool_size_here, redact_url, Backend, Database, DbOptions, SqlTx,
    STATEMENT_CACHE_CAPACITY,
};
/// Classifies driver errors (constraint names normalised across backends); public so every
/// context's adapters — in this crate or beside it — report violations the same way.
pub use errors::map_sqlx_error;
pub use provision::{database_name, ensure_postgres_database, with_database_name};
pub(crate) use search::search_terms;

/// Runs the same block against the read pool of whichever backend `$db` is (`&Database`): the
/// SQLite read-only pool or the Postgres pool. For reads outside a write transaction.
#[cfg(feature = "sqlite")]
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {{
        match $db {
            $crate::store::Database::Sqlite(inner) => {
                let $pool = inner.reader();
                $body
            }
            $crate::store::Database::Postgres(inner) => {
                let $pool = inner;
                $body
            }
        }
    }};
}

/// Without SQLite (feature `sqlite`) the one backend: defined here, where the feature is known,
/// so callers in other crates expand the arms this crate was built with.
#[cfg(not(feature = "sqlite"))]
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {{
        let $crate::store::Database::Postgres(inner) = $db;
        let $pool = inner;
        $body
    }};
}

/// Like [`on_pool!`] but for single-statement writes outside a transaction: the SQLite writer
/// connection or the Postgres pool.
#[cfg(feature = "sqlite")]
#[macro_export]
macro_rules! on_writer {
    ($db:expr, |$pool:ident| $body:expr) => {{
        match $db {
            $crate::store::Database::Sqlite(inner) => {
                let $pool = inner.writer();
                $body
            }
            $crate::store::Database::Postgres(inner) => {
                let $pool = inner;
                $body
            }
        }
    }};
}

/// Without SQLite (feature `sqlite`) the one backend: defined here, where the feature is known,
/// so callers in other crates expand the arms this crate was built with.
#[cfg(not(feature = "sqlite"))]
#[macro_export]
macro_rules! on_writer {
    ($db:expr, |$pool:ident| $body:expr) => {{
        let $crate::store::Database::Postgres(inner) = $db;
        let $pool = inner;
        $body
    }};
}

/// A column type both drivers decode: what a typed row struct (`impl FromRow for XRow`, written
/// once and generic over the backend's row) asks of each of its fields.
pub trait Column<'r, R: sqlx::Row>:
    sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>
{
}

impl<'r, R: sqlx::Row, T> Column<'r, R> for T where
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>
{
}

/// Ids bound per statement by batch reads (`get_many`); larger batches take one statement per
/// chunk. Far below the bind-parameter limits of both backends (SQLite 32766, Postgres 65535).
pub(crate) const IDS_PER_STATEMENT: usize = 1000;

/// The distinct `ids` in first-seen order, cut into chunks of [`IDS_PER_STATEMENT`], each with
/// its `$1, $2, …` list for `IN (…)`. Generated placeholders are the same text on both backends,
/// so batch reads need no dialect branch (a Postgres `= ANY($1)` would need a per-backend bind).
pub(crate) fn id_chunks(ids: &[uuid::Uuid]) -> Vec<(Vec<uuid::Uuid>, String)> {
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    let distinct: Vec<uuid::Uuid> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    distinct
        .chunks(IDS_PER_STATEMENT)
        .map(|chunk| {
            let list = (1..=chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            (chunk.to_vec(), list)
        })
        .collect()
}

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE … ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// Runs the same block against whichever backend the transaction belongs to. `$conn` is bound to
/// the backend's `&mut Connection`, so the block type-checks once per dialect while being written
/// once; dialect-specific SQL can still branch on `Backend`.
#[cfg(feature = "sqlite")]
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {{
        match $tx.backend_mut::<$crate::store::SqlTx>()? {
            $crate::store::SqlTx::Sqlite(inner) => {
                let $conn = &mut **inner;
                $body
            }
            $crate::store::SqlTx::Postgres(inner) => {
                let $conn = &mut **inner;
                $body
            }
        }
    }};
}

/// [`on_tx!`] without SQLite (see [`on_pool!`]).
#[cfg(not(feature = "sqlite"))]
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {{
        let $crate::store::SqlTx::Postgres(inner) = $tx.backend_mut::<$crate::store::SqlTx>()?;
        let $conn = &mut **inner;
        $body
    }};
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    #[test]
    fn id_chunks_drop_repeats_and_number_placeholders_per_chunk() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            super::id_chunks(&[a, b, a]),
            vec![(vec![a, b], "$1, $2".to_owned())]
        );
        assert!(super::id_chunks(&[]).is_empty());
        let many: Vec<Uuid> = (0..super::IDS_PER_STATEMENT + 1)
            .map(|_| Uuid::now_v7())
            .collect();
        let chunks = super::id_chunks(&many);
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            chunks[1],
            (vec![many[super::IDS_PER_STATEMENT]], "$1".to_owned())
        );
    }
}
