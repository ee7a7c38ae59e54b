//! DynamoDB's typed JSON (`{"S": "…"}`, `{"N": "…"}`, `{"BOOL": …}`) in and out, and the reads
//! every repository makes (consistent `GetItem`, paged `Query`, batched `BatchGetItem`).

use agora_domain::ports::StoreError;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::DynamoClient;

/// An item as DynamoDB sends it.
pub(crate) type Item = Map<String, Value>;

/// `{"pk": {"S": pk}, "sk": {"S": sk}}`.
pub(crate) fn key(pk: &str, sk: &str) -> Value {
    json!({ "pk": { "S": pk }, "sk": { "S": sk } })
}

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> Value {
    json!({ "S": value.into() })
}

/// A number attribute.
pub(crate) fn n(value: i64) -> Value {
    json!({ "N": value.to_string() })
}

/// A boolean attribute.
pub(crate) fn b(value: bool) -> Value {
    json!({ "BOOL": value })
}

/// A timestamp, as RFC 3339 text with microseconds (sorts like the instant it names).
pub(crate) fn time(at: DateTime<Utc>) -> Value {
    s(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// The `ttl` attribute DynamoDB deletes items by: epoch seconds of `at` (deletion happens within
/// a day or two after, so readers still compare expiry themselves).
pub(crate) fn ttl(at: DateTime<Utc>) -> Value {
    n(at.timestamp())
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt DynamoDB item: {what}").into())
}

/// A required string attribute.
pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|v| v["S"].as_str())
        .ok_or_else(|| corrupt(format!("`{name}` missing")))
}

/// An optional string attribute.
pub(crate) fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v["S"].as_str())
}

/// A boolean attribute (absent = false).
pub(crate) fn get_b(item: &Item, name: &str) -> bool {
    item.get(name)
        .and_then(|v| v["BOOL"].as_bool())
        .unwrap_or(false)
}

/// An optional number attribute.
pub(crate) fn opt_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v["N"].as_str())
        .and_then(|n| n.parse().ok())
}

/// A required uuid attribute.
pub(crate) fn get_uuid(item: &Item, name: &str) -> Result<uuid::Uuid, StoreError> {
    get_s(item, name)?.parse().map_err(corrupt)
}

/// A required timestamp attribute.
pub(crate) fn get_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    opt_time(item, name)?.ok_or_else(|| corrupt(format!("`{name}` missing")))
}

/// An optional timestamp attribute.
pub(crate) fn opt_time(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    opt_s(item, name)
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(corrupt)
        })
        .transpose()
}

impl DynamoClient {
    /// A strongly consistent read of one item.
    pub(crate) async fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let answer = self
            .call(
                "GetItem",
                &json!({ "TableName": self.table(), "Key": key(pk, sk), "ConsistentRead": true }),
            )
            .await?;
        Ok(answer["Item"].as_object().cloned())
    }

    /// Every item of a `Query` (following pages); `consistent` only on the table, not an index.
    pub(crate) async fn query_all(&self, mut request: Value) -> Result<Vec<Item>, StoreError> {
        request["TableName"] = self.table().into();
        let mut items = Vec::new();
        loop {
            let answer = self.call("Query", &request).await?;
            if let Some(page) = answer["Items"].as_array() {
                items.extend(page.iter().filter_map(|i| i.as_object().cloned()));
            }
            match answer.get("LastEvaluatedKey") {
                Some(last) if !last.is_null() => request["ExclusiveStartKey"] = last.clone(),
                _ => return Ok(items),
            }
        }
    }

    /// Consistent reads of many items by key, 100 per `BatchGetItem` (its limit), retrying the
    /// keys DynamoDB leaves unprocessed.
    pub(crate) async fn batch_get(&self, keys: Vec<Value>) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending = json!({ self.table(): { "Keys": chunk, "ConsistentRead": true } });
            for _ in 0..5 {
                let answer = self
                    .call("BatchGetItem", &json!({ "RequestItems": pending }))
                    .await?;
                if let Some(found) = answer["Responses"][self.table()].as_array() {
                    items.extend(found.iter().filter_map(|i| i.as_object().cloned()));
                }
                match answer["UnprocessedKeys"].as_object() {
                    Some(rest) if !rest.is_empty() => pending = Value::Object(rest.clone()),
                    _ => {
                        pending = Value::Null;
                        break;
                    }
                }
            }
            if !pending.is_null() {
                return Err(StoreError::Unavailable(
                    "DynamoDB left keys unprocessed after 5 attempts".into(),
                ));
            }
        }
        Ok(items)
    }
}
