//! The orders HTTP API (API.md "Orders"): cart, checkout with `Idempotency-Key`, payment, order
//! history, cancel, admin list and transitions.

mod dto;
mod routes;

pub use dto::OrderDto;
pub use routes::api;
