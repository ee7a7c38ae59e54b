use std::fmt;

use crate::FieldError;

/// The name of a flag, as code and URLs use it: 2–63 characters of lowercase ASCII letters,
/// digits and `-`, starting with a letter or digit (`^[a-z0-9][a-z0-9-]{1,62}$`). Short and
/// URL-safe, so `PATCH /api/admin/flags/{key}` never needs escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlagKey(String);

const MAX_LEN: usize = 63;

impl FlagKey {
    /// Parses user input. Not trimmed or lower-cased: a key is an identifier compared byte for
    /// byte by callers (`is_enabled("new-checkout-flow", …)`), so a near miss is an error.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new("key", "Key is required"));
        }
        if !is_valid(raw) {
            return Err(FieldError::new(
                "key",
                "Key must be 2 to 63 characters of lowercase letters, digits and '-', \
                 starting with a letter or digit",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let first_ok = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (2..=MAX_LEN).contains(&bytes.len())
        && first_ok
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

impl fmt::Display for FlagKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for FlagKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn typical_keys_are_accepted() {
        for good in ["new-checkout-flow", "ab", "0-", "a1", &"x".repeat(63)] {
            assert_eq!(FlagKey::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn near_misses_are_rejected_with_the_key_field() {
        for bad in [
            "a",
            "-abc",
            "New-checkout",
            "new_checkout",
            "new checkout",
            " new-checkout",
            "new-checkout ",
            "new.checkout",
            "café",
            &"x".repeat(64),
        ] {
            let error = FlagKey::parse(bad).unwrap_err();
            assert_eq!(error.field, "key", "{bad}");
            assert!(error.message.starts_with("Key must be"), "{bad}");
        }
        assert_eq!(FlagKey::parse("").unwrap_err().message, "Key is required");
    }

    proptest! {
        #[test]
        fn every_key_of_the_pattern_round_trips(raw in "[a-z0-9][a-z0-9-]{1,62}") {
            let key = FlagKey::parse(&raw).unwrap();
            prop_assert_eq!(key.as_str(), raw.as_str());
            prop_assert_eq!(FlagKey::parse(key.as_str()).unwrap(), key);
        }

        #[test]
        fn anything_accepted_matches_the_pattern(raw in "\\PC{0,70}") {
            if let Ok(key) = FlagKey::parse(&raw) {
                let text = key.as_str();
                prop_assert!((2..=63).contains(&text.len()));
                prop_assert!(!text.starts_with('-'));
                prop_assert!(text.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-')));
            }
        }

        #[test]
        fn a_forbidden_character_anywhere_is_rejected(
            prefix in "[a-z0-9]{1,20}",
            bad in "[A-Z_. /:%é]",
            suffix in "[a-z0-9-]{0,20}",
        ) {
            let raw = format!("{prefix}{bad}{suffix}");
            prop_assert!(FlagKey::parse(&raw).is_err());
        }
    }
}
