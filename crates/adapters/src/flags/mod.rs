//! Feature-flag adapters: the SQL repository. (The flag list is cached by the generic
//! [`crate::cache::TwoLevelCache`], which also tells the other replicas about changes.)

mod repository;

pub use repository::SqlFlagRepository;

use crate::store::migrations::{migration, Migration};

/// The flags context's schema, oldest first (`migrations/flags/`).
pub static MIGRATIONS: &[Migration] = &[migration!("flags", 1, "0001_create_feature_flags")];
