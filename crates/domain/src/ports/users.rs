use async_trait::async_trait;

use super::{StoreError, Tx};
use crate::identity::{Email, User};

/// Persistence of user accounts.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user; a taken email fails with `StoreError::Constraint { "users_email_key" }`.
    async fn insert(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError>;
    /// Looks an account up by its normalised email.
    async fn find_by_email(&self, tx: &mut Tx, email: &Email) -> Result<Option<User>, StoreError>;
}
