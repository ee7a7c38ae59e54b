//! The catalog HTTP API (API.md "Catalog").

mod dto;
mod routes;

pub use dto::{MoneyDto, ProductDto};
pub use routes::api;
