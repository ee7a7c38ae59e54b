//! The catalog HTTP API (API.md "Catalog").

mod dto;
mod rendered;
mod routes;

pub use dto::{MoneyDto, ProductDto};
pub use routes::api;
