//! A payment provider fake with a real provider's idempotency, counting the money it moves.

use std::{
    collections::{HashMap, HashSet},
    sync::{atomic::AtomicBool, Mutex},
};

use agora_domain::{
    catalog::Money,
    ports::{PaymentError, PaymentProvider},
};
use async_trait::async_trait;

#[derive(Debug, Default)]
struct Ledger {
    /// key → reference
    authorized: HashMap<String, String>,
    /// Authorization keys whose money was taken.
    captured: HashSet<String>,
    /// Refund keys whose money was given back.
    refunded: HashSet<String>,
    /// Every call made, as `"authorize <key>"`, `"capture <key>"`, `"refund <key>"`.
    calls: Vec<String>,
}

/// A payment provider with a real provider's idempotency (a key moves money once) that counts
/// what it did; it declines one amount and can be taken down.
#[derive(Debug, Default)]
pub struct FakeProvider {
    ledger: Mutex<Ledger>,
    /// Payments of exactly this many minor units are declined.
    pub decline_amount: Mutex<Option<i64>>,
    /// While set, every call fails as unreachable.
    pub down: AtomicBool,
}

impl FakeProvider {
    /// Distinct captures: money actually taken.
    pub fn captures(&self) -> usize {
        self.ledger.lock().unwrap().captured.len()
    }
    /// Distinct refunds: money actually given back.
    pub fn refunds(&self) -> usize {
        self.ledger.lock().unwrap().refunded.len()
    }
    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.ledger.lock().unwrap().calls.clone()
    }

    fn enter(&self, call: String) -> Result<std::sync::MutexGuard<'_, Ledger>, PaymentError> {
        let mut ledger = self.ledger.lock().unwrap();
        ledger.calls.push(call);
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PaymentError::Unavailable("provider down (test)".into()));
        }
        Ok(ledger)
    }
}

#[async_trait]
impl PaymentProvider for FakeProvider {
    async fn authorize(&self, key: &str, amount: Money) -> Result<String, PaymentError> {
        let decline = *self.decline_amount.lock().unwrap() == Some(amount.amount);
        let mut ledger = self.enter(format!("authorize {key}"))?;
        if decline {
            return Err(PaymentError::Declined("declined (test)".into()));
        }
        Ok(ledger
            .authorized
            .entry(key.to_owned())
            .or_insert_with(|| format!("ref-{key}"))
            .clone())
    }
    async fn capture(&self, key: &str, reference: &str) -> Result<(), PaymentError> {
        let mut ledger = self.enter(format!("capture {key}"))?;
        if ledger.authorized.get(key).map(String::as_str) != Some(reference) {
            return Err(PaymentError::Declined("not authorized".into()));
        }
        ledger.captured.insert(key.to_owned());
        Ok(())
    }
    async fn refund(&self, key: &str, reference: &str, _: Money) -> Result<(), PaymentError> {
        let mut ledger = self.enter(format!("refund {key}"))?;
        let captured = ledger
            .authorized
            .iter()
            .any(|(k, r)| r == reference && ledger.captured.contains(k));
        if !captured {
            return Err(PaymentError::Declined("nothing captured".into()));
        }
        ledger.refunded.insert(key.to_owned());
        Ok(())
    }
}
