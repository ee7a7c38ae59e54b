//! The catalog HTTP API (API.md "Catalog").

mod dto;
mod rendered;
mod routes;

pub use dto::ProductDto;
pub use routes::api;
