//! The identity HTTP API (API.md "Identity").

mod dto;
mod routes;

pub use dto::UserDto;
pub use routes::api;
pub(crate) use routes::path_id;
