//! Full-text search text shared by every context's list scopes (catalog's products, content's
//! posts): SQLite FTS5 and Postgres tsvector are the one place the dialects truly differ.

use super::Backend;

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
pub(crate) fn search_terms(text: &str, backend: Backend) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
