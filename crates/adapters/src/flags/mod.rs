//! Feature-flag adapters: the SQL repository and the change notifiers (local, Redis pub/sub).

mod notifier;
mod repository;

pub use notifier::{LocalFlagChangeNotifier, RedisFlagChangeNotifier};
pub use repository::SqlFlagRepository;
