//! The built-in fake payment provider: authorizes, captures and refunds in memory, idempotent by
//! key like a real provider's API, and declines on demand (`orders.payment_decline_amount`).
//! A real provider is another [`PaymentProvider`] chosen in `modules/orders.rs` (ADR 0016).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use agora_domain::{
    catalog::Money,
    ports::{PaymentError, PaymentProvider},
};
use async_trait::async_trait;

#[derive(Debug, Default)]
struct Ledger {
    /// key → (reference, amount, declined)
    authorizations: HashMap<String, (String, Money, bool)>,
    /// Capture keys already taken.
    captured: HashMap<String, Money>,
    /// Refund keys already given back.
    refunded: HashMap<String, Money>,
}

/// An in-memory payment provider for development and tests.
#[derive(Debug, Clone, Default)]
pub struct FakePaymentProvider {
    decline_amount: Option<i64>,
    ledger: Arc<Mutex<Ledger>>,
}

impl FakePaymentProvider {
    /// A provider that declines every payment of exactly `decline_amount` minor units.
    pub fn new(decline_amount: Option<i64>) -> Self {
        Self {
            decline_amount,
            ledger: Arc::default(),
        }
    }

    /// How many distinct captures were made (money actually taken), for tests.
    pub fn captures(&self) -> usize {
        self.lock().captured.len()
    }

    /// How many distinct refunds were made, for tests.
    pub fn refunds(&self) -> usize {
        self.lock().refunded.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl PaymentProvider for FakePaymentProvider {
    async fn authorize(&self, key: &str, amount: Money) -> Result<String, PaymentError> {
        let declined = self.decline_amount == Some(amount.amount);
        let mut ledger = self.lock();
        let entry = ledger
            .authorizations
            .entry(key.to_owned())
            .or_insert_with(|| {
                (
                    format!("fake_{}", uuid::Uuid::now_v7().simple()),
                    amount,
                    declined,
                )
            });
        if entry.2 {
            return Err(PaymentError::Declined(format!(
                "the fake provider declines {} {}",
                amount.amount, amount.currency
            )));
        }
        Ok(entry.0.clone())
    }

    async fn capture(&self, key: &str, reference: &str) -> Result<(), PaymentError> {
        let mut ledger = self.lock();
        let Some((known, amount, false)) = ledger.authorizations.get(key).cloned() else {
            return Err(PaymentError::Declined(
                "no authorization for this key".into(),
            ));
        };
        if known != reference {
            return Err(PaymentError::Declined("reference does not match".into()));
        }
        ledger.captured.entry(key.to_owned()).or_insert(amount);
        Ok(())
    }

    async fn refund(&self, key: &str, reference: &str, amount: Money) -> Result<(), PaymentError> {
        let mut ledger = self.lock();
        let captured = ledger
            .authorizations
            .iter()
            .any(|(k, (r, _, _))| r == reference && ledger.captured.contains_key(k));
        if !captured {
            return Err(PaymentError::Declined(
                "nothing captured under this reference".into(),
            ));
        }
        ledger.refunded.entry(key.to_owned()).or_insert(amount);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agora_domain::catalog::Currency;

    use super::*;

    fn eur(amount: i64) -> Money {
        Money::price(amount, Currency::parse("EUR", "c").unwrap()).unwrap()
    }

    #[tokio::test]
    async fn repeating_a_key_never_moves_money_twice() {
        let provider = FakePaymentProvider::new(None);
        let reference = provider.authorize("k1", eur(500)).await.unwrap();
        assert_eq!(provider.authorize("k1", eur(500)).await.unwrap(), reference);
        provider.capture("k1", &reference).await.unwrap();
        provider.capture("k1", &reference).await.unwrap();
        assert_eq!(provider.captures(), 1);
        provider.refund("r1", &reference, eur(500)).await.unwrap();
        provider.refund("r1", &reference, eur(500)).await.unwrap();
        assert_eq!(provider.refunds(), 1);
    }

    #[tokio::test]
    async fn the_configured_amount_is_declined_and_nothing_is_captured() {
        let provider = FakePaymentProvider::new(Some(1313));
        assert!(matches!(
            provider.authorize("k", eur(1313)).await,
            Err(PaymentError::Declined(_))
        ));
        assert!(provider.capture("k", "any").await.is_err());
        assert_eq!(provider.captures(), 0);
        assert!(provider.authorize("k2", eur(1314)).await.is_ok());
    }
}
