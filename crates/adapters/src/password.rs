//! Argon2id password hashing (OWASP's recommended parameters by default), run on the blocking
//! pool because one hash costs tens of milliseconds of CPU.

use agora_domain::ports::{PasswordHashError, PasswordHasher};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, SaltString},
    Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version,
};
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Cost parameters: memory in KiB, iterations, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory cost in KiB (default 19456 = 19 MiB).
    pub memory_kib: u32,
    /// Iterations (default 2).
    pub iterations: u32,
    /// Parallelism (default 1).
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// The argon2id adapter of [`PasswordHasher`].
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// Caps hashes running at once. Each costs `memory_kib` of RAM and a core for tens of
    /// milliseconds; unbounded, a login burst would start hundreds of blocking threads, eat memory
    /// and starve the async workers that serve every other request.
    permits: Arc<Semaphore>,
}

impl Argon2Hasher {
    /// Validates the parameters once, so a bad configuration fails at start, not at first login.
    pub fn new(params: Argon2Params) -> Result<Self, PasswordHashError> {
        Self::with_concurrency(params, 0)
    }

    /// Like [`Argon2Hasher::new`], running at most `max_concurrent` hashes at once
    /// (0 = one fewer than the CPU cores, at least 1).
    pub fn with_concurrency(
        params: Argon2Params,
        max_concurrent: usize,
    ) -> Result<Self, PasswordHashError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| PasswordHashError(e.to_string()))?;
        // Default: leave one core to the async workers so other requests stay fast while logins
        // queue (bench/results/identity.md: /health p99 3.6 ms instead of 5.1 ms on 2 cores).
        let permits = if max_concurrent == 0 {
            std::thread::available_parallelism()
                .map_or(1, |n| usize::from(n).saturating_sub(1).max(1))
        } else {
            max_concurrent
        };
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(permits)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(Argon2<'static>) -> Result<T, PasswordHashError> + Send + 'static,
    ) -> Result<T, PasswordHashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordHashError(e.to_string()))?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || work(argon2))
            .await
            .map_err(|e| PasswordHashError(e.to_string()))?
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, PasswordHashError> {
        self.run(move |argon2| {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| PasswordHashError(e.to_string()))
        })
        .await
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, PasswordHashError> {
        self.run(move |argon2| {
            let parsed = PasswordHash::new(&hash).map_err(|e| PasswordHashError(e.to_string()))?;
            match argon2.verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::Password) => Ok(false),
                Err(e) => Err(PasswordHashError(e.to_string())),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Hasher {
        Argon2Hasher::new(Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = cheap();
        let hash = hasher.hash("Secret123".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher
            .verify("Secret123".into(), hash.clone())
            .await
            .unwrap());
        assert!(!hasher.verify("secret123".into(), hash).await.unwrap());
    }

    #[test]
    fn impossible_parameters_fail_at_construction() {
        assert!(Argon2Hasher::new(Argon2Params {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1
        })
        .is_err());
    }
}
