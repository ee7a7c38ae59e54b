use agora_domain::ports::StoreError;

/// Classifies a driver error. Constraint names are normalised across backends: Postgres reports
/// the declared name; SQLite only reports `UNIQUE constraint failed: users.email`, which maps to
/// the project's naming convention `<table>_<columns>_key` (see docs/adr/0003).
pub fn map_sqlx_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => {
            if let Some(name) = db.constraint() {
                return StoreError::Constraint {
                    constraint: name.to_owned(),
                };
            }
            if let Some(name) = sqlite_unique_constraint(db.message()) {
                return StoreError::Constraint { constraint: name };
            }
            StoreError::Other(Box::new(error))
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(Box::new(error)),
    }
}

fn sqlite_unique_constraint(message: &str) -> Option<String> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    let mut table = None;
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        let (t, column) = qualified.split_once('.')?;
        table.get_or_insert(t);
        names.push(column);
    }
    Some(format!("{}_{}_key", table?, names.join("_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_unique_messages_follow_the_naming_convention() {
        assert_eq!(
            sqlite_unique_constraint("UNIQUE constraint failed: users.email").as_deref(),
            Some("users_email_key")
        );
        assert_eq!(
            sqlite_unique_constraint(
                "UNIQUE constraint failed: cart_items.user_id, cart_items.product_id"
            )
            .as_deref(),
            Some("cart_items_user_id_product_id_key")
        );
        assert_eq!(
            sqlite_unique_constraint("NOT NULL constraint failed: users.email"),
            None
        );
    }
}
