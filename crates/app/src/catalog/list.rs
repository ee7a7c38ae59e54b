//! The rules of the product list, shared by every API (REST query string, GraphQL arguments):
//! which fields sort, the default order, relevance when searching, and the filters.

use agora_domain::{
    catalog::{ProductQuery, ProductScope, ProductSort},
    paging::PageRequest,
    FieldError, ValidationErrors,
};
use uuid::Uuid;

use crate::AppError;

/// Fields a product list may be sorted on, by their API name (API.md "Catalog").
pub const PRODUCT_SORT_FIELDS: [&str; 4] = ["createdAt", "name", "price", "stock"];

/// The order of a list that asks for none and searches for nothing: newest first.
pub const DEFAULT_PRODUCT_SORT: &str = "-createdAt";

/// Longest accepted search text, in characters: longer text is not a search a person types, and
/// it would only make the full-text query expensive.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A product list request as a client sends it: the page (validated by the transport, whose
/// paging rules are generic) and the catalog's own parameters as raw text, so that every API
/// reports the same messages for the same bad values.
#[derive(Debug, Clone, Default)]
pub struct ProductListInput {
    /// Which page.
    pub page: PageRequest,
    /// `field` or `-field` (descending), one of [`PRODUCT_SORT_FIELDS`]. Without it: relevance
    /// when searching, [`DEFAULT_PRODUCT_SORT`] otherwise.
    pub sort: Option<String>,
    /// Full-text search; blank means no search.
    pub q: Option<String>,
    /// Category id (UUID).
    pub category: Option<String>,
    /// Lowest price, in minor units.
    pub min_price: Option<String>,
    /// Highest price, in minor units.
    pub max_price: Option<String>,
    /// `true`: only products in stock; `false`: only those out of stock.
    pub in_stock: Option<String>,
}

fn sort_field(name: &str) -> Option<ProductSort> {
    match name {
        "createdAt" => Some(ProductSort::CreatedAt),
        "name" => Some(ProductSort::Name),
        "price" => Some(ProductSort::Price),
        "stock" => Some(ProductSort::Stock),
        _ => None,
    }
}

/// `field` / `-field` as an order, or the message every API gives for anything else.
fn parse_sort(raw: &str) -> Result<(ProductSort, bool), FieldError> {
    let (descending, name) = match raw.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, raw),
    };
    sort_field(name)
        .map(|sort| (sort, descending))
        .ok_or_else(|| {
            FieldError::new(
                "sort",
                format!(
                    "sort must be one of: {} (prefix - for descending)",
                    PRODUCT_SORT_FIELDS.join(", ")
                ),
            )
        })
}

fn price_bound(name: &str, raw: &str) -> Result<i64, FieldError> {
    raw.parse::<i64>()
        .ok()
        .filter(|amount| *amount >= 0)
        .ok_or_else(|| {
            FieldError::new(
                name,
                format!("{name} must be a non-negative integer (minor units)"),
            )
        })
}

impl ProductListInput {
    /// The query this input asks for, or every rule it broke at once.
    pub fn into_query(self) -> Result<ProductQuery, AppError> {
        let mut errors = ValidationErrors::new();
        let sort = self
            .sort
            .as_deref()
            .and_then(|raw| errors.check(parse_sort(raw)));
        let mut scopes = Vec::new();
        let q = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if let Some(q) = q {
            if q.chars().count() > MAX_SEARCH_CHARS {
                errors.push(FieldError::new(
                    "q",
                    format!("q must be at most {MAX_SEARCH_CHARS} characters"),
                ));
            } else {
                scopes.push(ProductScope::Search(q.to_owned()));
            }
        }
        if let Some(raw) = &self.category {
            match Uuid::parse_str(raw) {
                Ok(id) => scopes.push(ProductScope::InCategory(id)),
                Err(_) => errors.push(FieldError::new(
                    "category",
                    "category must be a category id (UUID)",
                )),
            }
        }
        if let Some(raw) = &self.min_price {
            if let Some(amount) = errors.check(price_bound("minPrice", raw)) {
                scopes.push(ProductScope::PriceAtLeast(amount));
            }
        }
        if let Some(raw) = &self.max_price {
            if let Some(amount) = errors.check(price_bound("maxPrice", raw)) {
                scopes.push(ProductScope::PriceAtMost(amount));
            }
        }
        if let Some(raw) = &self.in_stock {
            match raw.as_str() {
                "true" => scopes.push(ProductScope::InStock(true)),
                "false" => scopes.push(ProductScope::InStock(false)),
                _ => errors.push(FieldError::new("inStock", "inStock must be true or false")),
            }
        }
        errors.into_result()?;
        // With a search term and no explicit order, the best matches come first.
        let (sort, descending) = match sort {
            Some(order) => order,
            None if q.is_some() => (ProductSort::Relevance, false),
            None => parse_sort(DEFAULT_PRODUCT_SORT)?,
        };
        let mut query = ProductQuery::new()
            .sorted(sort, descending)
            .paginate(self.page);
        query.scopes = scopes;
        Ok(query)
    }
}
