//! Identity adapters.

mod users;

pub use users::SqlUserRepository;
