//! Page requests and results shared by every list (API.md "Pagination, sorting, fields").

/// Which page of how many items, validated by the edge (page ≥ 1, limit 1–100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page.
    pub limit: u32,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.limit)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, limit: 20 }
    }
}

/// A sort order on an allowlisted field. `column` is a storage column name chosen by the caller
/// from a fixed list, never user text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortOrder {
    /// Column to order by.
    pub column: &'static str,
    /// Descending when true.
    pub descending: bool,
}

/// One page of results and the total across all pages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Matching items across all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// Transforms every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}
