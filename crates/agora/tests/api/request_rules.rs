//! The request schemas of the OpenAPI document against the server (ADR 0017): for the product and
//! flag bodies, every documented rule — pattern, bounds, enum, required, no unknown fields — is
//! tried with values on both sides of it, one field at a time, on both backends. A value the
//! document allows must be accepted (201, or 409 for a duplicate SKU or key); a value it refuses
//! must be a 400 naming the field. The rules are read from the document itself (its patterns
//! compiled with `regex`), so the test follows the document instead of restating it.

use regex::RegexBuilder;
use serde_json::{json, Map, Value};

use crate::{both_backends, support::TestApp};

/// Texts that sit on either side of the string rules: empty, blank, short, long, cases, dashes,
/// the whitespace `trim` removes (and U+FEFF, which it keeps), control characters, non-ASCII.
fn text_candidates() -> Vec<String> {
    let mut texts: Vec<String> = [
        "",
        " ",
        "a",
        "ab",
        "abc",
        "ABC-1",
        "-ab",
        "  kit-9 ",
        "a_b",
        "eur",
        " usd\t",
        "XXX",
        "new-flag",
        "Flag",
        "é",
        "a\u{3000}",
        "\u{feff}abc",
        "a\tb",
        "a\u{1}b",
        "x\u{85}",
        "0b3c2a1e-2a6f-4f0e-9d43-2f6f1f6f1f6f",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for length in [32, 33, 50, 63, 64, 200, 201, 500, 501, 5000, 5001] {
        texts.push("k".repeat(length));
        texts.push(format!(" {} ", "k".repeat(length)));
    }
    texts
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn allows_type(schema: &Value, kind: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == kind,
        Value::Array(types) => types.iter().any(|t| t == kind),
        _ => false,
    }
}

/// `(value, whether the property schema allows it)` for each candidate worth sending.
fn candidates(schema: &Value) -> Vec<(Value, bool)> {
    if let Some(pattern) = schema["pattern"].as_str() {
        let regex = RegexBuilder::new(pattern)
            .size_limit(1 << 30)
            .build()
            .unwrap_or_else(|e| panic!("the document's pattern {pattern} compiles: {e}"));
        let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
        let max = schema["maxLength"]
            .as_u64()
            .map_or(usize::MAX, |m| m as usize);
        return text_candidates()
            .into_iter()
            .map(|text| {
                let length = text.chars().count();
                let ok = regex.is_match(&text) && (min..=max).contains(&length);
                (Value::from(text), ok)
            })
            .collect();
    }
    if allows_type(schema, "integer") {
        let mut values = Vec::new();
        for bound in ["minimum", "maximum"] {
            if let Some(edge) = schema[bound].as_i64() {
                values.extend([edge - 1, edge, edge + 1]);
            }
        }
        let min = schema["minimum"].as_i64().unwrap_or(i64::MIN);
        let max = schema["maximum"].as_i64().unwrap_or(i64::MAX);
        return values
            .into_iter()
            .map(|n| (Value::from(n), (min..=max).contains(&n)))
            .collect();
    }
    if allows_type(schema, "array") {
        let items = &schema["items"];
        let mut values: Vec<(Value, bool)> = vec![(json!([]), true), (json!(["nope"]), false)];
        if let Some(allowed) = items["enum"].as_array() {
            values.push((Value::Array(allowed.clone()), true));
        }
        if items["pattern"].is_string() {
            values.extend(
                candidates(items)
                    .into_iter()
                    .map(|(v, ok)| (json!([v]), ok)),
            );
        }
        return values;
    }
    Vec::new()
}

/// Sends `body` and checks the answer against `allowed`: accepted, or a 400 naming `field`.
async fn expect(app: &TestApp, admin: &str, path: &str, body: &Value, field: &str, allowed: bool) {
    let response = app.post(path, Some(admin), body).await;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if allowed {
        assert!(
            status == 201 || status == 409,
            "{path}: the document allows {field} = {}, the server answered {status} {answer}",
            body.pointer(&format!("/{}", field.replace('.', "/")))
                .unwrap_or(&Value::Null)
        );
    } else {
        let named = answer["details"].as_array().is_some_and(|d| {
            d.iter().filter_map(|d| d["field"].as_str()).any(|named| {
                // A missing object is reported by its parts (`price.amount`).
                named == field || named.starts_with(&format!("{field}."))
            })
        });
        assert!(
            status == 400 && named,
            "{path}: the document refuses {field} = {}, the server answered {status} {answer}",
            body.pointer(&format!("/{}", field.replace('.', "/")))
                .unwrap_or(&Value::Null)
        );
    }
}

/// Every rule of the `component` request body of `POST path`, tried on `valid` (a body the
/// document and the server accept; `unique` rewrites it so it does not collide).
async fn check_body(
    app: &TestApp,
    doc: &Value,
    path: &str,
    component: &str,
    valid: impl Fn(usize) -> Value,
) {
    let admin = app.admin_token().await;
    let mut n = 0;
    let mut next = || {
        n += 1;
        valid(n)
    };
    expect(app, &admin, path, &next(), "", true).await;

    let schema = &doc["components"]["schemas"][component];
    // Each property, and each property of a nested object (`price.amount`), one at a time.
    let mut fields: Vec<(String, &Value)> = Vec::new();
    for (name, property) in schema["properties"].as_object().unwrap() {
        let property = resolve(doc, property);
        match property["properties"].as_object() {
            Some(nested) => fields.extend(
                nested
                    .iter()
                    .map(|(inner, s)| (format!("{name}.{inner}"), resolve(doc, s))),
            ),
            None => fields.push((name.clone(), property)),
        }
    }
    let mut tried = 0;
    for (field, property) in &fields {
        for (value, allowed) in candidates(property) {
            let mut body = next();
            let (outer, inner) = field
                .split_once('.')
                .map_or((field.as_str(), None), |(o, i)| (o, Some(i)));
            match inner {
                Some(inner) => body[outer][inner] = value,
                None => body[outer] = value,
            }
            expect(app, &admin, path, &body, field, allowed).await;
            tried += 1;
        }
    }
    assert!(
        tried > 50,
        "{component}: only {tried} values tried; did the schema lose its rules?"
    );

    for required in schema["required"].as_array().unwrap() {
        let field = required.as_str().unwrap();
        let mut body = next();
        body.as_object_mut().unwrap().remove(field);
        expect(app, &admin, path, &body, field, false).await;
    }
    assert_eq!(schema["additionalProperties"], false, "{component}");
    let mut body = next();
    body["unknownField"] = json!(1);
    expect(app, &admin, path, &body, "unknownField", false).await;
}

fn document() -> Value {
    serde_json::to_value(agora::modules::openapi("all").unwrap()).unwrap()
}

async fn product_body_rules_are_the_servers(app: TestApp) {
    let body = |n: usize| {
        json!({
            "sku": format!("RULE-{n}"), "name": "Rule", "description": "",
            "price": {"amount": 100, "currency": "EUR"}, "stock": 1
        })
    };
    check_body(
        &app,
        &document(),
        "/api/products",
        "NewProductRequest",
        body,
    )
    .await;
}

async fn flag_body_rules_are_the_servers(app: TestApp) {
    let body = |n: usize| {
        let mut fields = Map::new();
        fields.insert("key".into(), json!(format!("rule-{n}")));
        fields.insert("enabled".into(), json!(true));
        fields.insert("rolloutPercent".into(), json!(50));
        Value::Object(fields)
    };
    check_body(
        &app,
        &document(),
        "/api/admin/flags",
        "NewFeatureFlagRequest",
        body,
    )
    .await;
}

both_backends!(
    product_body_rules_are_the_servers,
    flag_body_rules_are_the_servers
);
