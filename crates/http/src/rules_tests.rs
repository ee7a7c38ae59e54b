//! Each pattern against the domain parser it describes: on arbitrary text (including the
//! whitespace `trim` removes, control characters, non-ASCII), and at the length boundaries.

use agora_domain::{
    catalog::{Currency, Description, ProductName, Sku},
    flags::{parse_description, FlagKey},
    identity::{Password, PersonName},
};
use std::sync::LazyLock;

use agora_domain::identity::Email;
use proptest::prelude::*;
use regex::{Regex, RegexBuilder};

use super::*;
use crate::extract::forbidden_char;

fn compile(pattern: &str) -> Regex {
    // The counted repetitions of long texts compile to large automata.
    RegexBuilder::new(pattern)
        .size_limit(1 << 30)
        .build()
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

/// What the server accepts: no forbidden character anywhere in the body, then the parser.
fn accepted(text: &str, parser: fn(&str) -> bool) -> bool {
    !text.chars().any(forbidden_char) && parser(text)
}

type Parser = fn(&str) -> bool;

/// Each exact pattern, compiled once (the long texts take a while), with its parser.
static PAIRS: LazyLock<Vec<(&'static str, Regex, Parser)>> = LazyLock::new(|| {
    pairs()
        .into_iter()
        .map(|(name, pattern, parser)| (name, compile(&pattern), parser))
        .collect()
});

fn pairs() -> Vec<(&'static str, String, Parser)> {
    vec![
        ("sku", sku_pattern(), |s| Sku::parse(s).is_ok()),
        ("currency", currency_pattern(), |s| {
            Currency::parse(s, "currency").is_ok()
        }),
        ("product name", trimmed_text_pattern(1, 200), |s| {
            ProductName::parse(s).is_ok()
        }),
        ("product description", trimmed_text_pattern(0, 5000), |s| {
            Description::parse(s).is_ok()
        }),
        ("person name", trimmed_text_pattern(2, 50), |s| {
            PersonName::parse(s).is_ok()
        }),
        ("flag key", FLAG_KEY_PATTERN.to_owned(), |s| {
            FlagKey::parse(s).is_ok()
        }),
        (
            "flag description",
            trimmed_text_pattern(0, MAX_DESCRIPTION_CHARS),
            |s| parse_description(s).is_ok(),
        ),
        ("user id", uuid_pattern(), |s| {
            uuid::Uuid::try_parse(s).is_ok()
        }),
    ]
}

/// Text mixing what the rules care about: letters of both cases, digits, `-`, whitespace that
/// `trim` removes (and U+FEFF, which it keeps), control characters, other scripts.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t\n\r\u{a0}\u{3000}\u{feff}\u{85}\u{0}\u{b}a-zA-Z0-9{}:-]{0,40}",
        "[a-fA-F0-9-]{30,40}",
        "\\PC{0,60}",
        "[ \t]{0,2}[a-zA-Z]{3}[ \t]{0,2}",
    ]
}

proptest! {
    #[test]
    fn each_pattern_matches_exactly_what_its_parser_accepts(raw in text()) {
        for (name, pattern, parser) in PAIRS.iter() {
            prop_assert_eq!(
                pattern.is_match(&raw),
                accepted(&raw, *parser),
                "{}: {:?}", name, raw
            );
        }
    }

    #[test]
    fn an_email_the_pattern_allows_is_accepted(raw in text()) {
        if compile(&email_pattern()).is_match(&raw) {
            prop_assert!(Email::parse(&raw).is_ok(), "{:?}", raw);
        }
    }

    #[test]
    // proptest generates from the pattern without its anchors, which it does not read.
    fn a_generated_email_is_accepted(raw in proptest::string::string_regex(
        email_pattern().trim_start_matches('^').trim_end_matches('$')
    ).unwrap()) {
        prop_assert!(Email::parse(&raw).is_ok(), "{:?}", raw);
    }

    #[test]
    fn a_password_the_pattern_allows_is_accepted(raw in "\\PC{0,20}[A-Z]\\PC{0,20}[0-9]\\PC{0,90}") {
        let pattern = compile(&new_password_pattern());
        let length = raw.chars().count();
        if pattern.is_match(&raw) && (8..=128).contains(&length) {
            prop_assert!(Password::parse(&raw, "password").is_ok(), "{:?}", raw);
        }
    }
}

#[test]
fn lengths_count_the_trimmed_text() {
    for (name, pattern, parser) in PAIRS.iter() {
        for length in [
            0, 1, 2, 3, 31, 32, 33, 50, 51, 63, 64, 200, 201, 500, 501, 5000, 5001,
        ] {
            for text in [
                "k".repeat(length),
                format!(" \u{3000}{}\t\n", "k".repeat(length)),
                "k ".repeat(length / 2) + &"k".repeat(length % 2),
            ] {
                assert_eq!(
                    pattern.is_match(&text),
                    accepted(&text, *parser),
                    "{name}: {} characters ({:?}…)",
                    text.chars().count(),
                    text.chars().take(8).collect::<String>()
                );
            }
        }
    }
}

#[test]
fn passwords_need_a_capital_and_a_digit() {
    let pattern = compile(&new_password_pattern());
    for (password, ok) in [
        ("Abcdefg1", true),
        ("1abcdefÉ", true),
        ("abcdefg1", false),
        ("ABCDEFGH", false),
        ("Abc\u{0}def1", false),
    ] {
        assert_eq!(pattern.is_match(password), ok, "{password:?}");
    }
}
