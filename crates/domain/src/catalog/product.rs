use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Money;
use crate::FieldError;

/// Stock keeping unit: 3–32 characters of `A–Z`, `0–9` and `-`, starting with a letter or digit;
/// stored upper-cased so `ab-1` and `AB-1` are the same article.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sku(String);

impl Sku {
    /// Parses user input.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let sku = raw.trim().to_ascii_uppercase();
        if sku.is_empty() {
            return Err(FieldError::new("sku", "SKU is required"));
        }
        let valid = (3..=32).contains(&sku.len())
            && sku
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && sku
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(FieldError::new(
                "sku",
                "SKU must be 3-32 characters of letters, digits and dashes, starting with a letter or digit",
            ));
        }
        Ok(Self(sku))
    }

    /// The normalised SKU.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product name: 1–200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductName(String);

impl ProductName {
    /// Parses user input.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        match name.chars().count() {
            0 => Err(FieldError::new("name", "Name is required")),
            1..=200 => Ok(Self(name.to_owned())),
            _ => Err(FieldError::new(
                "name",
                "Name must be at most 200 characters",
            )),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product description: up to 5000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description(String);

impl Description {
    /// Parses user input (empty allowed).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        if text.chars().count() > 5000 {
            return Err(FieldError::new(
                "description",
                "Description must be at most 5000 characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product for sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// UUID v7.
    pub id: Uuid,
    /// Unique article number.
    pub sku: Sku,
    /// Name.
    pub name: ProductName,
    /// Description.
    pub description: Description,
    /// Unit price.
    pub price: Money,
    /// Units in stock (never negative).
    pub stock: u32,
    /// Category, if any.
    pub category_id: Option<Uuid>,
    /// Inactive products are hidden from everyone but admins (soft delete).
    pub active: bool,
    /// Optimistic concurrency: every update must name the version it read; it then increments.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A product category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// UUID v7.
    pub id: Uuid,
    /// URL-friendly unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn skus_normalise_and_follow_the_pattern() {
        assert_eq!(Sku::parse(" ab-12 ").unwrap().as_str(), "AB-12");
        let too_long = "A".repeat(33);
        for bad in ["", "ab", "-AB1", "AB 12", "AB_12", too_long.as_str()] {
            assert!(Sku::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn valid_skus_round_trip(sku in "[A-Z0-9][A-Z0-9-]{2,31}") {
            let parsed = Sku::parse(&sku).unwrap();
            prop_assert_eq!(parsed.as_str(), sku.as_str());
        }

        #[test]
        fn names_are_one_to_two_hundred_chars(name in "\\PC{0,210}") {
            let len = name.trim().chars().count();
            prop_assert_eq!(ProductName::parse(&name).is_ok(), (1..=200).contains(&len));
        }
    }
}
