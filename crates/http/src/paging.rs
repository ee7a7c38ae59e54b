//! List parameters (`page`, `limit`, `sort`, `fields`) and the `{data, meta}` envelope, shared by
//! every list endpoint (API.md "Pagination, sorting, fields").

use std::collections::HashMap;

use agora_domain::paging::{Page, PageRequest, SortOrder};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{
    openapi::{
        path::{Parameter, ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
        Required,
    },
    ToSchema,
};

use crate::error::{ApiError, Detail};

/// What a list endpoint allows.
#[derive(Debug)]
pub struct ListSpec {
    /// `(JSON name, storage column)` pairs that may be sorted on.
    pub sortable: &'static [(&'static str, &'static str)],
    /// Default sort, e.g. `-createdAt`.
    pub default_sort: &'static str,
    /// JSON fields that may be selected with `fields`.
    pub fields: &'static [&'static str],
}

/// Parsed and validated list parameters.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// Page.
    pub page: PageRequest,
    /// Order.
    pub sort: SortOrder,
    /// Selected fields (all when `None`).
    pub fields: Option<Vec<String>>,
}

fn detail(field: &str, message: String) -> Detail {
    Detail {
        field: field.to_owned(),
        message,
    }
}

impl ListSpec {
    /// Validates `page`, `limit`, `sort`, `fields` from the query string, collecting every problem.
    pub fn parse(&self, query: &HashMap<String, String>) -> Result<ListRequest, ApiError> {
        let mut details = Vec::new();
        let mut number = |name: &str, default: u32, range: std::ops::RangeInclusive<u32>| {
            match query.get(name) {
                None => default,
                Some(raw) => match raw.parse::<u32>() {
                    Ok(n) if range.contains(&n) => n,
                    _ => {
                        details.push(detail(
                            name,
                            format!(
                                "{name} must be an integer between {} and {}",
                                range.start(),
                                range.end()
                            ),
                        ));
                        default
                    }
                },
            }
        };
        let page = number("page", 1, 1..=1_000_000);
        let limit = number("limit", 20, 1..=100);

        let sort_text = query.get("sort").map_or(self.default_sort, String::as_str);
        let (descending, name) = match sort_text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, sort_text),
        };
        let sort = match self.sortable.iter().find(|(json, _)| *json == name) {
            Some((_, column)) => SortOrder { column, descending },
            None => {
                let allowed: Vec<&str> = self.sortable.iter().map(|(json, _)| *json).collect();
                details.push(detail(
                    "sort",
                    format!(
                        "sort must be one of: {} (prefix - for descending)",
                        allowed.join(", ")
                    ),
                ));
                SortOrder {
                    column: self.sortable[0].1,
                    descending: true,
                }
            }
        };

        let fields = query.get("fields").map(|raw| {
            let requested: Vec<String> = raw
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            let unknown: Vec<&str> = requested
                .iter()
                .map(String::as_str)
                .filter(|f| !self.fields.contains(f))
                .collect();
            if !unknown.is_empty() || requested.is_empty() {
                details.push(detail(
                    "fields",
                    format!(
                        "unknown field(s) {}; allowed: {}",
                        unknown.join(", "),
                        self.fields.join(", ")
                    ),
                ));
            }
            requested
        });

        if details.is_empty() {
            Ok(ListRequest {
                page: PageRequest { page, limit },
                sort,
                fields,
            })
        } else {
            Err(ApiError::validation(details))
        }
    }
}

/// The fields that name an item (`id`, or `key` for feature flags): a list answers them whatever
/// `fields` selects, so every item can still be fetched, changed or deleted. The OpenAPI document
/// marks only these as required in list items (`openapi::partial_list_items`).
pub const IDENTITY_FIELDS: &[&str] = &["id", "key"];

/// A page as `{data, meta}`, keeping only the selected fields (plus [`IDENTITY_FIELDS`]). Serialises the items
/// directly when no `fields` were asked for (the common case), so a list is encoded once.
pub struct Paged<'a, T> {
    page: Page<T>,
    request: &'a ListRequest,
}

impl<'a, T: Serialize> Paged<'a, T> {
    /// Wraps a page for rendering.
    pub fn new(page: Page<T>, request: &'a ListRequest) -> Self {
        Self { page, request }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaOut {
    total: u64,
    page: u32,
    limit: u32,
    total_pages: u64,
    has_next: bool,
    has_prev: bool,
}

impl MetaOut {
    fn of(total: u64, request: PageRequest) -> Self {
        let (total_pages, has_next, has_prev) = page_position(total, request);
        Self {
            total,
            page: request.page,
            limit: request.limit,
            total_pages,
            has_next,
            has_prev,
        }
    }
}

/// Where a page stands among `total` items: `(total pages, has next, has previous)`; the same
/// numbers for every API (REST `meta`, GraphQL `PageMeta`).
pub fn page_position(total: u64, request: PageRequest) -> (u64, bool, bool) {
    let total_pages = total.div_ceil(u64::from(request.limit));
    (
        total_pages,
        u64::from(request.page) < total_pages,
        request.page > 1,
    )
}

impl<T: Serialize> Serialize for Paged<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let meta = MetaOut::of(self.page.total, self.request.page);
        let mut map = serializer.serialize_map(Some(2))?;
        match &self.request.fields {
            None => map.serialize_entry("data", &self.page.items)?,
            Some(fields) => {
                let data: Vec<Value> = self
                    .page
                    .items
                    .iter()
                    .map(
                        |item| match serde_json::to_value(item).unwrap_or(Value::Null) {
                            Value::Object(object) => Value::Object(
                                object
                                    .into_iter()
                                    .filter(|(k, _)| {
                                        IDENTITY_FIELDS.contains(&k.as_str())
                                            || fields.iter().any(|f| f == k)
                                    })
                                    .collect::<Map<_, _>>(),
                            ),
                            other => other,
                        },
                    )
                    .collect();
                map.serialize_entry("data", &data)?;
            }
        }
        map.serialize_entry("meta", &meta)?;
        map.end()
    }
}

