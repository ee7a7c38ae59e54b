//! Product query scopes rendered to SQL. Everything is shared between dialects except full-text
//! search, the one place SQLite (FTS5) and Postgres (tsvector) truly differ.

use agora_domain::catalog::{ProductQuery, ProductScope, ProductSort};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::Backend;

/// A bound parameter of a rendered query.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Arg {
    Uuid(Uuid),
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

/// `FROM … WHERE …` plus arguments and an optional relevance expression.
#[derive(Debug, Default)]
pub(super) struct Rendered {
    pub from_where: String,
    pub args: Vec<Arg>,
    pub rank: Option<String>,
}

/// PostgreSQL's `english` stop words (Snowball's list). Postgres drops them from documents and
/// queries; SQLite's FTS5 indexes them, so a query word such as `or` was required there and
/// ignored on Postgres (`"tent" OR *` found nothing on SQLite, two products on Postgres). Both
/// backends drop them from the query, so one search gives one answer.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "did", "do", "does", "doing", "don", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
    "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she",
    "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "you", "your", "yours", "yourself", "yourselves",
];

/// User text → a full-text query that cannot be misread as query syntax: alphanumeric words
/// only, stop words dropped, every other word required, the last one as a prefix (type-ahead).
fn search_terms(text: &str, backend: Backend) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect();
    let last = words.len().checked_sub(1)?;
    let terms: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| match (backend, i == last) {
            (Backend::Sqlite, true) => format!("\"{w}\"*"),
            (Backend::Sqlite, false) => format!("\"{w}\""),
            (Backend::Postgres, true) => format!("{w}:*"),
            (Backend::Postgres, false) => w.clone(),
        })
        .collect();
    Some(match backend {
        Backend::Sqlite => terms.join(" "),
        Backend::Postgres => terms.join(" & "),
    })
}

