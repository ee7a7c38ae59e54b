use std::fmt;

use crate::FieldError;

/// A syntactically valid e-mail address, trimmed and lower-cased so that `Ann@X.org ` and
/// `ann@x.org` are the same account (API.md: "stored lower-cased").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

/// RFC 5321 caps a forward path at 256 octets including the angle brackets.
const MAX_LEN: usize = 254;

impl Email {
    /// Parses user input, reporting the API's exact messages on failure.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let candidate = raw.trim().to_lowercase();
        if candidate.is_empty() {
            return Err(FieldError::new("email", "Email is required"));
        }
        if candidate.len() > MAX_LEN || !is_plausible_address(&candidate) {
            return Err(FieldError::new("email", "Invalid email"));
        }
        Ok(Self(candidate))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A deliberately pragmatic check: one `@`, a non-empty local part without spaces, and a domain
/// of dot-separated labels. Full RFC 5322 grammar accepts addresses no mail system delivers.
fn is_plausible_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return false;
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_input_is_required_not_invalid() {
        assert_eq!(
            Email::parse("   ").unwrap_err().message,
            "Email is required"
        );
    }

    #[test]
    fn common_mistakes_are_invalid() {
        for bad in [
            "ann",
            "ann@",
            "@x.org",
            "ann@x",
            "ann@@x.org",
            "an n@x.org",
            "ann@x..org",
            "ann@-x.org",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err().message,
                "Invalid email",
                "{bad}"
            );
        }
    }

    #[test]
    fn case_and_surrounding_whitespace_normalise() {
        assert_eq!(
            Email::parse("  Ann.Lee@Example.ORG ").unwrap().as_str(),
            "ann.lee@example.org"
        );
    }

    proptest! {
        #[test]
        fn valid_addresses_round_trip_lowercased(
            local in "[a-zA-Z0-9][a-zA-Z0-9._+-]{0,20}[a-zA-Z0-9]",
            domain in "[a-zA-Z0-9]{1,20}",
            tld in "[a-zA-Z]{2,6}",
        ) {
            prop_assume!(!local.contains(".."));
            let raw = format!("{local}@{domain}.{tld}");
            let email = Email::parse(&raw).unwrap();
            prop_assert_eq!(email.as_str(), raw.to_lowercase());
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
        }

        #[test]
        fn never_panics_and_never_accepts_overlong(raw in ".{0,400}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert!(email.as_str().len() <= MAX_LEN);
                prop_assert!(email.as_str().contains('@'));
            }
        }
    }
}
