use agora_domain::{
    identity::{Email, PersonName, User},
    paging::{Page, PageRequest, SortOrder},
    ports::{StoreError, Tx, UserFilter, UserRepository},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{types::Json, Row};
use uuid::Uuid;

use crate::{
    on_pool, on_tx,
    store::{id_chunks, like_pattern, map_sqlx_error, Database},
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

/// Rebuilds a [`User`] from a row of either backend; expanded per dialect.
macro_rules! user_from_row {
    ($row:expr) => {{
        let row = $row;
        (|| -> Result<User, StoreError> {
            let text = |column: &str| row.try_get::<String, _>(column).map_err(map_sqlx_error);
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
                role: text("role")?.parse().map_err(corrupt)?,
                tier: text("tier")?.parse().map_err(corrupt)?,
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

    async fn find_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_tx!(tx, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_from_row!(row)).transpose()
        })
    }

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

    async fn get(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_from_row!(row)).transpose()
        })
    }

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
                    .map(|row| user_from_row!(row))
                    .collect::<Result<_, _>>()?
            });
            users.extend(found);
        }
        Ok(users)
    }

    async fn get_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(|row| user_from_row!(row)).transpose()
        })
    }

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
                .map(|row| user_from_row!(row))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }
}
