//! The ring's refresh policy against a source the tests control.

use std::sync::atomic::AtomicUsize;

use super::*;

/// A source whose keys the test changes, counting fetches.
#[derive(Default)]
struct Source {
    keys: Mutex<Vec<VerificationKey>>,
    fetches: AtomicUsize,
}

#[async_trait::async_trait]
impl VerificationKeys for Source {
    async fn fetch(&self) -> Result<Vec<VerificationKey>, KeySourceError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(self.keys.lock().unwrap().clone())
    }
}

fn key(kid: &str) -> VerificationKey {
    VerificationKey {
        kid: kid.into(),
        public_key: crate::identity::SigningKey::generate().public_key(),
        verifies_until: None,
    }
}

fn ring(source: &Arc<Source>, min_interval: Duration) -> KeyRing {
    let refresh = KeyRefresh {
        max_age: Duration::from_secs(3600),
        min_interval,
    };
    KeyRing::new(source.clone(), refresh)
}

#[tokio::test]
async fn an_unknown_kid_reloads_and_finds_a_rotated_key() {
    let source = Arc::new(Source::default());
    source.keys.lock().unwrap().push(key("old"));
    let ring = ring(&source, Duration::from_millis(50));
    ring.reload().await.unwrap();
    // Another process rotates: the first token naming the new key makes the ring reload.
    source.keys.lock().unwrap().push(key("new"));
    assert!(ring.decoding_key("new").await.is_some());
    assert!(ring.decoding_key("old").await.is_some());
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_kid_missed_once_is_looked_for_again_after_the_interval() {
    let source = Arc::new(Source::default());
    let ring = ring(&source, Duration::from_millis(50));
    ring.reload().await.unwrap();
    assert!(ring.decoding_key("late").await.is_none());
    source.keys.lock().unwrap().push(key("late"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while ring.decoding_key("late").await.is_none() {
        assert!(Instant::now() < deadline, "never reloaded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn made_up_kids_cost_one_reload_per_interval() {
    let source = Arc::new(Source::default());
    let ring = ring(&source, Duration::from_secs(3600));
    ring.reload().await.unwrap();
    // A reload just ran: the next is an hour away, so a caller would wait; with every
    // caller arriving while none is due, the source is not hammered.
    let lookups: Vec<_> = (0..20)
        .map(|i| {
            let ring = ring.clone();
            tokio::spawn(async move { ring.decoding_key(&format!("bogus{i}")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(source.fetches.load(Ordering::SeqCst), 1);
    for lookup in lookups {
        lookup.abort();
    }
}

#[tokio::test]
async fn a_made_up_kid_is_refused_at_once_after_one_reload_missed_it() {
    let source = Arc::new(Source::default());
    let ring = ring(&source, Duration::from_millis(300));
    ring.reload().await.unwrap();
    assert!(ring.decoding_key("bogus").await.is_none());
    let again = Instant::now();
    assert!(ring.decoding_key("bogus").await.is_none());
    assert!(again.elapsed() < Duration::from_millis(100));
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_retired_key_stops_verifying_and_leaves_the_jwks_after_its_grace() {
    let source = Arc::new(Source::default());
    let mut retired = key("retired");
    retired.verifies_until = Some(Utc::now() - chrono::Duration::seconds(1));
    let mut retiring = key("retiring");
    retiring.verifies_until = Some(Utc::now() + chrono::Duration::seconds(600));
    source
        .keys
        .lock()
        .unwrap()
        .extend([retired, retiring, key("current")]);
    let ring = ring(&source, Duration::from_millis(1));
    ring.reload().await.unwrap();
    assert!(ring.decoding_key("retired").await.is_none());
    assert!(ring.decoding_key("retiring").await.is_some());
    let kids: Vec<String> = ring.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, ["current", "retiring"]);
}
