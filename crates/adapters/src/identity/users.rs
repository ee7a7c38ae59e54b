use agora_domain::{
    identity::{Email, PersonName, User},
    paging::{Page, PageRequest, SortOrder},
    ports::{StoreError, Tx, UserFilter, UserRepository},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{types::Json, ColumnIndex, FromRow, Row};
use uuid::Uuid;

use crate::{
    on_pool, on_tx,
    store::{id_chunks, like_pattern, map_sqlx_error, Column, Database},
};

/// Users in the relational store, on either backend.
#[derive(Debug, Clone)]
pub struct SqlUserRepository {
    db: Database,
}

impl SqlUserRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const USER_COLUMNS: &str = "id, email, password_hash, name, age, profile, role, tier, \
                            is_verified, disabled, created_at, updated_at";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt users row: {what}").into())
}

/// A `users` row as stored, decoded by either backend.
struct UserRow {
    id: Uuid,
    email: String,
    password_hash: String,
    name: String,
    age: Option<i32>,
    profile: Json<serde_json::Value>,
    role: String,
    tier: String,
    is_verified: bool,
    disabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'r, R: Row> FromRow<'r, R> for UserRow
where
    &'r str: ColumnIndex<R>,
    Uuid: Column<'r, R>,
    String: Column<'r, R>,
    Option<i32>: Column<'r, R>,
    Json<serde_json::Value>: Column<'r, R>,
    bool: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            name: row.try_get("name")?,
            age: row.try_get("age")?,
            profile: row.try_get("profile")?,
            role: row.try_get("role")?,
            tier: row.try_get("tier")?,
            is_verified: row.try_get("is_verified")?,
            disabled: row.try_get("disabled")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    /// Stored values pass the same validation as input; a row that does not is corrupt.
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: row.id,
            email: Email::parse(&row.email).map_err(|e| corrupt(e.message))?,
            password_hash: row.password_hash,
            name: PersonName::parse(&row.name).map_err(|e| corrupt(e.message))?,
            age: row.age.and_then(|age| u8::try_from(age).ok()),
            profile: row.profile.0,
            role: row.role.parse().map_err(corrupt)?,
            tier: row.tier.parse().map_err(corrupt)?,
            is_verified: row.is_verified,
            disabled: row.disabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A [`User`] from a row of either backend.
fn user_of<'r, R: Row>(row: &'r R) -> Result<User, StoreError>
where
    UserRow: FromRow<'r, R>,
{
    UserRow::from_row(row).map_err(map_sqlx_error)?.try_into()
}

/// `WHERE` clause and its text arguments (`$1…`) for a filter.
fn where_clause(filter: &UserFilter) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        args.push(like_pattern(q));
        let n = args.len();
        conditions.push(format!(
            "(lower(email) LIKE ${n} ESCAPE '\\' OR lower(name) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(role) = filter.role {
        args.push(role.as_str().to_owned());
        conditions.push(format!("role = ${}", args.len()));
    }
    if let Some(tier) = filter.tier {
        args.push(tier.as_str().to_owned());
        conditions.push(format!("tier = ${}", args.len()));
    }
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    (clause, args)
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user.id))]
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

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_by_email(&self, tx: &mut Tx, email: &Email) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn find_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn update(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError> {
        let sql = "UPDATE users SET email = $2, password_hash = $3, name = $4, age = $5, profile = $6, \
                   role = $7, tier = $8, is_verified = $9, disabled = $10, updated_at = $11 WHERE id = $1";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
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
                .bind(user.updated_at)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn replace_password_hash(
        &self,
        tx: &mut Tx,
        id: Uuid,
        expected: &str,
        new: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(id)
                .bind(expected)
                .bind(new)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn get(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<User>, StoreError> {
        let mut users = Vec::with_capacity(ids.len());
        for (chunk, list) in id_chunks(ids) {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({list})");
            let found: Vec<User> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query(&sql);
                for id in &chunk {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(pool).await.map_err(map_sqlx_error)?;
                rows.into_iter()
                    .map(|row| user_of(&row))
                    .collect::<Result<_, _>>()?
            });
            users.extend(found);
        }
        Ok(users)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn get_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_of(&row)).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list(
        &self,
        filter: &UserFilter,
        sort: SortOrder,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let (clause, args) = where_clause(filter);
        let direction = if sort.descending { "DESC" } else { "ASC" };
        // `id` breaks ties so pages never overlap or skip rows.
        let select = format!(
            "SELECT {USER_COLUMNS} FROM users{clause} ORDER BY {} {direction}, id {direction} LIMIT {} OFFSET {}",
            sort.column,
            page.limit,
            page.offset()
        );
        let count = format!("SELECT count(*) FROM users{clause}");
        on_pool!(&self.db, |pool| {
            let mut rows_query = sqlx::query(&select);
            let mut count_query = sqlx::query_scalar::<_, i64>(&count);
            for arg in &args {
                rows_query = rows_query.bind(arg);
                count_query = count_query.bind(arg);
            }
            let rows = rows_query.fetch_all(pool).await.map_err(map_sqlx_error)?;
            let total = count_query.fetch_one(pool).await.map_err(map_sqlx_error)?;
            let items = rows
                .into_iter()
                .map(|row| user_of(&row))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }
}
