//! Argon2id password hashing, run on the blocking pool because one hash costs tens of
//! milliseconds of CPU. The default cost is OWASP's m = 7 MiB, t = 5, p = 1: of the settings
//! its cheat sheet calls equally strong (19 MiB × 2 … 7 MiB × 5), the one needing least memory
//! per hash, for the same CPU time (ADR 0039). Hashes of other parameters still verify, and a
//! login replaces them ([`PasswordHasher::needs_rehash`]).
//!
//! Each hash needs `memory_kib` of working memory (7 MiB by default). Allocated per hash, that
//! memory never went back to the system: every blocking thread has its own malloc arena, so a
//! burst of logins on different threads left one freed block per thread in the process (RSS
//! 134 MB after 6 concurrent logins at the earlier 19 MiB default, idle 16 MB). The working
//! buffers are therefore kept in a pool bounded by the hashes allowed at once and reused: memory
//! is at most `max_concurrent × memory_kib`, allocated once per burst
//! (bench/results/password-memory.md), and dropped when no hash has run for a while, so an idle
//! server gives it back (ADR 0038).

use agora_domain::ports::{PasswordHashError, PasswordHasher};
use argon2::{
    password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use async_trait::async_trait;
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{sync::Semaphore, time::Instant};

/// Cost parameters: memory in KiB, iterations, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory cost in KiB (default 7168 = 7 MiB).
    pub memory_kib: u32,
    /// Iterations (default 5).
    pub iterations: u32,
    /// Parallelism (default 1).
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 7_168,
            iterations: 5,
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
    /// Working buffers of finished hashes, for the next ones (at most one per permit).
    buffers: Arc<BufferPool>,
}

/// How long pooled working memory may sit unused before it is dropped. A login burst reuses the
/// buffers; a quiet server does not hold `max_concurrent × memory_kib` it no longer needs
/// (ADR 0038). Long against a hash (tens of milliseconds), short against an idle server.
const RELEASE_IDLE_BUFFERS_AFTER: Duration = Duration::from_secs(10);

/// Argon2 working memory kept for reuse.
#[derive(Debug)]
struct BufferPool {
    pooled: Mutex<Pooled>,
    /// Blocks of a buffer at the configured cost.
    block_count: usize,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Pooled {
    /// Buffers of exactly `block_count` blocks, free for the next hash.
    free: Vec<Vec<Block>>,
    /// When a buffer was last given back.
    last_use: Option<Instant>,
    /// Whether a task waits to drop the buffers once idle (one at a time).
    releasing: bool,
}

impl BufferPool {
    fn pooled(&self) -> std::sync::MutexGuard<'_, Pooled> {
        self.pooled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A buffer of `block_count` blocks: a pooled one when the count is the configured one (a
    /// stored hash made with other parameters gets a buffer of its own, dropped after use).
    fn take(&self, block_count: usize) -> Vec<Block> {
        if block_count == self.block_count {
            if let Some(buffer) = self.pooled().free.pop() {
                return buffer;
            }
        }
        vec![Block::default(); block_count]
    }

    fn give_back(&self, buffer: Vec<Block>) {
        if buffer.len() != self.block_count {
            return;
        }
        let mut pooled = self.pooled();
        pooled.last_use = Some(Instant::now());
        if pooled.free.len() < self.capacity {
            pooled.free.push(buffer);
        }
    }

    /// Whether the caller should start [`BufferPool::release_when_idle`]: buffers are pooled and
    /// no task is waiting to release them yet.
    fn claim_release(&self) -> bool {
        let mut pooled = self.pooled();
        let start = !pooled.free.is_empty() && !pooled.releasing;
        pooled.releasing |= start;
        start
    }

    /// Drops the pooled buffers once none has been given back for
    /// [`RELEASE_IDLE_BUFFERS_AFTER`]; every use in the meantime pushes that moment back.
    async fn release_when_idle(self: Arc<Self>) {
        loop {
            let Some(last_use) = self.pooled().last_use else {
                self.pooled().releasing = false;
                break;
            };
            tokio::time::sleep_until(last_use + RELEASE_IDLE_BUFFERS_AFTER).await;
            let released = {
                let mut pooled = self.pooled();
                if pooled.last_use != Some(last_use) {
                    continue;
                }
                pooled.releasing = false;
                std::mem::take(&mut pooled.free)
            };
            // Dropped outside the lock: unmapping megabytes is not free.
            drop(released);
            break;
        }
    }
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
        let buffers = Arc::new(BufferPool {
            pooled: Mutex::default(),
            block_count: params.block_count(),
            capacity: permits,
        });
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            buffers,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&BufferPool) -> Result<T, PasswordHashError> + Send + 'static,
    ) -> Result<T, PasswordHashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordHashError(e.to_string()))?;
        let buffers = self.buffers.clone();
        let runtime = tokio::runtime::Handle::current();
        // The release is claimed on the blocking thread, right after the buffer went back: the
        // caller may be gone by then (a timeout, a client that hung up), and the buffer pooled.
        tokio::task::spawn_blocking(move || {
            let result = work(&buffers);
            if buffers.claim_release() {
                runtime.spawn(Arc::clone(&buffers).release_when_idle());
            }
            result
        })
        .await
        .map_err(|e| PasswordHashError(e.to_string()))?
    }
}

fn failed(error: impl std::fmt::Display) -> PasswordHashError {
    PasswordHashError(error.to_string())
}

