//! The identity HTTP API (API.md "Identity").

mod dto;
mod routes;

pub use dto::UserDto;
pub(crate) use routes::path_id;
pub use routes::routes;
pub(crate) use routes::{routed, IdentityApi};
