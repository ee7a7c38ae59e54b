use std::fmt;

use crate::FieldError;

/// A person's display name: 2–50 characters after trimming (API.md "Validation rules").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Parses user input; counts characters, not bytes, so non-Latin names get the same room.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            return Err(FieldError::new("name", "Name is required"));
        }
        if !(2..=50).contains(&chars) {
            return Err(FieldError::new(
                "name",
                "Name must be between 2 and 50 characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn accepts_exactly_two_to_fifty_chars_after_trim(core in "\\PC{0,60}", pad in " {0,3}") {
            let raw = format!("{pad}{core}{pad}");
            let len = raw.trim().chars().count();
            match PersonName::parse(&raw) {
                Ok(name) => {
                    prop_assert!((2..=50).contains(&len));
                    prop_assert_eq!(name.as_str(), raw.trim());
                }
                Err(_) => prop_assert!(!(2..=50).contains(&len)),
            }
        }
    }
}
