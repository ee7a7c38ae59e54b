//! Post query scopes rendered to SQL: everything shared between dialects except full-text search.

use agora_domain::content::PostScope;

use crate::store::{search_terms, Arg, Backend};

/// The arguments of a post query, numbered from 1 in the order bound.
#[derive(Debug, Default)]
pub(super) struct Rendered {
    pub args: Vec<Arg>,
}

impl Rendered {
    /// Binds one more argument and returns its placeholder.
    pub fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}

/// Renders `scopes` (all must hold): their arguments, `WHERE` conditions and joins.
pub(super) fn render(scopes: &[PostScope], backend: Backend) -> (Rendered, Vec<String>, String) {
    let mut rendered = Rendered::default();
    let mut joins = String::new();
    let mut conditions: Vec<String> = Vec::new();
    for scope in scopes {
        match scope {
            PostScope::VisibleTo(None) => conditions.push("p.published".into()),
            PostScope::VisibleTo(Some(viewer)) => {
                let n = rendered.bind(Arg::Uuid(*viewer));
                conditions.push(format!("(p.published OR p.author_id = {n})"));
            }
            PostScope::ByAuthor(author) => {
                let n = rendered.bind(Arg::Uuid(*author));
                conditions.push(format!("p.author_id = {n}"));
            }
            PostScope::Tagged(tag) => {
                // Tags are stored as `,a,b,` and never contain `,`, `%` or `_` (migration 0001).
                let n = rendered.bind(Arg::Text(format!("%,{tag},%")));
                conditions.push(format!("p.tags LIKE {n}"));
            }
            PostScope::CreatedAfter(at) => {
                let n = rendered.bind(Arg::Time(*at));
                conditions.push(format!("p.created_at > {n}"));
            }
            PostScope::Search(text) => {
                let Some(terms) = search_terms(text, backend) else {
                    // Nothing searchable (only punctuation): matches nothing rather than everything.
                    conditions.push("1 = 0".into());
                    continue;
                };
                let n = rendered.bind(Arg::Text(terms));
                match backend {
                    Backend::Sqlite => {
                        joins.push_str(" JOIN posts_fts ON posts_fts.rowid = p.rowid");
                        conditions.push(format!("posts_fts MATCH {n}"));
                    }
                    Backend::Postgres => {
                        conditions.push(format!("p.search @@ to_tsquery('english', {n})"))
                    }
                }
            }
        }
    }
    (rendered, conditions, joins)
}

/// `FROM posts p … WHERE …` for `conditions`.
pub(super) fn from_where(joins: &str, conditions: &[String]) -> String {
    if conditions.is_empty() {
        format!("FROM posts p{joins}")
    } else {
        format!("FROM posts p{joins} WHERE {}", conditions.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn scopes_compose_into_one_where_clause_with_numbered_arguments() {
        let (viewer, author) = (Uuid::nil(), Uuid::max());
        let scopes = [
            PostScope::VisibleTo(Some(viewer)),
            PostScope::ByAuthor(author),
            PostScope::Tagged("rust".into()),
        ];
        let (rendered, conditions, joins) = render(&scopes, Backend::Postgres);
        assert_eq!(
            from_where(&joins, &conditions),
            "FROM posts p WHERE (p.published OR p.author_id = $1) AND p.author_id = $2 AND p.tags LIKE $3"
        );
        assert_eq!(rendered.args[2], Arg::Text("%,rust,%".into()));
    }

    #[test]
    fn search_renders_per_dialect() {
        let scopes = [PostScope::Search("markdown tips".into())];
        let (_, conditions, joins) = render(&scopes, Backend::Sqlite);
        assert!(joins.contains("JOIN posts_fts") && conditions[0] == "posts_fts MATCH $1");
        let (_, conditions, joins) = render(&scopes, Backend::Postgres);
        assert!(joins.is_empty() && conditions[0].contains("to_tsquery"));
    }
}
