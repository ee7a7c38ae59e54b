//! Databases for a local split deployment (`agora dev --topology micro` on PostgreSQL): one
//! database per service on the configured server, created when missing.

use sqlx::{Connection, PgConnection};

/// `url` with its database name replaced by `name` (query string kept).
pub fn with_database_name(url: &str, name: &str) -> anyhow::Result<String> {
    let mut parsed = url::Url::parse(url)?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "postgres" | "postgresql"),
        "not a PostgreSQL URL"
    );
    parsed.set_path(&format!("/{name}"));
    Ok(parsed.to_string())
}

/// The database name in a PostgreSQL URL (`postgres` when none is given, as libpq defaults).
pub fn database_name(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url)?;
    let name = parsed.path().trim_start_matches('/');
    Ok(if name.is_empty() { "postgres" } else { name }.to_owned())
}

/// Creates database `name` on the server `url` reaches (connecting to `url`'s own database, which
/// must exist) unless it exists. Returns whether it was created.
pub async fn ensure_postgres_database(url: &str, name: &str) -> anyhow::Result<bool> {
    // The name is interpolated into DDL (identifiers cannot be bound): only plain names.
    anyhow::ensure!(
        !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "database name `{name}` must be 1–63 characters of a-z, 0-9 and _"
    );
    let mut conn = PgConnection::connect(url).await.map_err(|e| {
        anyhow::anyhow!("cannot reach PostgreSQL at {}: {e}", super::redact_url(url))
    })?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    match sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
    {
        Ok(_) => Ok(true),
        // Another launcher created it between the check and the statement.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(false),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database_name(
                "postgres://u:p@h:5432/agora?sslmode=disable",
                "agora_catalog"
            )
            .unwrap(),
            "postgres://u:p@h:5432/agora_catalog?sslmode=disable"
        );
        assert_eq!(database_name("postgres://h/agora").unwrap(), "agora");
        assert_eq!(database_name("postgres://h").unwrap(), "postgres");
    }
}
