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
    /// Whether `hash` was made with other parameters than [`PasswordHasher::hash`] uses now (an
    /// earlier default): a caller holding the password that just verified against it stores a
    /// fresh hash, so stored hashes follow the configuration. Never for a hash it cannot read.
    fn needs_rehash(&self, _hash: &str) -> bool {
        false
    }
}
