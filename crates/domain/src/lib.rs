//! Agora's domain: entities, value objects, domain events and the ports (traits) that adapters
//! implement. Nothing here performs I/O or depends on an async runtime, SQL or HTTP, so every rule
//! can be unit- and property-tested in isolation and every backend plugs in behind the same ports.

pub mod event;
pub mod identity;
pub mod mail;
pub mod paging;
pub mod ports;
pub mod validation;

pub use validation::{FieldError, ValidationErrors};
