//! The keys a process verifies access tokens with, cached from a [`VerificationKeys`] source
//! (identity's table or its JWKS) and refreshed on two triggers:
//!
//! - an unknown `kid`: another process rotated. The ring reloads before answering, at most once
//!   per `min_interval` (a flood of made-up key ids costs one fetch per interval, not one each);
//!   requests that arrive while a reload runs share its result.
//! - age: keys older than `max_age` are reloaded in the background on the next lookup, so a
//!   key that stopped verifying elsewhere (retired past its grace, gone from the JWKS) is
//!   dropped here too, while requests keep using the keys already loaded.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, RwLock,
    },
    time::{Duration, Instant},
};

use agora_domain::ports::{KeySourceError, VerificationKey, VerificationKeys};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Utc;
use jsonwebtoken::DecodingKey;

/// How often keys are re-read.
#[derive(Debug, Clone, Copy)]
pub struct KeyRefresh {
    /// Loaded keys (and a cached signer) older than this are re-read.
    pub max_age: Duration,
    /// An unknown key id triggers at most one reload per this interval.
    pub min_interval: Duration,
}

impl KeyRefresh {
    /// How long a new signing key waits before it signs: every JWKS served is at most
    /// `min_interval` old, so after twice that, any verifier that sees a token with the new key
    /// and refetches the JWKS finds the key in it — whichever identity replica answers.
    pub fn publish_delay(&self) -> Duration {
        self.min_interval * 2
    }
}

impl Default for KeyRefresh {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(60),
            min_interval: Duration::from_secs(2),
        }
    }
}

/// A cached, self-refreshing set of verification keys. Cheap to clone (shared).
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self.snapshot().keys.keys().cloned().collect();
        write!(f, "KeyRing({kids:?})")
    }
}

struct Inner {
    source: Arc<dyn VerificationKeys>,
    refresh: KeyRefresh,
    loaded: RwLock<Arc<Loaded>>,
    /// Held while fetching; holds when the last fetch ended (successful or not).
    fetching: tokio::sync::Mutex<Option<Instant>>,
    /// A background refresh is scheduled or running.
    refreshing: AtomicBool,
    /// Key ids a reload made for them did not find, until when to answer "unknown" at once.
    missing: Mutex<HashMap<String, Instant>>,
}

/// Bounds the memory of made-up key ids; the map is simply cleared when full.
const MISSING_CAPACITY: usize = 1024;

#[derive(Default)]
struct Loaded {
    at: Option<Instant>,
    keys: HashMap<String, RingKey>,
}

struct RingKey {
    decoding: Arc<DecodingKey>,
    x: String,
    source: VerificationKey,
}

impl RingKey {
    fn new(key: VerificationKey) -> Result<Self, String> {
        if key.public_key.len() != 32 {
            return Err(format!(
                "{} bytes, not an Ed25519 public key",
                key.public_key.len()
            ));
        }
        let x = URL_SAFE_NO_PAD.encode(&key.public_key);
        let decoding = DecodingKey::from_ed_components(&x).map_err(|e| e.to_string())?;
        Ok(Self {
            decoding: Arc::new(decoding),
            x,
            source: key,
        })
    }
}

impl KeyRing {
    /// An empty ring over `source`; call [`KeyRing::reload`] to fill it (or let the first
    /// unknown key id do it).
    pub fn new(source: Arc<dyn VerificationKeys>, refresh: KeyRefresh) -> Self {
        Self {
            inner: Arc::new(Inner {
                source,
                refresh,
                loaded: RwLock::default(),
                fetching: tokio::sync::Mutex::new(None),
                refreshing: AtomicBool::new(false),
                missing: Mutex::default(),
            }),
        }
    }

    fn snapshot(&self) -> Arc<Loaded> {
        self.inner
            .loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads the source now, regardless of the rate limit (start-up, or this process has just
    /// switched to a new signing key and must verify its tokens). Returns how many keys loaded.
    pub async fn reload(&self) -> Result<usize, KeySourceError> {
        let mut last = self.inner.fetching.lock().await;
        self.fetch(&mut last).await
    }

    /// A ring of fixed keys, loaded at once.
    pub fn fixed(keys: Vec<VerificationKey>) -> Self {
        let ring = Self::new(Arc::new(StaticKeys(keys.clone())), KeyRefresh::default());
        ring.install(keys);
        ring
    }

    async fn fetch(&self, last: &mut Option<Instant>) -> Result<usize, KeySourceError> {
        let fetched = self.inner.source.fetch().await;
        *last = Some(Instant::now());
        let fetched = fetched.inspect_err(|error| {
            tracing::warn!(%error, "could not reload verification keys; keeping the loaded ones");
        })?;
        Ok(self.install(fetched))
    }

    fn install(&self, fetched: Vec<VerificationKey>) -> usize {
        let mut keys = HashMap::new();
        for key in fetched {
            let kid = key.kid.clone();
            match RingKey::new(key) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(reason) => {
                    tracing::warn!(%kid, %reason, "ignoring an unusable verification key")
                }
            }
        }
        let count = keys.len();
        *self.inner.loaded.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Loaded {
            at: Some(Instant::now()),
            keys,
        });
        count
    }

