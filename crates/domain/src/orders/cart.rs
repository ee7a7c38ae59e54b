use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    catalog::{Currency, Money},
    FieldError,
};

/// The most units of one product a cart line (and so an order line) may hold.
pub const MAX_QUANTITY: u32 = 99;

/// How many units of one product: 1–99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Quantity(u32);

impl Quantity {
    /// Parses a client's number (any integer; out of range is a validation error on `quantity`).
    pub fn parse(raw: i64) -> Result<Self, FieldError> {
        match u32::try_from(raw) {
            Ok(n) if (1..=MAX_QUANTITY).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new(
                "quantity",
                format!("Quantity must be an integer between 1 and {MAX_QUANTITY}"),
            )),
        }
    }

    /// The number of units.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// One product in a user's cart. Only the product id and quantity are kept: names and prices are
/// read from the catalog each time the cart is shown, so a cart never shows a stale price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLine {
    /// The product.
    pub product_id: Uuid,
    /// Units wanted.
    pub quantity: Quantity,
    /// When the line was first added (lines are shown in this order).
    pub added_at: DateTime<Utc>,
}

/// Why a total cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotalError {
    /// Nothing to add up.
    #[error("no lines")]
    Empty,
    /// Lines in more than one currency: a cart holds one currency only.
    #[error("lines in {expected} and {found}")]
    MixedCurrencies {
        /// The currency of the first line.
        expected: Currency,
        /// Another line's currency.
        found: Currency,
    },
    /// The sum does not fit in minor units (a corrupt price, never a real cart).
    #[error("total out of range")]
    Overflow,
}

/// `price × quantity`, checked.
pub fn line_total(price: Money, quantity: Quantity) -> Result<Money, TotalError> {
    let amount = price
        .amount
        .checked_mul(i64::from(quantity.get()))
        .ok_or(TotalError::Overflow)?;
    Ok(Money {
        amount,
        currency: price.currency,
    })
}

/// The sum of line totals, all in one currency.
pub fn order_total(lines: &[Money]) -> Result<Money, TotalError> {
    let first = lines.first().ok_or(TotalError::Empty)?;
    let mut amount: i64 = 0;
    for line in lines {
        if line.currency != first.currency {
            return Err(TotalError::MixedCurrencies {
                expected: first.currency,
                found: line.currency,
            });
        }
        amount = amount
            .checked_add(line.amount)
            .ok_or(TotalError::Overflow)?;
    }
    Ok(Money {
        amount,
        currency: first.currency,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur(amount: i64) -> Money {
        Money::price(amount, Currency::parse("EUR", "c").unwrap()).unwrap()
    }

    #[test]
    fn quantity_bounds_are_one_and_ninety_nine() {
        for bad in [0, 100, -1, i64::MIN, i64::MAX, i64::from(u32::MAX) + 1] {
            assert_eq!(Quantity::parse(bad).unwrap_err().field, "quantity", "{bad}");
        }
        assert_eq!(Quantity::parse(1).unwrap().get(), 1);
        assert_eq!(Quantity::parse(99).unwrap().get(), 99);
    }

    #[test]
    fn a_total_needs_lines_in_one_currency() {
        assert_eq!(order_total(&[]), Err(TotalError::Empty));
        let usd = Money::price(5, Currency::parse("USD", "c").unwrap()).unwrap();
        assert!(matches!(
            order_total(&[eur(5), usd]),
            Err(TotalError::MixedCurrencies { .. })
        ));
    }

    proptest! {
        #[test]
        fn quantities_parse_exactly_in_range(raw in any::<i64>()) {
            prop_assert_eq!(Quantity::parse(raw).is_ok(), (1..=99).contains(&raw));
        }

        #[test]
        fn a_line_total_is_price_times_quantity(price in 0..=1_000_000_000_000_i64, quantity in 1..=99_i64) {
            let total = line_total(eur(price), Quantity::parse(quantity).unwrap()).unwrap();
            prop_assert_eq!(total.amount, price * quantity);
            prop_assert_eq!(total.currency.code(), "EUR");
        }

        #[test]
        fn an_order_total_is_the_sum_of_its_lines_in_any_order(
            lines in prop::collection::vec((0..=10_000_000_i64, 1..=99_i64), 1..20)
        ) {
            let totals: Vec<Money> = lines
                .iter()
                .map(|(p, q)| line_total(eur(*p), Quantity::parse(*q).unwrap()).unwrap())
                .collect();
            let expected: i64 = lines.iter().map(|(p, q)| p * q).sum();
            let total = order_total(&totals).unwrap();
            prop_assert_eq!(total.amount, expected);
            let mut reversed = totals.clone();
            reversed.reverse();
            prop_assert_eq!(order_total(&reversed).unwrap(), total);
            prop_assert!(total.amount >= totals.iter().map(|m| m.amount).max().unwrap_or(0));
        }

        #[test]
        fn totals_never_overflow_silently(a in any::<i64>(), b in any::<i64>()) {
            let cur = Currency::parse("EUR", "c").unwrap();
            let lines = [Money { amount: a, currency: cur }, Money { amount: b, currency: cur }];
            match order_total(&lines) {
                Ok(total) => prop_assert_eq!(Some(total.amount), a.checked_add(b)),
                Err(error) => {
                    prop_assert_eq!(error, TotalError::Overflow);
                    prop_assert!(a.checked_add(b).is_none());
                }
            }
        }
    }
}
