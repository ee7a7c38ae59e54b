//! Product query scopes rendered to SQL. Everything is shared between dialects except full-text
//! search, the one place SQLite (FTS5) and Postgres (tsvector) truly differ (`store::search`).

use crate::store::{search_terms, Arg, Backend};
use agora_domain::catalog::{ProductQuery, ProductScope, ProductSort};

/// `FROM … WHERE …` plus arguments and an optional relevance expression.
#[derive(Debug, Default)]
pub(super) struct Rendered {
    pub from_where: String,
    pub args: Vec<Arg>,
    pub rank: Option<String>,
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
    use uuid::Uuid;

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