    /// The key that verifies tokens with `kid`, if any does now.
    pub(crate) async fn decoding_key(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let snapshot = self.snapshot();
        if let Some(key) = snapshot.keys.get(kid) {
            let stale = snapshot
                .at
                .is_none_or(|at| at.elapsed() >= self.inner.refresh.max_age);
            if stale {
                self.refresh_in_background();
            }
            return usable(key);
        }
        if self.recently_missing(kid) {
            return None;
        }
        let asked = Instant::now();
        let mut last = self.inner.fetching.lock().await;
        let mut searched = false;
        // A reload that ended after we asked has already seen whatever we would see.
        if last.is_none_or(|ended| ended < asked) {
            if let Some(ended) = *last {
                // Bounded wait instead of a refusal: a key id that is new because of a real
                // rotation must verify, and waiting callers all share the one reload.
                let wait = self
                    .inner
                    .refresh
                    .min_interval
                    .saturating_sub(ended.elapsed());
                tokio::time::sleep(wait).await;
            }
            searched = self.fetch(&mut last).await.is_ok();
        }
        drop(last);
        let found = self.snapshot().keys.get(kid).and_then(usable);
        if found.is_none() && searched {
            // Identity publishes a key before any token names it, so a reload that started
            // after this token arrived and lacks its key id proves the id made up: the next
            // look-up (the rate limiter and the handler both verify) need not wait again.
            self.remember_missing(kid);
        }
        found
    }

    fn recently_missing(&self, kid: &str) -> bool {
        let missing = self.inner.missing.lock().unwrap_or_else(|p| p.into_inner());
        missing
            .get(kid)
            .is_some_and(|until| Instant::now() < *until)
    }

    fn remember_missing(&self, kid: &str) {
        let mut missing = self.inner.missing.lock().unwrap_or_else(|p| p.into_inner());
        if missing.len() >= MISSING_CAPACITY {
            missing.clear();
        }
        let until = Instant::now() + self.inner.refresh.min_interval;
        missing.insert(kid.to_owned(), until);
    }

    fn refresh_in_background(&self) {
        if self.inner.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let ring = self.clone();
        tokio::spawn(async move {
            {
                let mut last = ring.inner.fetching.lock().await;
                let due =
                    last.is_none_or(|ended| ended.elapsed() >= ring.inner.refresh.min_interval);
                if due {
                    let _ = ring.fetch(&mut last).await;
                }
            }
            ring.inner.refreshing.store(false, Ordering::Release);
        });
    }

    /// Re-reads the source unless the keys (or the last attempt) are younger than
    /// `min_interval`: what a published JWKS needs, since verifiers fetch it precisely when
    /// they meet a key they do not know.
    pub async fn refresh_if_stale(&self) {
        let min_interval = self.inner.refresh.min_interval;
        let young = |ring: &Self| {
            ring.snapshot()
                .at
                .is_some_and(|at| at.elapsed() < min_interval)
        };
        if young(self) {
            return;
        }
        let mut last = self.inner.fetching.lock().await;
        if young(self) || last.is_some_and(|ended| ended.elapsed() < min_interval) {
            return;
        }
        let _ = self.fetch(&mut last).await;
    }

    /// Every key that verifies now, as a JWK Set (public parts only).
    pub fn jwks(&self) -> serde_json::Value {
        let now = Utc::now();
        let snapshot = self.snapshot();
        let mut keys: Vec<&RingKey> = snapshot
            .keys
            .values()
            .filter(|key| key.source.usable_at(now))
            .collect();
        keys.sort_by(|a, b| a.source.kid.cmp(&b.source.kid));
        let keys: Vec<serde_json::Value> = keys
            .into_iter()
            .map(|key| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": key.x, "kid": key.source.kid,
                    "alg": "EdDSA", "use": "sig",
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

fn usable(key: &RingKey) -> Option<Arc<DecodingKey>> {
    key.source
        .usable_at(Utc::now())
        .then(|| key.decoding.clone())
}

/// A fixed list of keys (a configured key's public half).
#[derive(Debug, Clone)]
pub struct StaticKeys(pub Vec<VerificationKey>);

#[async_trait::async_trait]
impl VerificationKeys for StaticKeys {
    async fn fetch(&self) -> Result<Vec<VerificationKey>, KeySourceError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
mod tests;
