//! Analytics adapters: the counters' tables.

use agora_domain::{
    analytics::{OrdersOnDay, PlacedOrder, Stats, TopProduct, UsersOnDay},
    ports::{AnalyticsStore, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::Row;
use uuid::Uuid;

use crate::{
    on_pool, on_tx,
    store::{
        map_sqlx_error,
        migrations::{migration, Migration},
        Database,
    },
};

/// The analytics context's schema, oldest first (`migrations/analytics/`).
pub static MIGRATIONS: &[Migration] = &[migration!("analytics", 1, "0001_create_analytics")];

/// Counters in SQL; each write is an upsert adding to the day's row.
#[derive(Debug, Clone)]
pub struct SqlAnalytics {
    db: Database,
}

impl SqlAnalytics {
    /// Counters over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

#[async_trait]
impl AnalyticsStore for SqlAnalytics {
    async fn user_created(&self, tx: &mut Tx, day: NaiveDate) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO analytics_users_daily (day, count) VALUES ($1, 1) \
                 ON CONFLICT (day) DO UPDATE SET count = analytics_users_daily.count + 1",
            )
            .bind(day)
            .execute(conn)
            .await
            .map_err(map_sqlx_error)?;
        });
        Ok(())
    }

    async fn order_placed(
        &self,
        tx: &mut Tx,
        day: NaiveDate,
        order: &PlacedOrder,
    ) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO analytics_orders_daily (day, currency, count, revenue) VALUES ($1, $2, 1, $3) \
                 ON CONFLICT (day, currency) DO UPDATE SET count = analytics_orders_daily.count + 1, \
                 revenue = analytics_orders_daily.revenue + excluded.revenue",
            )
            .bind(day)
            .bind(&order.currency)
            .bind(order.amount)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            for item in &order.items {
                sqlx::query(
                    "INSERT INTO analytics_products_daily (day, product_id, name, quantity) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (day, product_id) DO UPDATE SET quantity = analytics_products_daily.quantity + excluded.quantity, \
                     name = CASE WHEN excluded.name = '' THEN analytics_products_daily.name ELSE excluded.name END",
                )
                .bind(day)
                .bind(item.product_id)
                .bind(&item.name)
                .bind(i64::try_from(item.quantity).unwrap_or(i64::MAX))
                .execute(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            }
        });
        Ok(())
    }

    async fn stats(&self, since: NaiveDate, top: u32) -> Result<Stats, StoreError> {
        on_pool!(&self.db, |pool| {
            let users = sqlx::query(
                "SELECT day, count FROM analytics_users_daily WHERE day >= $1 ORDER BY day",
            )
            .bind(since)
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)?;
            let orders = sqlx::query(
                "SELECT day, currency, count, revenue FROM analytics_orders_daily WHERE day >= $1 ORDER BY day, currency",
            )
            .bind(since)
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)?;
            let products = sqlx::query(
                "SELECT product_id, max(name) AS name, CAST(sum(quantity) AS BIGINT) AS quantity FROM analytics_products_daily \
                 WHERE day >= $1 GROUP BY product_id ORDER BY sum(quantity) DESC, product_id LIMIT $2",
            )
            .bind(since)
            .bind(i64::from(top))
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)?;
            let read = || -> Result<Stats, sqlx::Error> {
                Ok(Stats {
                    users_by_day: users
                        .iter()
                        .map(|r| {
                            Ok(UsersOnDay {
                                day: r.try_get("day")?,
                                count: count(r.try_get("count")?),
                            })
                        })
                        .collect::<Result<_, sqlx::Error>>()?,
                    orders_by_day: orders
                        .iter()
                        .map(|r| {
                            Ok(OrdersOnDay {
                                day: r.try_get("day")?,
                                count: count(r.try_get("count")?),
                                revenue: r.try_get("revenue")?,
                                currency: r.try_get("currency")?,
                            })
                        })
                        .collect::<Result<_, sqlx::Error>>()?,
                    top_products: products
                        .iter()
                        .map(|r| {
                            Ok(TopProduct {
                                product_id: r.try_get::<Uuid, _>("product_id")?,
                                name: r.try_get("name")?,
                                quantity: count(r.try_get("quantity")?),
                            })
                        })
                        .collect::<Result<_, sqlx::Error>>()?,
                })
            };
            read().map_err(map_sqlx_error)
        })
    }
}
