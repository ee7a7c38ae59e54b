//! JSON Schema of request fields that states the rules the domain enforces, so a body valid by the
//! document is accepted and a body the server refuses is invalid by the document (ADR 0017).
//!
//! The server is lenient where the domain normalises: it trims text (Rust's `str::trim`, Unicode
//! `White_Space`), upper-cases SKUs and currency codes, and counts the length of the trimmed text.
//! The patterns below say exactly that, rather than the stricter normalised form, because a
//! stricter schema makes a conformance tester report every lenient acceptance as a bug. Every
//! string of every JSON body is also refused when it holds a control character other than tab,
//! line feed and carriage return (`extract::forbidden_char`); the text patterns exclude them.
//!
//! Patterns use only what ECMA-262 (the dialect OpenAPI names), Python's `re` and Rust's `regex`
//! read alike: character classes with `\uXXXX` escapes, counted repetition, no look-around.
//! Operations reference these through `#[schema(schema_with = …)]`; the unit tests below check
//! each pattern against the domain parser it describes.

use agora_domain::{
    catalog::CURRENCIES,
    flags::{MAX_DESCRIPTION_CHARS, MAX_USER_IDS},
};
use utoipa::openapi::{
    schema::{ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type},
    Array, Ref,
};

/// Whitespace `str::trim` removes that a body may hold (Unicode `White_Space` minus the control
/// characters no body may hold).
const TRIMMED: &str = r"[\t\n\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// Any character a body may hold.
pub(crate) const ANY: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";

/// Any character a body may hold that `str::trim` keeps.
pub(crate) const KEPT: &str =
    r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// Text whose trimmed form has `min..=max` characters (`min` ≤ 2 ≤ `max`).
pub fn trimmed_text_pattern(min: usize, max: usize) -> String {
    debug_assert!(min <= 2 && max >= 2);
    let inner = format!("{KEPT}(?:{ANY}{{0,{}}}{KEPT})?", max - 2);
    let body = match min {
        0 => format!("(?:{inner})?"),
        1 => inner,
        _ => format!("{KEPT}{ANY}{{0,{}}}{KEPT}", max - 2),
    };
    format!("^{TRIMMED}*{body}{TRIMMED}*$")
}

pub(crate) fn string(nullable: bool) -> ObjectBuilder {
    if nullable {
        ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
    } else {
        ObjectBuilder::new().schema_type(Type::String)
    }
}

pub(crate) fn text(nullable: bool, min: usize, max: usize, description: String) -> Object {
    string(nullable)
        .pattern(Some(trimmed_text_pattern(min, max)))
        .description(Some(description))
        .build()
}

/// Article number: after trimming, 3–32 of letters, digits and `-`, starting with a letter or a
/// digit (letters are upper-cased; `Sku::parse`).
pub fn sku_pattern() -> String {
    format!("^{TRIMMED}*[A-Za-z0-9][A-Za-z0-9-]{{2,31}}{TRIMMED}*$")
}

/// `sku` of `POST /api/products` (required).
pub fn sku() -> Object {
    string(false)
        .pattern(Some(sku_pattern()))
        .description(Some(
            "Article number: 3–32 letters, digits and `-` after trimming, starting with a letter \
             or digit; stored upper-cased; unique (409 otherwise).",
        ))
        .build()
}

/// `sku` of `PATCH /api/products/{id}` (`null` leaves it as it is).
pub fn sku_change() -> Object {
    string(true)
        .pattern(Some(sku_pattern()))
        .description(Some("New article number (rules as on creation)."))
        .build()
}

/// `name` of a product: 1–200 characters after trimming.
pub fn product_name() -> Object {
    text(false, 1, 200, "1–200 characters after trimming.".into())
}

/// `name` of a product change.
pub fn product_name_change() -> Object {
    text(true, 1, 200, "1–200 characters after trimming.".into())
}

/// `description` of a product: at most 5000 characters after trimming.
pub fn product_description() -> Object {
    text(
        true,
        0,
        5000,
        "At most 5000 characters after trimming (default empty).".into(),
    )
}

/// An allowlisted ISO 4217 code, any case, surrounding whitespace allowed (`Currency::parse`).
pub fn currency_pattern() -> String {
    let codes: Vec<String> = CURRENCIES
        .iter()
        .map(|code| {
            code.chars()
                .map(|c| format!("[{}{}]", c, c.to_ascii_lowercase()))
                .collect()
        })
        .collect();
    format!("^{TRIMMED}*(?:{}){TRIMMED}*$", codes.join("|"))
}

/// `price.currency`.
pub fn currency() -> Object {
    string(false)
        .pattern(Some(currency_pattern()))
        .description(Some(format!(
            "ISO 4217 code, one of {} (any case).",
            CURRENCIES.join(", ")
        )))
        .examples(["EUR"])
        .build()
}

