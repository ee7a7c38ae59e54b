use std::sync::Arc;

use agora_domain::{
    identity::{Email, NewUser, PersonName, Role, Tier},
    ports::{PasswordHasher, StoreError, UnitOfWork, UserRepository},
};

use crate::AppError;

/// A development account the seed guarantees exists.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Login address.
    pub email: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Plaintext password, printed for the developer; demo data only.
    pub password: &'static str,
    /// Role.
    pub role: Role,
    /// Tier.
    pub tier: Tier,
}

/// The demo accounts `agora seed` creates: one admin and a user per tier, so every permission and
/// rate-limit path can be tried by hand.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "admin@agora.local",
        name: "Ada Admin",
        password: "AgoraAdmin1",
        role: Role::Admin,
        tier: Tier::Enterprise,
    },
    DemoAccount {
        email: "free@agora.local",
        name: "Fran Free",
        password: "AgoraDemo1",
        role: Role::User,
        tier: Tier::Free,
    },
    DemoAccount {
        email: "pro@agora.local",
        name: "Pat Pro",
        password: "AgoraDemo1",
        role: Role::User,
        tier: Tier::Pro,
    },
    DemoAccount {
        email: "enterprise@agora.local",
        name: "Erin Enterprise",
        password: "AgoraDemo1",
        role: Role::User,
        tier: Tier::Enterprise,
    },
];

/// What the seed did for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The account was created now.
    Created,
    /// An account with this email already existed and was left untouched.
    AlreadyPresent,
}

/// Ensures the demo accounts exist. Idempotent: an existing email is never overwritten, so a
/// developer who changed a demo password keeps it.
pub struct SeedDemoAccounts {
    uow: Arc<dyn UnitOfWork>,
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
}

impl SeedDemoAccounts {
    /// Wires the use case to its ports.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
    ) -> Self {
        Self { uow, users, hasher }
    }

    /// Creates every missing demo account, each in its own transaction.
    pub async fn execute(&self) -> Result<Vec<(DemoAccount, SeedOutcome)>, AppError> {
        let mut report = Vec::with_capacity(DEMO_ACCOUNTS.len());
        for account in DEMO_ACCOUNTS {
            let outcome = self.ensure(account).await?;
            report.push((account.clone(), outcome));
        }
        Ok(report)
    }

    async fn ensure(&self, account: &DemoAccount) -> Result<SeedOutcome, AppError> {
        let email = Email::parse(account.email)?;
        if self.users.get_by_email(&email).await?.is_some() {
            return Ok(SeedOutcome::AlreadyPresent);
        }
        // Hash before opening the transaction: on SQLite it holds the single writer connection.
        let password_hash = self.hasher.hash(account.password.to_owned()).await?;
        let user = NewUser {
            email,
            password_hash,
            name: PersonName::parse(account.name)?,
            role: account.role,
            tier: account.tier,
            is_verified: true,
        }
        .into_user(agora_domain::timestamp_now());
        let mut tx = self.uow.begin().await?;
        match self.users.insert(&mut tx, &user).await {
            // A concurrent seed created it between the check and the insert.
            Err(StoreError::Constraint { .. }) => return Ok(SeedOutcome::AlreadyPresent),
            other => other?,
        }
        tx.commit().await?;
        Ok(SeedOutcome::Created)
    }
}
