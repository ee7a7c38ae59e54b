//! Feature-flag adapters: the SQL repository. (The flag list is cached by the generic
//! [`crate::cache::TwoLevelCache`], which also tells the other replicas about changes.)

mod repository;

pub use repository::SqlFlagRepository;
