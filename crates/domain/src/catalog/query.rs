use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::paging::PageRequest;

/// One composable restriction of a product list. The adapters render each scope per SQL dialect;
/// use cases only combine them.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductScope {
    /// Only active products (everyone but admins).
    Active,
    /// In one category.
    InCategory(Uuid),
    /// Price at least this many minor units.
    PriceAtLeast(i64),
    /// Price at most this many minor units.
    PriceAtMost(i64),
    /// Stock greater than zero (`true`) or exactly zero (`false`).
    InStock(bool),
    /// Created strictly after this instant.
    CreatedAfter(DateTime<Utc>),
    /// Full-text match on name and description; results are ranked by relevance.
    Search(String),
}

/// Sortable product columns (API.md: `createdAt`, `name`, `price`, `stock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductSort {
    /// Creation time.
    CreatedAt,
    /// Name.
    Name,
    /// Price amount.
    Price,
    /// Stock.
    Stock,
    /// Search relevance (only with a `Search` scope).
    Relevance,
}

/// A product list request: scopes, order, page.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductQuery {
    /// Restrictions, all of which must hold.
    pub scopes: Vec<ProductScope>,
    /// Order.
    pub sort: ProductSort,
    /// Descending when true.
    pub descending: bool,
    /// Page.
    pub page: PageRequest,
}

impl ProductQuery {
    /// The default listing: newest first, first page.
    pub fn new() -> Self {
        Self {
            scopes: Vec::new(),
            sort: ProductSort::CreatedAt,
            descending: true,
            page: PageRequest::default(),
        }
    }

    /// Adds a scope.
    pub fn scope(mut self, scope: ProductScope) -> Self {
        self.scopes.push(scope);
        self
    }

    /// Sets the order.
    pub fn sorted(mut self, sort: ProductSort, descending: bool) -> Self {
        self.sort = sort;
        self.descending = descending;
        self
    }

    /// Sets the page.
    pub fn paginate(mut self, page: PageRequest) -> Self {
        self.page = page;
        self
    }

    /// A stable cache key for the number of matches: queries with the same scopes share it,
    /// whatever their page, size or sort.
    pub fn count_key(&self) -> String {
        format!("{:?}", self.scopes)
    }

    /// A stable cache key: identical queries share one cached page.
    pub fn cache_key(&self) -> String {
        format!(
            "{:?}|{:?}|{}|{}|{}",
            self.scopes, self.sort, self.descending, self.page.page, self.page.limit
        )
    }
}

impl Default for ProductQuery {
    fn default() -> Self {
        Self::new()
    }
}
