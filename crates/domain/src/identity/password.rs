use std::fmt;

use crate::FieldError;

/// A plaintext password that satisfies the policy (API.md "Validation rules"). It never prints,
/// so it cannot leak through logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

const MIN_LEN: usize = 8;
const MAX_LEN: usize = 128;

impl Password {
    /// Checks the policy; `field` is the JSON field being validated (`password`, `newPassword`).
    /// The first broken rule is reported, in the order a user would fix them.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        let error = |message: &str| Err(FieldError::new(field, message));
        if raw.is_empty() {
            return error("Password is required");
        }
        if chars < MIN_LEN {
            return error("Password must be at least 8 characters");
        }
        if chars > MAX_LEN {
            return error("Password must be at most 128 characters");
        }
        if !raw.chars().any(char::is_uppercase) {
            return error("Password must contain an uppercase letter");
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            return error("Password must contain a number");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The plaintext, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// An optional age: an integer 1–120.
pub fn parse_age(raw: Option<i64>) -> Result<Option<u8>, FieldError> {
    match raw {
        None => Ok(None),
        Some(age) if (1..=120).contains(&age) => Ok(u8::try_from(age).ok()),
        Some(_) => Err(FieldError::new("age", "Age must be between 1 and 120")),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn message(raw: &str) -> String {
        Password::parse(raw, "password").unwrap_err().message
    }

    #[test]
    fn each_rule_has_its_api_message() {
        assert_eq!(message(""), "Password is required");
        assert_eq!(message("Ab1"), "Password must be at least 8 characters");
        assert_eq!(
            message("abcdefg1"),
            "Password must contain an uppercase letter"
        );
        assert_eq!(message("Abcdefgh"), "Password must contain a number");
        assert_eq!(
            message(&format!("A1{}", "a".repeat(127))),
            "Password must be at most 128 characters"
        );
        assert!(Password::parse("Abcdefg1", "password").is_ok());
    }

    #[test]
    fn debug_never_shows_the_plaintext() {
        let password = Password::parse("Secret123", "password").unwrap();
        assert!(!format!("{password:?}").contains("Secret123"));
    }

    #[test]
    fn age_bounds() {
        assert_eq!(parse_age(None).unwrap(), None);
        assert_eq!(parse_age(Some(1)).unwrap(), Some(1));
        assert_eq!(parse_age(Some(120)).unwrap(), Some(120));
        assert!(parse_age(Some(0)).is_err());
        assert!(parse_age(Some(121)).is_err());
    }

    proptest! {
        #[test]
        fn accepted_exactly_when_every_rule_holds(raw in "\\PC{0,140}") {
            let n = raw.chars().count();
            let ok = (8..=128).contains(&n)
                && raw.chars().any(char::is_uppercase)
                && raw.chars().any(|c| c.is_ascii_digit());
            prop_assert_eq!(Password::parse(&raw, "password").is_ok(), ok);
        }
    }
}