/// `price.currency` of a change (`null` keeps the current one).
pub fn currency_change() -> Object {
    string(true)
        .pattern(Some(currency_pattern()))
        .description(Some(format!(
            "ISO 4217 code, one of {} (any case).",
            CURRENCIES.join(", ")
        )))
        .build()
}

/// An email address `Email::parse` accepts, trimmed: a dot-atom local part and a domain of two
/// or more labels. The pattern bounds the parts more tightly than the server (a local part of
/// at most 64 characters with at most one dot, labels of at most 32, five labels), so that what
/// it allows also fits the server's 254-character limit: the schema is stricter here, never
/// looser.
pub fn email_pattern() -> String {
    let atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?";
    format!(
        "^{TRIMMED}*{atom}{{1,32}}(?:\\.{atom}{{1,31}})?@{label}(?:\\.{label}){{1,4}}{TRIMMED}*$"
    )
}

/// An email address (register, login, mail requests).
pub fn email() -> Object {
    string(false)
        .pattern(Some(email_pattern()))
        .description(Some("An email address (compared case-insensitively)."))
        .examples(["ann@example.com"])
        .build()
}

/// A person's `name`: 2–50 characters after trimming (`PersonName::parse`).
pub fn person_name() -> Object {
    text(false, 2, 50, "2–50 characters after trimming.".into())
}

/// A person's `name` in a change.
pub fn person_name_change() -> Object {
    text(true, 2, 50, "2–50 characters after trimming.".into())
}

/// Letters `char::is_uppercase` accepts that the pattern names (ASCII, Latin-1, Greek,
/// Cyrillic capitals). A password whose only capital is another script's is accepted by the
/// server but not by this pattern: the one place the schema is stricter (ADR 0017).
const UPPER: &str = r"[A-Z\u00c0-\u00d6\u00d8-\u00de\u0391-\u03a1\u03a3-\u03a9\u0410-\u042f]";

/// A new password: 8–128 characters with a capital letter and an ASCII digit
/// (`Password::parse`); the length is in `minLength`/`maxLength`.
pub fn new_password_pattern() -> String {
    format!("^{ANY}*(?:{UPPER}{ANY}*[0-9]|[0-9]{ANY}*{UPPER}){ANY}*$")
}

/// A new password (register, reset, change).
pub fn new_password() -> Object {
    string(false)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Password,
        )))
        .min_length(Some(8))
        .max_length(Some(128))
        .pattern(Some(new_password_pattern()))
        .description(Some(
            "8–128 characters with an uppercase letter and a digit.",
        ))
        .build()
}

/// Any text a query or body may hold (no control characters but tab, LF, CR).
pub fn any_text() -> Object {
    string(false).pattern(Some(format!("^{ANY}*$"))).build()
}

/// A buyer's note on checkout: at most 500 characters (`MAX_NOTE` of the checkout), no control
/// characters but tab, LF, CR; `null` or absent for none.
pub fn order_note() -> Object {
    string(true)
        .pattern(Some(format!("^{ANY}{{0,500}}$")))
        .max_length(Some(500))
        .description(Some(
            "A note for the seller, at most 500 characters.".to_owned(),
        ))
        .build()
}

/// `q` of the product list: at most 200 characters after trimming (`ProductListInput`).
pub fn product_search() -> Object {
    let max = agora_app::catalog::MAX_SEARCH_CHARS;
    text(
        false,
        0,
        max,
        format!(
            "Full-text search in name and description (at most {max} characters after \
             trimming); ranked by relevance unless `sort` is given."
        ),
    )
}

/// `fields` of a list: comma-separated names from `allowed`, each trimmed, empty entries
/// ignored, at least one name (`ListSpec::parse`).
pub fn fields_pattern(allowed: &[&str]) -> String {
    let name = format!("(?:{})", allowed.join("|"));
    format!("^(?:{TRIMMED}*,)*{TRIMMED}*{name}{TRIMMED}*(?:,{TRIMMED}*(?:{name})?{TRIMMED}*)*$")
}

/// A password being checked (login, current password): any non-empty text.
pub fn login_password() -> Object {
    string(false)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Password,
        )))
        .pattern(Some(format!("^{ANY}+$")))
        .build()
}

/// A token from a mail or a session: any non-empty text (an unknown one is refused by value).
pub fn token() -> Object {
    string(false).pattern(Some(format!("^{ANY}+$"))).build()
}

/// The name of the component [`json_value`] describes.
pub const JSON_VALUE: &str = "JsonValue";

/// Any JSON value whose strings and keys hold no control characters (but tab, LF, CR) — what a
/// free-form body part may hold. Recursive, so a component ([`JSON_VALUE`]) that
/// `openapi_post` adds to the document.
pub fn json_value() -> Schema {
    let value = Ref::from_schema_name(JSON_VALUE);
    let text = || string(false).pattern(Some(format!("^{ANY}*$")));
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
            Type::Null,
            Type::Boolean,
            Type::Number,
        ])))
        .item(text())
        .item(ArrayBuilder::new().items(value.clone()))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property_names(Some(text()))
                .additional_properties(Some(value)),
        )
        .description(Some(
            "Any JSON value whose strings (and keys) hold no control characters but tab, line \
             feed and carriage return.",
        ))
        .into()
}

