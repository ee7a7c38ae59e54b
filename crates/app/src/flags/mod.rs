//! Feature flags: evaluation for callers and for other modules (through an in-process cache kept
//! coherent across replicas), administration, and the default flags `agora seed` creates.
//! Handlers call exactly one method of [`Flags`] per request; other modules ask
//! [`Flags::is_enabled`].

mod admin;
mod cache;
mod seed;

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use agora_domain::{
    flags::{evaluate, FeatureFlag, Subject},
    ports::{FlagChangeListener, FlagChangeNotifier, FlagRepository, UnitOfWork},
};

pub use admin::{FlagChange, NewFlagInput};
pub use seed::{SeedFlag, SeedOutcome, SEED_FLAGS};

use self::cache::FlagCache;
use crate::AppError;

/// The ports flags need, wired once by the composition root.
#[derive(Clone)]
pub struct FlagsDeps {
    /// Transactions.
    pub uow: Arc<dyn UnitOfWork>,
    /// Flag persistence.
    pub flags: Arc<dyn FlagRepository>,
    /// Tells the other replicas that flags changed.
    pub notifier: Arc<dyn FlagChangeNotifier>,
}

/// Tunables of the flags context.
#[derive(Debug, Clone)]
pub struct FlagsSettings {
    /// How long a replica may answer from its cached flag list. Local changes and change
    /// notifications drop the cache at once; the TTL bounds staleness when a notification is
    /// lost (or none is configured).
    pub cache_ttl: Duration,
}

impl Default for FlagsSettings {
    fn default() -> Self {
        Self {
            cache_ttl: Duration::from_secs(5),
        }
    }
}

/// The flags application service. Cheap to clone; clones share one cache.
#[derive(Clone)]
pub struct Flags {
    deps: FlagsDeps,
    cache: Arc<FlagCache>,
}

/// Every flag by key, as evaluation sees it.
type Snapshot = Arc<BTreeMap<String, FeatureFlag>>;

impl Flags {
    /// Builds the service with an empty cache.
    pub fn new(deps: FlagsDeps, settings: FlagsSettings) -> Self {
        Self {
            deps,
            cache: Arc::new(FlagCache::new(settings.cache_ttl)),
        }
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

    /// Drops the cached flags; the next evaluation reads the store.
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }

    /// The cached flags, or a fresh read when the cache is empty, expired or invalidated.
    async fn snapshot(&self) -> Result<Snapshot, AppError> {
        if let Some(flags) = self.cache.get(Instant::now()) {
            return Ok(flags);
        }
        let generation = self.cache.generation();
        let flags: Snapshot = Arc::new(
            self.deps
                .flags
                .list()
                .await?
                .into_iter()
                .map(|flag| (flag.key.as_str().to_owned(), flag))
                .collect(),
        );
        self.cache.store(generation, flags.clone(), Instant::now());
        Ok(flags)
    }

    /// After a committed change: this replica's cache goes at once, the others are told. A lost
    /// notification is logged, not an error — the change is committed, and the other replicas'
    /// caches expire within the TTL.
    async fn changed(&self) {
        self.cache.invalidate();
        if let Err(error) = self.deps.notifier.publish().await {
            tracing::warn!(%error, "could not notify other replicas of a flag change");
        }
    }
}

/// Change notifications from other replicas (and this one) drop the cache.
impl FlagChangeListener for Flags {
    fn flags_changed(&self) {
        self.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use agora_domain::{
        flags::{FlagKey, RolloutPercent},
        identity::{Role, Tier},
    };
    use chrono::Utc;
    use uuid::Uuid;

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
        flags.flags_changed();
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
