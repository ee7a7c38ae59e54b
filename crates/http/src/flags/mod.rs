//! The feature-flags HTTP API (API.md "Platform"): the caller's evaluated flags and flag
//! administration.

mod dto;
mod routes;

pub use dto::FlagDto;
pub(crate) use routes::{routed, FlagsApi};
pub use routes::{routes, VISITOR_COOKIE};
