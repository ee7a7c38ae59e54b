//! Identity's store on DynamoDB (ADR 0022, docs/serverless.md): one table, items keyed
//! `pk`/`sk`, one index `gsi1`, expiry by the `ttl` attribute. Writes of a use case are buffered
//! in its [`Tx`](agora_domain::ports::Tx) and committed with one `TransactWriteItems`; uniqueness
//! and token rotation are conditions of those writes.

mod client;
mod item;
mod sessions;
mod tokens;
mod tx;
mod users;

pub use client::{Credentials, DynamoClient, DynamoError, DynamoSettings};
pub use sessions::{DynamoDenylist, DynamoSessionStates};
pub use tokens::{DynamoEmailTokenRepository, DynamoRefreshTokenRepository, REFRESH_SPENT};
pub use tx::{DynamoTx, DynamoUnitOfWork};
pub use users::DynamoUserRepository;
