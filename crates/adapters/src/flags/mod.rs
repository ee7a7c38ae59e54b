//! Feature-flag adapters: the SQL repository and the change notifiers (local, Redis pub/sub).

mod notifier;
mod repository;

pub use notifier::{LocalFlagChangeNotifier, RedisFlagChangeNotifier};
pub use repository::SqlFlagRepository;

use crate::store::migrations::{migration, Migration};

/// The flags context's schema, oldest first (`migrations/flags/`).
pub static MIGRATIONS: &[Migration] = &[migration!("flags", 1, "0001_create_feature_flags")];