pub(super) fn render(query: &ProductQuery, backend: Backend) -> Rendered {
    let mut rendered = Rendered::default();
    let mut joins = String::new();
    let mut conditions: Vec<String> = Vec::new();
    let bind = |args: &mut Vec<Arg>, arg: Arg| {
        args.push(arg);
        format!("${}", args.len())
    };
    for scope in &query.scopes {
        match scope {
            ProductScope::Active => conditions.push("p.active".into()),
            ProductScope::InCategory(id) => {
                let n = bind(&mut rendered.args, Arg::Uuid(*id));
                conditions.push(format!("p.category_id = {n}"));
            }
            ProductScope::PriceAtLeast(amount) => {
                let n = bind(&mut rendered.args, Arg::Int(*amount));
                conditions.push(format!("p.price_amount >= {n}"));
            }
            ProductScope::PriceAtMost(amount) => {
                let n = bind(&mut rendered.args, Arg::Int(*amount));
                conditions.push(format!("p.price_amount <= {n}"));
            }
            ProductScope::InStock(true) => conditions.push("p.stock > 0".into()),
            ProductScope::InStock(false) => conditions.push("p.stock = 0".into()),
            ProductScope::CreatedAfter(at) => {
                let n = bind(&mut rendered.args, Arg::Time(*at));
                conditions.push(format!("p.created_at > {n}"));
            }
            ProductScope::Search(text) => {
                let Some(terms) = search_terms(text, backend) else {
                    // Nothing searchable (only punctuation): matches nothing rather than everything.
                    conditions.push("1 = 0".into());
                    continue;
                };
                let n = bind(&mut rendered.args, Arg::Text(terms));
                match backend {
                    Backend::Sqlite => {
                        joins.push_str(" JOIN products_fts ON products_fts.rowid = p.rowid");
                        conditions.push(format!("products_fts MATCH {n}"));
                        // bm25: lower is better; the name column weighs ten times the description.
                        rendered.rank = Some("bm25(products_fts, 10.0, 1.0)".into());
                    }
                    Backend::Postgres => {
                        conditions.push(format!("p.search @@ to_tsquery('english', {n})"));
                        // Negated so that, as with bm25, lower sorts first.
                        rendered.rank =
                            Some(format!("-ts_rank(p.search, to_tsquery('english', {n}))"));
                    }
                }
            }
        }
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    rendered.from_where = format!("FROM products p{joins}{filter}");
    rendered
}

/// `ORDER BY` for a query; ties broken by id so pages never overlap.
pub(super) fn order_by(query: &ProductQuery, rank: Option<&str>) -> String {
    let direction = if query.descending { "DESC" } else { "ASC" };
    let column = match (query.sort, rank) {
        (ProductSort::Relevance, Some(rank)) => return format!("ORDER BY {rank} ASC, p.id DESC"),
        (ProductSort::Relevance, None) | (ProductSort::CreatedAt, _) => "p.created_at",
        (ProductSort::Name, _) => "p.name",
        (ProductSort::Price, _) => "p.price_amount",
        (ProductSort::Stock, _) => "p.stock",
    };
    format!("ORDER BY {column} {direction}, p.id {direction}")
}

#[cfg(test)]
mod tests {
    use agora_domain::paging::PageRequest;

    use super::*;

    #[test]
    fn scopes_compose_into_one_where_clause_with_numbered_arguments() {
        let category = Uuid::nil();
        let query = ProductQuery::new()
            .scope(ProductScope::Active)
            .scope(ProductScope::InCategory(category))
            .scope(ProductScope::PriceAtLeast(100))
            .scope(ProductScope::InStock(true))
            .paginate(PageRequest { page: 2, limit: 10 });
        let rendered = render(&query, Backend::Postgres);
        assert_eq!(
            rendered.from_where,
            "FROM products p WHERE p.active AND p.category_id = $1 AND p.price_amount >= $2 AND p.stock > 0"
        );
        assert_eq!(rendered.args, vec![Arg::Uuid(category), Arg::Int(100)]);
        assert_eq!(
            render(&query, Backend::Sqlite).from_where,
            rendered.from_where,
            "only search differs"
        );
    }

    #[test]
    fn search_text_cannot_inject_query_syntax() {
        assert_eq!(
            search_terms("knife\" OR name:*", Backend::Sqlite).unwrap(),
            "\"knife\" \"name\"*"
        );
        assert_eq!(
            search_terms("Chef knives", Backend::Postgres).unwrap(),
            "chef & knives:*"
        );
        assert_eq!(search_terms("!!!", Backend::Sqlite), None);
    }

    #[test]
    fn stop_words_are_dropped_on_both_backends_as_postgres_does() {
        assert_eq!(
            search_terms("The tent OR a stove", Backend::Sqlite).unwrap(),
            "\"tent\" \"stove\"*"
        );
        assert_eq!(
            search_terms("The tent OR a stove", Backend::Postgres).unwrap(),
            "tent & stove:*"
        );
        for backend in [Backend::Sqlite, Backend::Postgres] {
            assert_eq!(search_terms("to be or not", backend), None, "{backend:?}");
        }
    }

    #[test]
    fn search_renders_per_dialect_and_ranks_by_relevance() {
        let query = ProductQuery::new()
            .scope(ProductScope::Search("tent".into()))
            .sorted(ProductSort::Relevance, false);
        let sqlite = render(&query, Backend::Sqlite);
        assert!(
            sqlite.from_where.contains("JOIN products_fts")
                && sqlite.from_where.contains("MATCH $1")
        );
        assert!(order_by(&query, sqlite.rank.as_deref()).starts_with("ORDER BY bm25"));
        let postgres = render(&query, Backend::Postgres);
        assert!(postgres
            .from_where
            .contains("p.search @@ to_tsquery('english', $1)"));
        assert!(order_by(&query, postgres.rank.as_deref()).starts_with("ORDER BY -ts_rank"));
    }
}
