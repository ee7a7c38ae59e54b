use agora_domain::{
    flags::{FeatureFlag, FlagKey, RolloutPercent},
    ports::StoreError,
};
use chrono::Utc;

use super::Flags;
use crate::AppError;

/// A flag `agora seed` guarantees exists.
#[derive(Debug, Clone)]
pub struct SeedFlag {
    /// Key.
    pub key: &'static str,
    /// Description.
    pub description: &'static str,
    /// Master switch.
    pub enabled: bool,
    /// Percentage.
    pub rollout_percent: i64,
}

/// The flags of a fresh installation: the new checkout flow as a 10 % canary.
pub const SEED_FLAGS: &[SeedFlag] = &[SeedFlag {
    key: "new-checkout-flow",
    description: "New checkout flow (canary)",
    enabled: true,
    rollout_percent: 10,
}];

/// What the seed did for one flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The flag was created now.
    Created,
    /// A flag with this key already existed and was left untouched.
    AlreadyPresent,
}

impl Flags {
    /// Creates every missing [`SEED_FLAGS`] entry, each in its own transaction. Idempotent: an
    /// existing flag is never overwritten, so an administrator's rollout decisions survive.
    pub async fn seed(&self) -> Result<Vec<(SeedFlag, SeedOutcome)>, AppError> {
        let mut report = Vec::with_capacity(SEED_FLAGS.len());
        for seed in SEED_FLAGS {
            let outcome = self.ensure(seed).await?;
            report.push((seed.clone(), outcome));
        }
        Ok(report)
    }

    async fn ensure(&self, seed: &SeedFlag) -> Result<SeedOutcome, AppError> {
        let key = FlagKey::parse(seed.key)?;
        if self.deps.flags.get(&key).await?.is_some() {
            return Ok(SeedOutcome::AlreadyPresent);
        }
        let flag = FeatureFlag::new(
            key,
            seed.description.to_owned(),
            seed.enabled,
            RolloutPercent::parse(seed.rollout_percent)?,
            Utc::now(),
        );
        let mut tx = self.deps.uow.begin().await?;
        match self.deps.flags.insert(&mut tx, &flag).await {
            // A concurrent seed created it between the check and the insert.
            Err(StoreError::Constraint { .. }) => return Ok(SeedOutcome::AlreadyPresent),
            other => other?,
        }
        // Running servers (the seed may run as a CLI command beside them) drop their cache.
        self.invalidate_after_commit(&mut tx);
        tx.commit().await?;
        Ok(SeedOutcome::Created)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::flags_service as service;

    #[tokio::test]
    async fn seeding_is_idempotent() {
        let (flags, repo, _) = service(Duration::from_secs(60));
        let first = flags.seed().await.unwrap();
        assert_eq!(first[0].0.key, "new-checkout-flow");
        assert_eq!(first[0].1, SeedOutcome::Created);
        let stored = repo.flags.lock().unwrap()["new-checkout-flow"].clone();
        assert!(stored.enabled);
        assert_eq!(stored.rollout_percent.value(), 10);
        assert_eq!(stored.description, "New checkout flow (canary)");
        let again = flags.seed().await.unwrap();
        assert_eq!(again[0].1, SeedOutcome::AlreadyPresent);
    }
}
