//! Per-module, reversible migrations for both backends, recorded in `agora_migrations`.
//!
//! Each migration lives in `migrations/<module>/<NNNN>_<name>/` as four files
//! (`sqlite.up.sql`, `sqlite.down.sql`, `postgres.up.sql`, `postgres.down.sql`) and is registered
//! in its context's adapters (e.g. `catalog::MIGRATIONS`, declared with `migration!`). Each step runs in its own transaction together with its bookkeeping row, so a
//! step that fails half-way leaves neither schema changes nor a record behind. Landed migrations
//! are never edited: a checksum catches it.

mod registry;
mod runner;

pub(crate) use registry::migration;
pub use registry::{migrations_dir, Migration};
pub use runner::{MigrationError, MigrationState, MigrationStatus, Migrator};
