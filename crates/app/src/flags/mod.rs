//! Feature flags: evaluation for callers and for other modules (through an in-process cache kept
//! coherent across replicas), administration, and the default flags `agora seed` creates.
//! Handlers call exactly one method of [`Flags`] per request; other modules ask
//! [`Flags::is_enabled`].

mod admin;
mod seed;

use std::{collections::BTreeMap, sync::Arc};

use agora_domain::{
    flags::{evaluate, FeatureFlag, Subject},
    ports::{FlagRepository, TaggedCache, Tx, UnitOfWork},
};

pub use admin::{FlagChange, NewFlagInput};
pub use seed::{SeedFlag, SeedOutcome, SEED_FLAGS};

use crate::AppError;

/// The ports flags need, wired once by the composition root.
#[derive(Clone)]
pub struct FlagsDeps {
    /// Transactions.
    pub uow: Arc<dyn UnitOfWork>,
    /// Flag persistence.
    pub flags: Arc<dyn FlagRepository>,
    /// The cached flag list (one entry: flags are few and read on every evaluation, so caching
    /// the whole list turns each evaluation into a map lookup). Its TTL bounds staleness when an
    /// invalidation from another replica is lost; invalidations reach every replica at once.
    pub cache: Arc<dyn TaggedCache<FlagSnapshot>>,
}

/// The flags application service. Cheap to clone; clones share one cache.
#[derive(Clone)]
pub struct Flags {
    deps: FlagsDeps,
}

/// Every flag by key, as evaluation sees it (and as it is cached).
pub type FlagSnapshot = Arc<BTreeMap<String, FeatureFlag>>;

/// The cache key and tag of the flag list.
const FLAGS: &str = "flags";

impl Flags {
    /// Builds the service.
    pub fn new(deps: FlagsDeps) -> Self {
        Self { deps }
    }

    /// Whether the flag `key` is on for `subject` — the server-side API for other modules
    /// (`flags.is_enabled("new-checkout-flow", &subject)`). An unknown flag is off. So is every
    /// flag while the store cannot be read: a flag guards new behaviour, and the old behaviour is
    /// the safe fallback (the failure is logged).
    pub async fn is_enabled(&self, key: &str, subject: &Subject) -> bool {
        match self.snapshot().await {
            Ok(flags) => flags.get(key).is_some_and(|flag| evaluate(flag, subject)),
            Err(error) => {
                tracing::warn!(%error, key, "flags unavailable; treating the flag as off");
                false
            }
        }
    }

    /// Every flag evaluated for `subject`, by key (`GET /api/flags`). Unlike
    /// [`Flags::is_enabled`] a store failure is an error: a client told "everything is off" would
    /// cache a wrong answer.
    pub async fn evaluate_all(
        &self,
        subject: &Subject,
    ) -> Result<BTreeMap<String, bool>, AppError> {
        let flags = self.snapshot().await?;
        Ok(flags
            .iter()
            .map(|(key, flag)| (key.clone(), evaluate(flag, subject)))
            .collect())
    }

    /// Drops the cached flags here and on every replica; the next evaluation reads the store.
    pub async fn invalidate(&self) {
        self.deps.cache.invalidate_tags(&[FLAGS]).await;
    }

    /// The cached flags, or a fresh read when the cache is empty, expired or invalidated.
    async fn snapshot(&self) -> Result<FlagSnapshot, AppError> {
        let repository = self.deps.flags.clone();
        let load = Box::pin(async move {
            let flags = repository.list().await?;
            Ok(Arc::new(
                flags
                    .into_iter()
                    .map(|flag| (flag.key.as_str().to_owned(), flag))
                    .collect(),
            ))
        });
        Ok(self.deps.cache.get_or_load(FLAGS, &[FLAGS], load).await?)
    }

    /// Once `tx` commits, this replica's cache goes and the other replicas are told (a lost
    /// notification is logged by the cache; the others' entries expire within the TTL).
    /// Invalidating before the commit would let an evaluation cache the old flags again.
    fn invalidate_after_commit(&self, tx: &mut Tx) {
        let cache = self.deps.cache.clone();
        tx.after_commit_async(async move { cache.invalidate_tags(&[FLAGS]).await });
    }
}

#[async_trait::async_trait]
impl agora_domain::ports::FeatureGate for Flags {
    async fn is_enabled(&self, key: &str, subject: &Subject) -> bool {
        Flags::is_enabled(self, key, subject).await
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use agora_domain::{
        flags::{FlagKey, RolloutPercent},
        identity::{Role, Tier},
    };
    use chrono::Utc;
    use uuid::Uuid;

    use std::time::Duration;

    use super::*;
    use crate::testing::flags_service as service;

    fn everyone(key: &str) -> FeatureFlag {
        FeatureFlag::new(
            FlagKey::parse(key).unwrap(),
            String::new(),
            true,
            RolloutPercent::ALL,
            Utc::now(),
        )
    }

    fn visitor() -> Subject {
        Subject::visitor(Uuid::now_v7())
    }

    #[tokio::test]
    async fn an_unknown_flag_is_off() {
        let (flags, _, _) = service(Duration::from_secs(60));
        assert!(!flags.is_enabled("no-such-flag", &visitor()).await);
    }

    #[tokio::test]
    async fn evaluations_are_served_from_the_cache_until_invalidated() {
        let (flags, repo, _) = service(Duration::from_secs(3600));
        repo.flags
            .lock()
            .unwrap()
            .insert("on".into(), everyone("on"));
        for _ in 0..5 {
            assert!(flags.is_enabled("on", &visitor()).await);
        }
        assert_eq!(repo.lists.load(Ordering::SeqCst), 1);

        // A change behind the service's back is not seen until something invalidates.
        repo.flags.lock().unwrap().clear();
        assert!(flags.is_enabled("on", &visitor()).await);
        flags.invalidate().await;
        assert!(!flags.is_enabled("on", &visitor()).await);
        assert_eq!(repo.lists.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_cache_is_reloaded() {
        let (flags, repo, _) = service(Duration::ZERO);
        flags.evaluate_all(&visitor()).await.unwrap();
        flags.evaluate_all(&visitor()).await.unwrap();
        assert_eq!(repo.lists.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn evaluate_all_answers_every_flag_for_the_subject() {
        let (flags, repo, _) = service(Duration::from_secs(60));
        let mut admins = everyone("admins");
        admins.roles = vec![Role::Admin];
        {
            let mut stored = repo.flags.lock().unwrap();
            stored.insert("on".into(), everyone("on"));
            stored.insert("admins".into(), admins);
        }
        let user = Subject::user(Uuid::now_v7(), Role::User, Tier::Free);
        let answers = flags.evaluate_all(&user).await.unwrap();
        assert_eq!(
            answers,
            BTreeMap::from([("admins".into(), false), ("on".into(), true)])
        );
    }

    #[tokio::test]
    async fn a_store_failure_turns_flags_off_but_fails_the_listing() {
        let (flags, repo, _) = service(Duration::from_secs(60));
        repo.flags
            .lock()
            .unwrap()
            .insert("on".into(), everyone("on"));
        repo.fail.store(true, Ordering::SeqCst);
        assert!(!flags.is_enabled("on", &visitor()).await);
        assert!(matches!(
            flags.evaluate_all(&visitor()).await,
            Err(AppError::Unavailable(_))
        ));
        // Failures are not cached.
        repo.fail.store(false, Ordering::SeqCst);
        assert!(flags.is_enabled("on", &visitor()).await);
    }
}
