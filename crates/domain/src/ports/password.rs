use async_trait::async_trait;

/// Hashing failed (bad parameters or a corrupt stored hash); never a wrong password.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordHashError(pub String);

/// One-way password hashing. Implementations must not block the async runtime.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a plaintext password into a self-describing (PHC) string.
    async fn hash(&self, password: String) -> Result<String, PasswordHashError>;
    /// Checks a plaintext password against a stored hash.
    async fn verify(&self, password: String, hash: String) -> Result<bool, PasswordHashError>;
}
