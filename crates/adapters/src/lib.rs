//! Adapters: the concrete implementations of the domain's ports, chosen by configuration in the
//! composition root. Nothing above this crate names sqlx, argon2 or a transport.

pub mod analytics;
pub mod bus;
pub mod cache;
pub mod catalog;
pub mod content;
pub mod dynamodb;
pub mod flags;
pub mod identity;
pub mod memory;
pub mod orders;
pub mod password;
pub mod platform;
pub mod ratelimit;
pub mod redis;
pub mod remote;
pub mod store;
pub mod webhooks;
