//! Identity use cases.

mod seed;

pub use seed::{DemoAccount, SeedDemoAccounts, SeedOutcome};