/// Argon2 of `password` with `salt` under `argon2`'s parameters, in a pooled buffer.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    buffers: &BufferPool,
) -> Result<Output, PasswordHashError> {
    let mut blocks = buffers.take(params.block_count());
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(length, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut blocks)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(failed);
    buffers.give_back(blocks);
    output
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, PasswordHashError> {
        let params = self.params.clone();
        self.run(move |buffers| {
            let salt = SaltString::generate(&mut OsRng);
            let mut salt_bytes = [0u8; 64];
            let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(failed)?;
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            let output = compute(&argon2, &params, password.as_bytes(), salt_bytes, buffers)?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: (&params).try_into().map_err(failed)?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(phc.to_string())
        })
        .await
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, PasswordHashError> {
        self.run(move |buffers| {
            // The stored hash names its own algorithm, version and cost: verify with those.
            let parsed = PasswordHash::new(&hash).map_err(failed)?;
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                return Err(failed("stored hash without salt or output"));
            };
            let algorithm = Algorithm::try_from(parsed.algorithm).map_err(failed)?;
            let version = parsed
                .version
                .map(Version::try_from)
                .transpose()
                .map_err(failed)?
                .unwrap_or_default();
            let params = Params::try_from(&parsed).map_err(failed)?;
            let argon2 = Argon2::new(algorithm, version, params.clone());
            let mut salt_bytes = [0u8; 64];
            let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(failed)?;
            let computed = compute(&argon2, &params, password.as_bytes(), salt_bytes, buffers)?;
            // `Output` compares in constant time.
            Ok(computed == expected)
        })
        .await
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let same_cost = Params::try_from(&parsed).is_ok_and(|stored| {
            (stored.m_cost(), stored.t_cost(), stored.p_cost())
                == (
                    self.params.m_cost(),
                    self.params.t_cost(),
                    self.params.p_cost(),
                )
        });
        parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
            || !same_cost
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

    #[tokio::test]
    async fn hashes_agree_with_the_reference_implementation_both_ways() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = cheap();
        let ours = hasher.hash("Secret123".into()).await.unwrap();
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, hasher.params.clone());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(reference.verify_password(b"Secret123", &parsed).is_ok());
        assert!(reference.verify_password(b"Secret124", &parsed).is_err());

        // A hash stored under other parameters (e.g. before a cost change) still verifies.
        let older = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(128, 2, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let stored = older
            .hash_password(b"Secret123", &salt)
            .unwrap()
            .to_string();
        assert!(hasher
            .verify("Secret123".into(), stored.clone())
            .await
            .unwrap());
        assert!(!hasher.verify("secret123".into(), stored).await.unwrap());
    }

    #[tokio::test]
    async fn only_a_hash_of_other_parameters_needs_a_rehash() {
        use argon2::PasswordHasher as _;
        let hasher = cheap();
        let current = hasher.hash("Secret123".into()).await.unwrap();
        assert!(!hasher.needs_rehash(&current));
        let salt = SaltString::generate(&mut OsRng);
        let made_with = |algorithm, m, t| {
            Argon2::new(
                algorithm,
                Version::V0x13,
                Params::new(m, t, 1, None).unwrap(),
            )
            .hash_password(b"Secret123", &salt)
            .unwrap()
            .to_string()
        };
        assert!(hasher.needs_rehash(&made_with(Algorithm::Argon2id, 128, 1)));
        assert!(hasher.needs_rehash(&made_with(Algorithm::Argon2id, 64, 2)));
        assert!(hasher.needs_rehash(&made_with(Algorithm::Argon2i, 64, 1)));
        assert!(!hasher.needs_rehash(&made_with(Algorithm::Argon2id, 64, 1)));
        // Not a hash at all: verification fails; there is nothing to upgrade.
        assert!(!hasher.needs_rehash("not a hash"));
    }

    #[tokio::test]
    async fn working_memory_is_reused_and_bounded_by_the_permits() {
        let hasher = Argon2Hasher::with_concurrency(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let hashes = (0..8).map(|i| hasher.hash(format!("Secret{i}A")));
        for hash in futures::future::join_all(hashes).await {
            hash.unwrap();
        }
        let pooled = hasher.buffers.pooled().free.len();
        assert!((1..=2).contains(&pooled), "{pooled} buffers kept");
    }

    // Paused time: the clock jumps to the release deadline as soon as the runtime is idle.
    #[tokio::test(start_paused = true)]
    async fn pooled_memory_is_dropped_once_idle_and_kept_while_in_use() {
        let hasher = cheap();
        let hash = hasher.hash("Secret123".into()).await.unwrap();
        assert_eq!(
            hasher.buffers.pooled().free.len(),
            1,
            "kept for the next hash"
        );

        // Used again just before the deadline: the deadline moves with it.
        // sleep: the paused clock's jump is the idle time under test
        tokio::time::sleep(RELEASE_IDLE_BUFFERS_AFTER - Duration::from_secs(1)).await;
        assert!(hasher
            .verify("Secret123".into(), hash.clone())
            .await
            .unwrap());
        // sleep: past the first deadline (paused clock)
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(hasher.buffers.pooled().free.len(), 1, "in use 2 s ago");

        // sleep: past the moved deadline (paused clock)
        tokio::time::sleep(RELEASE_IDLE_BUFFERS_AFTER).await;
        assert!(hasher.buffers.pooled().free.is_empty(), "idle: given back");

        // The next burst allocates again and pools again, with a release of its own.
        assert!(hasher.verify("Secret123".into(), hash).await.unwrap());
        assert_eq!(hasher.buffers.pooled().free.len(), 1);
        // sleep: past the second idle period's deadline (paused clock)
        tokio::time::sleep(RELEASE_IDLE_BUFFERS_AFTER + Duration::from_secs(1)).await;
        assert!(hasher.buffers.pooled().free.is_empty());
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
