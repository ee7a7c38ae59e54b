//! Contract tests over HTTP and against the real stores. One test binary (faster to link on
//! small machines); each file is a specification of one area.

mod support;

mod catalog;
mod cli;
mod control_chars;
mod edge;
mod errors;
mod events;
mod events_bus;
mod events_cli;
mod events_consumers;
mod events_worker;
mod flags;
mod harness;
mod health;
mod housekeeping;
mod identity_admin;
mod identity_endpoints;
mod identity_journey;
mod identity_passwords;
mod identity_registration;
mod identity_security;
mod keys;
mod lifecycle;
mod mail;
mod migrations;
mod module_contract;
mod openapi;
mod outbox;
mod outbox_crash;
mod ports;
mod rate_limits;
mod redis_outage;
mod schema_round_trip;
mod targets;
mod targets_rotation;
mod transactions;
mod webhooks;
