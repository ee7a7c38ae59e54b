//! The identity HTTP API (API.md "Identity").

mod dto;
mod pages;
mod routes;

pub use dto::UserDto;
pub use pages::{VERIFY_EMAIL_PAGE, VERIFY_EMAIL_SCRIPT};
pub use routes::api;
pub(crate) use routes::path_id;