/// [`Paged`] as a JSON value, for handlers that return `Json<Value>`.
pub fn paginated<T: Serialize>(page: Page<T>, request: &ListRequest) -> Value {
    serde_json::to_value(Paged::new(page, request)).unwrap_or(Value::Null)
}

impl ListSpec {
    /// The query parameters this spec accepts, for the OpenAPI document. Built from the same
    /// allowlists that [`ListSpec::parse`] enforces, so the document cannot drift from them.
    pub fn openapi_params(&self) -> Vec<Parameter> {
        let sort_values: Vec<String> = self
            .sortable
            .iter()
            .flat_map(|(json, _)| [(*json).to_owned(), format!("-{json}")])
            .collect();
        let integer = |minimum: u32, maximum: u32, default: u32| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(minimum))
                .maximum(Some(maximum))
                .default(Some(default.into()))
        };
        let query = |name: &str, description: String, schema: ObjectBuilder| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        vec![
            query(
                "page",
                "1-based page number.".into(),
                integer(1, 1_000_000, 1),
            ),
            query("limit", "Items per page.".into(), integer(1, 100, 20)),
            query(
                "sort",
                "Field to order by; a leading `-` sorts descending.".into(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(sort_values))
                    .default(Some(self.default_sort.into())),
            ),
            query(
                "fields",
                format!(
                    "Comma-separated fields to return (the item's `id` or `key` is always \
                     included, other properties only when selected); any of: {}. An unknown \
                     field is a 400.",
                    self.fields.join(", ")
                ),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(crate::rules::fields_pattern(self.fields)))
                    .examples([self
                        .fields
                        .iter()
                        .take(2)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(",")]),
            ),
        ]
    }
}

// Describes what [`paginated`] renders, for the OpenAPI document.
/// One page of a list. With `fields=`, each item holds only the selected fields (plus its `id` or
/// `key`), so the item schema requires only those.
#[derive(Debug, ToSchema)]
pub struct Paginated<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Where this page is.
    pub meta: PageMeta,
}

/// Where a page is in the whole list.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PageMeta {
    /// Matching items across all pages.
    pub total: u64,
    /// This page's number (1-based).
    pub page: u32,
    /// Items per page.
    pub limit: u32,
    /// Pages in total.
    pub total_pages: u64,
    /// A later page exists.
    pub has_next: bool,
    /// An earlier page exists.
    pub has_prev: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SPEC: ListSpec = ListSpec {
        sortable: &[("createdAt", "created_at"), ("name", "name")],
        default_sort: "-createdAt",
        fields: &["id", "name", "email"],
    };

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_page_1_limit_20_newest_first() {
        let request = SPEC.parse(&query(&[])).unwrap();
        assert_eq!(request.page, PageRequest { page: 1, limit: 20 });
        assert_eq!(
            request.sort,
            SortOrder {
                column: "created_at",
                descending: true
            }
        );
    }

    #[test]
    fn out_of_range_and_unknown_values_are_all_reported() {
        let error = SPEC
            .parse(&query(&[
                ("page", "0"),
                ("limit", "1000"),
                ("sort", "password_hash"),
                ("fields", "password_hash"),
            ]))
            .unwrap_err();
        assert_eq!(error.status(), 400);
        // The payload travels in the response's extensions until the error layer renders it.
        let response = axum::response::IntoResponse::into_response(error);
        let payload = response
            .extensions()
            .get::<crate::error::ErrorPayload>()
            .expect("an error payload");
        assert_eq!(payload.code, "validation_failed");
        let reported: Vec<(&str, &str)> = payload
            .details
            .as_deref()
            .expect("a 400 lists its details")
            .iter()
            .map(|d| (d.field.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            reported,
            [
                ("page", "page must be an integer between 1 and 1000000"),
                ("limit", "limit must be an integer between 1 and 100"),
                (
                    "sort",
                    "sort must be one of: createdAt, name (prefix - for descending)"
                ),
                (
                    "fields",
                    "unknown field(s) password_hash; allowed: id, name, email"
                ),
            ]
        );
    }

    #[test]
    fn meta_counts_pages() {
        let request = SPEC
            .parse(&query(&[
                ("page", "2"),
                ("limit", "20"),
                ("fields", "name"),
            ]))
            .unwrap();
        let page = Page {
            items: vec![json!({"id": 1, "name": "a", "email": "x"})],
            total: 42,
        };
        let body = paginated(page, &request);
        assert_eq!(
            body["meta"],
            json!({"total": 42, "page": 2, "limit": 20, "totalPages": 3, "hasNext": true, "hasPrev": true})
        );
        assert_eq!(body["data"][0], json!({"id": 1, "name": "a"}));
    }
}
