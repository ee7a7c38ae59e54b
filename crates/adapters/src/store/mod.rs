//! The relational store: one [`Database`] handle over SQLite or PostgreSQL, transactions that fit
//! the domain's [`Tx`](agora_domain::ports::Tx), and per-module migrations.
//!
//! Query code is written once and expanded for each backend by [`on_tx!`]: both drivers accept
//! `$N` placeholders, and column types are chosen so the same Rust types decode on both (UUIDs are
//! BLOB(16) on SQLite, `uuid` on Postgres; timestamps TEXT vs `timestamptz`; JSON TEXT vs `jsonb`).

mod database;
mod errors;
pub mod migrations;
mod sqlite;

pub use database::{Backend, Database, DbOptions, SqlTx};
pub(crate) use errors::map_sqlx_error;

/// Runs the same block against whichever backend the transaction belongs to. `$conn` is bound to
/// the backend's `&mut Connection`, so the block type-checks once per dialect while being written
/// once; dialect-specific SQL can still branch on `Backend`.
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
