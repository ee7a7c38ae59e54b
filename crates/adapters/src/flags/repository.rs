use agora_domain::{
    flags::{FeatureFlag, FlagKey, RolloutPercent},
    identity::{Role, Tier},
    ports::{FlagRepository, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{types::Json, ColumnIndex, FromRow, Row};
use uuid::Uuid;

use crate::{
    on_pool, on_tx,
    store::{map_sqlx_error, Column, Database},
};

/// Feature flags in the relational store, on either backend.
#[derive(Debug, Clone)]
pub struct SqlFlagRepository {
    db: Database,
}

impl SqlFlagRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const FLAG_COLUMNS: &str =
    "key, description, enabled, rollout_percent, roles, tiers, user_ids, created_at, updated_at";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt feature_flags row: {what}").into())
}

/// The storage form of a flag's targeting lists: JSON arrays of their API spellings.
struct Targeting {
    roles: Vec<&'static str>,
    tiers: Vec<&'static str>,
    user_ids: Vec<String>,
}

impl Targeting {
    fn of(flag: &FeatureFlag) -> Self {
        Self {
            roles: flag.roles.iter().map(|r| r.as_str()).collect(),
            tiers: flag.tiers.iter().map(|t| t.as_str()).collect(),
            user_ids: flag.user_ids.iter().map(Uuid::to_string).collect(),
        }
    }
}

/// A `feature_flags` row as stored, decoded by either backend.
struct FlagRow {
    key: String,
    description: String,
    enabled: bool,
    rollout_percent: i32,
    roles: Json<Vec<String>>,
    tiers: Json<Vec<String>>,
    user_ids: Json<Vec<String>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'r, R: Row> FromRow<'r, R> for FlagRow
where
    &'r str: ColumnIndex<R>,
    String: Column<'r, R>,
    bool: Column<'r, R>,
    i32: Column<'r, R>,
    Json<Vec<String>>: Column<'r, R>,
    DateTime<Utc>: Column<'r, R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            key: row.try_get("key")?,
            description: row.try_get("description")?,
            enabled: row.try_get("enabled")?,
            rollout_percent: row.try_get("rollout_percent")?,
            roles: row.try_get("roles")?,
            tiers: row.try_get("tiers")?,
            user_ids: row.try_get("user_ids")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl TryFrom<FlagRow> for FeatureFlag {
    type Error = StoreError;

    /// Stored values pass the same validation as input; a row that does not is corrupt.
    fn try_from(row: FlagRow) -> Result<Self, StoreError> {
        Ok(FeatureFlag {
            key: FlagKey::parse(&row.key).map_err(|e| corrupt(e.message))?,
            description: row.description,
            enabled: row.enabled,
            rollout_percent: RolloutPercent::parse(i64::from(row.rollout_percent))
                .map_err(|e| corrupt(e.message))?,
            roles: row
                .roles
                .0
                .iter()
                .map(|r| r.parse::<Role>().map_err(corrupt))
                .collect::<Result<_, _>>()?,
            tiers: row
                .tiers
                .0
                .iter()
                .map(|t| t.parse::<Tier>().map_err(corrupt))
                .collect::<Result<_, _>>()?,
            user_ids: row
                .user_ids
                .0
                .iter()
                .map(|id| Uuid::try_parse(id).map_err(corrupt))
                .collect::<Result<_, _>>()?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[async_trait]
impl FlagRepository for SqlFlagRepository {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list(&self) -> Result<Vec<FeatureFlag>, StoreError> {
        let sql = format!("SELECT {FLAG_COLUMNS} FROM feature_flags ORDER BY key");
        on_pool!(&self.db, |pool| {
            let rows: Vec<FlagRow> = sqlx::query_as(&sql)
                .fetch_all(pool)
                .await
                .map_err(map_sqlx_error)?;
            rows.into_iter().map(FeatureFlag::try_from).collect()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(key = key.as_str()))]
    async fn get(&self, key: &FlagKey) -> Result<Option<FeatureFlag>, StoreError> {
        let sql = format!("SELECT {FLAG_COLUMNS} FROM feature_flags WHERE key = $1");
        on_pool!(&self.db, |pool| {
            let row: Option<FlagRow> = sqlx::query_as(&sql)
                .bind(key.as_str())
                .fetch_optional(pool)
                .await
                .map_err(map_sqlx_error)?;
            row.map(FeatureFlag::try_from).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(key = key.as_str()))]
    async fn find(&self, tx: &mut Tx, key: &FlagKey) -> Result<Option<FeatureFlag>, StoreError> {
        let sql = format!("SELECT {FLAG_COLUMNS} FROM feature_flags WHERE key = $1");
        on_tx!(tx, |conn| {
            let row: Option<FlagRow> = sqlx::query_as(&sql)
                .bind(key.as_str())
                .fetch_optional(conn)
                .await
                .map_err(map_sqlx_error)?;
            row.map(FeatureFlag::try_from).transpose()
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(key = flag.key.as_str()))]
    async fn insert(&self, tx: &mut Tx, flag: &FeatureFlag) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO feature_flags ({FLAG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        let targeting = Targeting::of(flag);
        on_tx!(tx, |conn| {
            sqlx::query(&sql)
                .bind(flag.key.as_str())
                .bind(&flag.description)
                .bind(flag.enabled)
                .bind(i32::from(flag.rollout_percent.value()))
                .bind(Json(&targeting.roles))
                .bind(Json(&targeting.tiers))
                .bind(Json(&targeting.user_ids))
                .bind(flag.created_at)
                .bind(flag.updated_at)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(key = flag.key.as_str()))]
    async fn update(&self, tx: &mut Tx, flag: &FeatureFlag) -> Result<bool, StoreError> {
        let sql = "UPDATE feature_flags SET description = $2, enabled = $3, rollout_percent = $4, \
                   roles = $5, tiers = $6, user_ids = $7, updated_at = $8 WHERE key = $1";
        let targeting = Targeting::of(flag);
        on_tx!(tx, |conn| {
            let result = sqlx::query(sql)
                .bind(flag.key.as_str())
                .bind(&flag.description)
                .bind(flag.enabled)
                .bind(i32::from(flag.rollout_percent.value()))
                .bind(Json(&targeting.roles))
                .bind(Json(&targeting.tiers))
                .bind(Json(&targeting.user_ids))
                .bind(flag.updated_at)
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
            Ok(result.rows_affected() == 1)
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(key = key.as_str()))]
    async fn delete(&self, tx: &mut Tx, key: &FlagKey) -> Result<bool, StoreError> {
        on_tx!(tx, |conn| {
            let result = sqlx::query("DELETE FROM feature_flags WHERE key = $1")
                .bind(key.as_str())
                .execute(conn)
                .await
                .map_err(map_sqlx_error)?;
            Ok(result.rows_affected() == 1)
        })
    }
}
