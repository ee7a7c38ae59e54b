use agora_domain::{
    identity::{Email, PersonName, User},
    ports::{StoreError, Tx, UserRepository},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{types::Json, Row};
use uuid::Uuid;

use crate::{on_tx, store::map_sqlx_error};

/// Users in the relational store, on either backend.
#[derive(Debug, Default, Clone)]
pub struct SqlUserRepository;

const USER_COLUMNS: &str = "id, email, password_hash, name, age, profile, role, tier, \
                            is_verified, disabled, created_at, updated_at";

/// Rebuilds a [`User`] from a row of either backend; runs per dialect inside `on_tx!`.
macro_rules! user_from_row {
    ($row:expr) => {{
        let row = $row;
        (|| -> Result<User, StoreError> {
            let text = |column: &str| -> Result<String, StoreError> {
                row.try_get::<String, _>(column).map_err(map_sqlx_error)
            };
            let corrupt = |what: String| StoreError::Other(what.into());
            Ok(User {
                id: row.try_get::<Uuid, _>("id").map_err(map_sqlx_error)?,
                email: Email::parse(&text("email")?).map_err(|e| corrupt(e.message))?,
                password_hash: text("password_hash")?,
                name: PersonName::parse(&text("name")?).map_err(|e| corrupt(e.message))?,
                age: row
                    .try_get::<Option<i32>, _>("age")
                    .map_err(map_sqlx_error)?
                    .and_then(|age| u8::try_from(age).ok()),
                profile: row
                    .try_get::<Json<serde_json::Value>, _>("profile")
                    .map_err(map_sqlx_error)?
                    .0,
                role: text("role")?
                    .parse()
                    .map_err(|e: agora_domain::identity::UnknownVariant| corrupt(e.to_string()))?,
                tier: text("tier")?
                    .parse()
                    .map_err(|e: agora_domain::identity::UnknownVariant| corrupt(e.to_string()))?,
                is_verified: row
                    .try_get::<bool, _>("is_verified")
                    .map_err(map_sqlx_error)?,
                disabled: row.try_get::<bool, _>("disabled").map_err(map_sqlx_error)?,
                created_at: row
                    .try_get::<DateTime<Utc>, _>("created_at")
                    .map_err(map_sqlx_error)?,
                updated_at: row
                    .try_get::<DateTime<Utc>, _>("updated_at")
                    .map_err(map_sqlx_error)?,
            })
        })()
    }};
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    async fn insert(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        on_tx!(tx, |conn| {
            sqlx::query(&sql)
                .bind(user.id)
                .bind(user.email.as_str())
                .bind(&user.password_hash)
                .bind(user.name.as_str())
                .bind(user.age.map(i32::from))
                .bind(Json(&user.profile))
                .bind(user.role.as_str())
                .bind(user.tier.as_str())
                .bind(user.is_verified)
                .bind(user.disabled)
                .bind(user.created_at)
                .bind(user.updated_at)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn find_by_email(&self, tx: &mut Tx, email: &Email) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_from_row!(row)).transpose()
        })
    }
}
