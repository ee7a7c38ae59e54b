use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// ISO 4217 codes the shop accepts. An allowlist rather than "any three letters": prices in a
/// currency nobody can pay in are data errors.
pub const CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY", "CAD", "AUD",
];

/// An allowlisted ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static str);

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code, "currency").map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl Currency {
    /// Parses a code (case-insensitive), reporting the API message on failure.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let upper = raw.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|c| **c == upper)
            .map(|c| Currency(c))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("Currency must be one of: {}", CURRENCIES.join(", ")),
                )
            })
    }

    /// The code.
    pub fn code(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// An amount in minor units (cents) of a currency; never negative in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
}

impl Money {
    /// A price: `amount` ≥ 0 minor units (at most 10^12, far beyond any product).
    pub fn price(amount: i64, currency: Currency) -> Result<Self, FieldError> {
        if !(0..=1_000_000_000_000).contains(&amount) {
            return Err(FieldError::new(
                "price.amount",
                "Price must be between 0 and 1000000000000 minor units",
            ));
        }
        Ok(Self { amount, currency })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn currencies_are_allowlisted_and_case_insensitive() {
        assert_eq!(Currency::parse("eur", "currency").unwrap().code(), "EUR");
        assert!(Currency::parse("XXX", "currency").is_err());
        assert!(Currency::parse("", "currency").is_err());
    }

    proptest! {
        #[test]
        fn prices_are_never_negative(amount in any::<i64>()) {
            let eur = Currency::parse("EUR", "c").unwrap();
            prop_assert_eq!(Money::price(amount, eur).is_ok(), (0..=1_000_000_000_000).contains(&amount));
        }

        #[test]
        fn only_allowlisted_codes_parse(code in "[A-Za-z]{3}") {
            let ok = CURRENCIES.contains(&code.to_ascii_uppercase().as_str());
            prop_assert_eq!(Currency::parse(&code, "c").is_ok(), ok);
        }
    }
}
