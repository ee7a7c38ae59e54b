//! Where identity keeps its accounts, tokens and sessions: the relational store by default, or
//! a DynamoDB table when `dynamodb_table` is configured (ADR 0022). The outbox, the audit log and
//! the signing keys stay relational either way.

use std::sync::Arc;

use agora_adapters::{
    dynamodb::{
        DynamoClient, DynamoEmailTokenRepository, DynamoRefreshTokenRepository,
        DynamoSessionStates, DynamoSettings, DynamoUnitOfWork, DynamoUserRepository,
    },
    identity::{
        SqlEmailTokenRepository, SqlRefreshTokenRepository, SqlSessionStates, SqlUserRepository,
    },
    store::Database,
};
use agora_domain::ports::{
    EmailTokenRepository, RefreshTokenRepository, SessionStates, UnitOfWork, UserRepository,
};

use crate::config::Config;

/// Identity's store ports, all on one backend.
#[derive(Clone)]
pub struct IdentityStore {
    /// Transactions spanning identity's writes (and, on DynamoDB, the relational outbox).
    pub uow: Arc<dyn UnitOfWork>,
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Verification and reset tokens.
    pub email_tokens: Arc<dyn EmailTokenRepository>,
    /// Refresh-token families.
    pub refresh_tokens: Arc<dyn RefreshTokenRepository>,
    /// Revocation's source of truth.
    pub session_states: Arc<dyn SessionStates>,
    /// The DynamoDB client, when identity is on DynamoDB (readiness).
    pub dynamodb: Option<DynamoClient>,
}

/// The DynamoDB client `config` asks for, if any. Builds no connection (a Lambda's cold init
/// stays free of network work).
pub fn dynamodb_client(config: &Config) -> anyhow::Result<Option<DynamoClient>> {
    let Some(table) = config.dynamodb_table.as_deref() else {
        return Ok(None);
    };
    let settings = DynamoSettings::from_env(config.dynamodb_endpoint.as_deref(), table);
    Ok(Some(DynamoClient::new(settings).map_err(|e| {
        anyhow::anyhow!("invalid `dynamodb_endpoint`: {e}")
    })?))
}

/// Identity's store for `config`: DynamoDB when configured, otherwise `db`. `relational` is
/// the process's unit of work over `db`.
pub fn identity_store(
    config: &Config,
    db: &Database,
    relational: Arc<dyn UnitOfWork>,
) -> anyhow::Result<IdentityStore> {
    Ok(match dynamodb_client(config)? {
        Some(client) => IdentityStore {
            uow: Arc::new(DynamoUnitOfWork::new(client.clone(), Some(relational))),
            users: Arc::new(DynamoUserRepository::new(client.clone())),
            email_tokens: Arc::new(DynamoEmailTokenRepository::new(client.clone())),
            refresh_tokens: Arc::new(DynamoRefreshTokenRepository::new(client.clone())),
            session_states: Arc::new(DynamoSessionStates::new(client.clone())),
            dynamodb: Some(client),
        },
        None => IdentityStore {
            uow: relational,
            users: Arc::new(SqlUserRepository::new(db.clone())),
            email_tokens: Arc::new(SqlEmailTokenRepository),
            refresh_tokens: Arc::new(SqlRefreshTokenRepository),
            session_states: Arc::new(SqlSessionStates::new(db.clone())),
            dynamodb: None,
        },
    })
}
