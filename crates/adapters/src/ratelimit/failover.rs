use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use agora_domain::{
    ports::{RateLimiter, StoreError},
    ratelimit::{Decision, Quota},
};
use async_trait::async_trait;

use super::MemoryRateLimiter;

/// The shared limiter (Redis) with the in-process one behind it: when the shared one cannot
/// answer, this replica counts on its own instead of letting everything through (ADR 0018).
/// While that lasts each replica enforces the full quota on its own — a client spread over N
/// replicas gets up to N times it — which `/ready` reports as degraded. Counts do not carry
/// over in either direction: Redis's survive the outage, the replica's are dropped.
pub struct FailoverRateLimiter {
    shared: Arc<dyn RateLimiter>,
    local: MemoryRateLimiter,
    /// Whether the last decision came from the local limiter (for readiness and the log).
    local_in_use: AtomicBool,
}

impl FailoverRateLimiter {
    /// `shared` first, the process's own limiter when it fails.
    pub fn new(shared: Arc<dyn RateLimiter>) -> Self {
        Self {
            shared,
            local: MemoryRateLimiter::new(),
            local_in_use: AtomicBool::new(false),
        }
    }

    /// Whether limits are currently counted per replica.
    pub fn is_local(&self) -> bool {
        self.local_in_use.load(Ordering::Relaxed)
    }

    fn fell_back(&self, error: &StoreError) {
        metrics::counter!("ratelimit_fallback_total").increment(1);
        if !self.local_in_use.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "shared rate limiter unavailable; counting per replica");
        }
    }

    fn recovered(&self) {
        if self.local_in_use.swap(false, Ordering::Relaxed) {
            tracing::info!("shared rate limiter back; counting across replicas again");
        }
    }
}

#[async_trait]
impl RateLimiter for FailoverRateLimiter {
    async fn check(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
        match self.shared.check(key, quota, cost).await {
            Ok(decision) => {
                self.recovered();
                Ok(decision)
            }
            Err(error) => {
                self.fell_back(&error);
                self.local.check(key, quota, cost).await
            }
        }
    }

    async fn peek(&self, key: &str, quota: Quota) -> Result<Decision, StoreError> {
        match self.shared.peek(key, quota).await {
            Ok(decision) => Ok(decision),
            Err(error) => {
                self.fell_back(&error);
                self.local.peek(key, quota).await
            }
        }
    }

    async fn refund(&self, key: &str, quota: Quota, cost: u32) -> Result<(), StoreError> {
        // The unit may have been counted by either; refunding one that was not counted only
        // restores budget that was never used, which a refund caps at the quota anyway.
        let shared = self.shared.refund(key, quota, cost).await;
        self.local.refund(key, quota, cost).await?;
        shared.or(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Mutex, time::Duration};

    use super::*;

    /// A shared limiter that is down until told otherwise.
    #[derive(Default)]
    struct Flaky {
        down: Mutex<bool>,
        inner: MemoryRateLimiter,
    }

    #[async_trait]
    impl RateLimiter for Flaky {
        async fn check(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
            if *self.down.lock().unwrap() {
                return Err(StoreError::Unavailable("redis: circuit open".into()));
            }
            self.inner.check(key, quota, cost).await
        }
        async fn peek(&self, key: &str, quota: Quota) -> Result<Decision, StoreError> {
            if *self.down.lock().unwrap() {
                return Err(StoreError::Unavailable("redis: circuit open".into()));
            }
            self.inner.peek(key, quota).await
        }
        async fn refund(&self, key: &str, quota: Quota, cost: u32) -> Result<(), StoreError> {
            self.inner.refund(key, quota, cost).await
        }
    }

    const QUOTA: Quota = Quota {
        count: 3,
        period: Duration::from_secs(900),
    };

    #[tokio::test]
    async fn a_shared_limiter_that_is_down_never_lets_everything_through() {
        let shared = Arc::new(Flaky::default());
        *shared.down.lock().unwrap() = true;
        let limiter = FailoverRateLimiter::new(shared.clone());
        let mut allowed = 0;
        for _ in 0..12 {
            if limiter
                .check("login:ip:ada", QUOTA, 1)
                .await
                .unwrap()
                .allowed
            {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 3, "the quota holds per replica");
        assert!(limiter.is_local());

        *shared.down.lock().unwrap() = false;
        assert!(
            limiter
                .check("login:ip:ada", QUOTA, 1)
                .await
                .unwrap()
                .allowed
        );
        assert!(!limiter.is_local(), "back to the shared count");
    }
}