/// `profile` of a profile change: a JSON object of at most 16 KiB (the size is not expressible
/// here) whose strings hold no control characters; `null` leaves the stored one.
pub fn profile() -> Object {
    let text = string(false).pattern(Some(format!("^{ANY}*$")));
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .property_names(Some(text))
        .additional_properties(Some(Ref::from_schema_name(JSON_VALUE)))
        .description(Some(
            "Free-form attributes: a JSON object of at most 16 KiB; replaces the stored one.",
        ))
        .build()
}

/// A flag key, taken as sent (`FlagKey::parse`).
pub const FLAG_KEY_PATTERN: &str = "^[a-z0-9][a-z0-9-]{1,62}$";

/// `key` of `POST /api/admin/flags`.
pub fn flag_key() -> Object {
    string(false)
        .pattern(Some(FLAG_KEY_PATTERN))
        .description(Some(
            "2–63 lowercase letters, digits and `-`, starting with a letter or digit; unique \
             (409 otherwise).",
        ))
        .examples(["new-checkout-flow"])
        .build()
}

/// `description` of a flag.
pub fn flag_description() -> Object {
    text(
        true,
        0,
        MAX_DESCRIPTION_CHARS,
        format!("At most {MAX_DESCRIPTION_CHARS} characters after trimming."),
    )
}

fn string_enum(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

fn nullable_array(items: Object, description: String) -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(items)
        .description(Some(description))
        .build()
}

/// `roles` of a flag: role names (repeats are ignored).
pub fn flag_roles() -> Array {
    nullable_array(
        string_enum(&["user", "admin"]),
        "When non-empty, only users with one of these roles are eligible.".into(),
    )
}

/// A webhook's URL: `http://` and a host name (the server has no TLS client for deliveries
/// yet). Stricter than the server in one way: IP literals are left out (the server takes public
/// ones, and refuses private, loopback and link-local ones unless allow-listed), so that every
/// URL the document allows is accepted.
pub fn webhook_url() -> Object {
    url_schema(false)
}

/// [`webhook_url`] in a change (`null` or absent: unchanged).
pub fn webhook_url_change() -> Object {
    url_schema(true)
}

fn url_schema(nullable: bool) -> Object {
    let label = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    string(nullable)
        .pattern(Some(format!(
            "^http://{label}(?:\\.{label})*(?::[1-9][0-9]{{0,3}})?(?:/[!-~]*)?$"
        )))
        .max_length(Some(2048))
        .description(Some(
            "`http://` URL; a host name is checked again after resolution at every delivery."
                .to_owned(),
        ))
        .build()
}

/// The event types a webhook receives: at least one.
pub fn webhook_events() -> Array {
    events_schema(false)
}

/// [`webhook_events`] in a change (`null` or absent: unchanged).
pub fn webhook_events_change() -> Array {
    events_schema(true)
}

fn events_schema(nullable: bool) -> Array {
    let mut events = nullable_array(
        string_enum(agora_domain::webhooks::WEBHOOK_EVENTS),
        "At least one of the event types webhooks may receive.".into(),
    );
    events.min_items = Some(1);
    if !nullable {
        events.schema_type = SchemaType::from(Type::Array);
    }
    events
}

/// A webhook's description: at most 500 characters.
pub fn webhook_description() -> Object {
    string(true)
        .pattern(Some(format!("^{ANY}{{0,500}}$")))
        .max_length(Some(500))
        .build()
}

/// `tiers` of a flag.
pub fn flag_tiers() -> Array {
    nullable_array(
        string_enum(&["free", "pro", "enterprise"]),
        "When non-empty, only users of one of these tiers are eligible.".into(),
    )
}

/// A UUID in any form `Uuid::try_parse` reads: hyphenated, simple (32 hex digits), braced or
/// `urn:uuid:` (prefix in any case).
pub fn uuid_pattern() -> String {
    let hyphenated = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}";
    format!(
        "^(?:[0-9A-Fa-f]{{32}}|{hyphenated}|\\{{{hyphenated}\\}}|[Uu][Rr][Nn]:[Uu][Uu][Ii][Dd]:{hyphenated})$"
    )
}

/// `userIds` of a flag. `maxItems` counts what is sent; the server counts distinct ids, so a
/// list with repeats may be longer.
pub fn flag_user_ids() -> Array {
    let mut array = nullable_array(
        string(false).pattern(Some(uuid_pattern())).build(),
        format!("Users the enabled flag is always on for (at most {MAX_USER_IDS})."),
    );
    array.max_items = Some(MAX_USER_IDS);
    array
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
