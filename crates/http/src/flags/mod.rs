//! The feature-flags HTTP API (API.md "Platform"): the caller's evaluated flags and flag
//! administration.

mod dto;
mod routes;

pub use dto::FlagDto;
pub use routes::{api, VISITOR_COOKIE};
