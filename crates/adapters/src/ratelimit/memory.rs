use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use agora_domain::{
    ports::{RateLimiter, StoreError},
    ratelimit::{gcra, refund, Decision, Quota},
};
use async_trait::async_trait;

/// GCRA state in process memory: one TAT per key.
#[derive(Debug, Default)]
pub struct MemoryRateLimiter {
    tats: Mutex<HashMap<String, i64>>,
}

/// Above this many keys, keys whose TAT has passed (fully replenished, so equivalent to absent)
/// are dropped; memory stays bounded by the number of recently active clients.
const PRUNE_ABOVE: usize = 50_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl MemoryRateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }

    fn apply(&self, key: &str, quota: Quota, cost: u32, store: bool) -> Decision {
        let now = now_ms();
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        let (decision, tat) = gcra(now, tats.get(key).copied(), quota, cost);
        if store && decision.allowed {
            // The hot path (a known client) updates in place without allocating a key.
            if let Some(stored) = tats.get_mut(key) {
                *stored = tat;
            } else {
                if tats.len() >= PRUNE_ABOVE {
                    tats.retain(|_, t| *t > now);
                }
                tats.insert(key.to_owned(), tat);
            }
        }
        decision
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
        Ok(self.apply(key, quota, cost, true))
    }

    async fn peek(&self, key: &str, quota: Quota) -> Result<Decision, StoreError> {
        Ok(self.apply(key, quota, 1, false))
    }

    async fn refund(&self, key: &str, quota: Quota, cost: u32) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        match refund(now, tats.get(key).copied(), quota, cost) {
            Some(tat) => tats.insert(key.to_owned(), tat),
            None => tats.remove(key),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_limited_independently_and_peek_counts_nothing() {
        let limiter = MemoryRateLimiter::new();
        let quota: Quota = "2/1m".parse().unwrap();
        assert!(limiter.peek("a", quota).await.unwrap().allowed);
        assert!(limiter.check("a", quota, 1).await.unwrap().allowed);
        assert!(limiter.check("a", quota, 1).await.unwrap().allowed);
        assert!(!limiter.peek("a", quota).await.unwrap().allowed);
        assert!(!limiter.check("a", quota, 1).await.unwrap().allowed);
        assert!(limiter.check("b", quota, 1).await.unwrap().allowed);
    }
}
