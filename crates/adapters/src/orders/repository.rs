use std::collections::HashMap;

use agora_domain::{
    catalog::{Currency, Money},
    orders::{Order, OrderItem, OrderStatus, Quantity, StatusChange},
    paging::Page,
    ports::{OrderFilter, OrderRepository, OrderSort, StoreError, Tx},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::corrupt;
use crate::{
    on_pool, on_tx,
    store::{id_chunks, map_sqlx_error, Database},
};

/// Orders, their items and history in the relational store.
#[derive(Debug, Clone)]
pub struct SqlOrderRepository {
    db: Database,
}

impl SqlOrderRepository {
    /// A repository over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const ORDER_COLUMNS: &str =
    "id, user_id, status, total_amount, currency, reservation_id, note, created_at, updated_at";

fn status(raw: &str) -> Result<OrderStatus, StoreError> {
    OrderStatus::parse(raw, "status").map_err(|e| corrupt(e.message))
}

fn currency(raw: &str) -> Result<Currency, StoreError> {
    Currency::parse(raw, "currency").map_err(|e| corrupt(e.message))
}

/// Decodes the rows of an order, its items and its history (read with the statements below, in
/// one expansion per backend) into orders in the order of `heads`.
macro_rules! decode_orders {
    ($heads:expr, $items:expr, $history:expr) => {{
        let mut items: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
        let mut currencies: HashMap<Uuid, Currency> = HashMap::new();
        for row in &$heads {
            let id: Uuid = row.try_get("id").map_err(map_sqlx_error)?;
            let code: String = row.try_get("currency").map_err(map_sqlx_error)?;
            currencies.insert(id, currency(&code)?);
        }
        for row in &$items {
            let order_id: Uuid = row.try_get("order_id").map_err(map_sqlx_error)?;
            let cur = currencies[&order_id];
            let quantity: i64 = row.try_get("quantity").map_err(map_sqlx_error)?;
            items.entry(order_id).or_default().push(OrderItem {
                product_id: row.try_get("product_id").map_err(map_sqlx_error)?,
                sku: row.try_get("sku").map_err(map_sqlx_error)?,
                name: row.try_get("name").map_err(map_sqlx_error)?,
                unit_price: Money {
                    amount: row.try_get("unit_amount").map_err(map_sqlx_error)?,
                    currency: cur,
                },
                quantity: Quantity::parse(quantity).map_err(|e| corrupt(e.message))?,
                line_total: Money {
                    amount: row.try_get("line_amount").map_err(map_sqlx_error)?,
                    currency: cur,
                },
            });
        }
        let mut history: HashMap<Uuid, Vec<StatusChange>> = HashMap::new();
        for row in &$history {
            let order_id: Uuid = row.try_get("order_id").map_err(map_sqlx_error)?;
            let from: Option<String> = row.try_get("from_status").map_err(map_sqlx_error)?;
            let to: String = row.try_get("to_status").map_err(map_sqlx_error)?;
            history.entry(order_id).or_default().push(StatusChange {
                from: from.as_deref().map(status).transpose()?,
                to: status(&to)?,
                at: row
                    .try_get::<DateTime<Utc>, _>("at")
                    .map_err(map_sqlx_error)?,
                actor: row.try_get("actor_id").map_err(map_sqlx_error)?,
            });
        }
        let mut orders = Vec::with_capacity($heads.len());
        for row in &$heads {
            let id: Uuid = row.try_get("id").map_err(map_sqlx_error)?;
            let raw_status: String = row.try_get("status").map_err(map_sqlx_error)?;
            orders.push(Order {
                id,
                user_id: row.try_get("user_id").map_err(map_sqlx_error)?,
                status: status(&raw_status)?,
                items: items.remove(&id).unwrap_or_default(),
                total: Money {
                    amount: row.try_get("total_amount").map_err(map_sqlx_error)?,
                    currency: currencies[&id],
                },
                reservation_id: row.try_get("reservation_id").map_err(map_sqlx_error)?,
                note: row.try_get("note").map_err(map_sqlx_error)?,
                created_at: row
                    .try_get::<DateTime<Utc>, _>("created_at")
                    .map_err(map_sqlx_error)?,
                updated_at: row
                    .try_get::<DateTime<Utc>, _>("updated_at")
                    .map_err(map_sqlx_error)?,
                history: history.remove(&id).unwrap_or_default(),
            });
        }
        Ok::<Vec<Order>, StoreError>(orders)
    }};
}

/// Reads the items and history of `ids` and decodes everything, on connection/pool `$conn`.
macro_rules! load_details {
    ($conn:expr, $heads:expr) => {{
        let ids: Vec<Uuid> = $heads
            .iter()
            .map(|row| row.try_get::<Uuid, _>("id"))
            .collect::<Result<_, _>>()
            .map_err(map_sqlx_error)?;
        let (mut items, mut history) = (Vec::new(), Vec::new());
        for (chunk, list) in id_chunks(&ids) {
            let sql = format!(
                "SELECT order_id, product_id, sku, name, unit_amount, quantity, line_amount \
                 FROM order_items WHERE order_id IN ({list}) ORDER BY order_id, position"
            );
            let mut query = sqlx::query(&sql);
            for id in &chunk {
                query = query.bind(*id);
            }
            items.extend(query.fetch_all(&mut *$conn).await.map_err(map_sqlx_error)?);
            let sql = format!(
                "SELECT order_id, from_status, to_status, at, actor_id \
                 FROM order_history WHERE order_id IN ({list}) ORDER BY order_id, position"
            );
            let mut query = sqlx::query(&sql);
            for id in &chunk {
                query = query.bind(*id);
            }
            history.extend(query.fetch_all(&mut *$conn).await.map_err(map_sqlx_error)?);
        }
        decode_orders!($heads, items, history)
    }};
}

#[async_trait]
impl OrderRepository for SqlOrderRepository {
    async fn await_confirmation(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), StoreError> {
        settle_later(tx, UNCONFIRMED, order_id, reservation_id).await
    }

    async fn confirmation_done(&self, tx: &mut Tx, order_id: Uuid) -> Result<(), StoreError> {
        settled(tx, UNCONFIRMED, order_id).await
    }

    async fn awaiting_confirmation(&self, limit: u32) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        awaiting(&self.db, UNCONFIRMED, limit).await
    }

    async fn await_release(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), StoreError> {
        settle_later(tx, UNRELEASED, order_id, reservation_id).await
    }

    async fn release_done(&self, tx: &mut Tx, order_id: Uuid) -> Result<(), StoreError> {
        settled(tx, UNRELEASED, order_id).await
    }

    async fn awaiting_release(&self, limit: u32) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        awaiting(&self.db, UNRELEASED, limit).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(order_id = %order.id))]
    async fn insert(&self, tx: &mut Tx, order: &Order) -> Result<(), StoreError> {
        on_tx!(tx, |conn| {
            sqlx::query(&format!(
                "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(order.id)
            .bind(order.user_id)
            .bind(order.status.as_str())
            .bind(order.total.amount)
            .bind(order.total.currency.code())
            .bind(order.reservation_id)
            .bind(order.note.as_deref())
            .bind(order.created_at)
            .bind(order.updated_at)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            for (position, item) in order.items.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO order_items (order_id, position, product_id, sku, name, unit_amount, \
                     quantity, line_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(order.id)
                .bind(position as i64)
                .bind(item.product_id)
                .bind(&item.sku)
                .bind(&item.name)
                .bind(item.unit_price.amount)
                .bind(i64::from(item.quantity.get()))
                .bind(item.line_total.amount)
                .execute(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            }
            for (position, change) in order.history.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO order_history (order_id, position, from_status, to_status, at, actor_id) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(order.id)
                .bind(position as i64)
                .bind(change.from.map(OrderStatus::as_str))
                .bind(change.to.as_str())
                .bind(change.at)
                .bind(change.actor)
                .execute(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            }
        });
        Ok(())
    }

    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Order>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
        on_tx!(tx, |conn| {
            let heads = sqlx::query(&sql)
                .bind(id)
                .fetch_all(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            Ok(load_details!(conn, heads)?.into_iter().next())
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Order>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
        on_pool!(&self.db, |pool| {
            let mut conn = pool.acquire().await.map_err(map_sqlx_error)?;
            let heads = sqlx::query(&sql)
                .bind(id)
                .fetch_all(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            let conn = &mut *conn;
            Ok(load_details!(conn, heads)?.into_iter().next())
        })
    }

    async fn change_status(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        expected: OrderStatus,
        change: &StatusChange,
    ) -> Result<bool, StoreError> {
        on_tx!(tx, |conn| {
            let updated = sqlx::query(
                "UPDATE orders SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
            )
            .bind(order_id)
            .bind(expected.as_str())
            .bind(change.to.as_str())
            .bind(change.at)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            if updated.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO order_history (order_id, position, from_status, to_status, at, actor_id) \
                 SELECT $1, coalesce(max(position), -1) + 1, $2, $3, $4, $5 FROM order_history WHERE order_id = $1",
            )
            .bind(order_id)
            .bind(change.from.map(OrderStatus::as_str))
            .bind(change.to.as_str())
            .bind(change.at)
            .bind(change.actor)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
            Ok(true)
        })
    }

    async fn list(&self, filter: &OrderFilter) -> Result<Page<Order>, StoreError> {
        let mut clauses = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.user_id.is_some() {
            clauses.push(format!("user_id = {}", next()));
        }
        if filter.status.is_some() {
            clauses.push(format!("status = {}", next()));
        }
        if filter.from.is_some() {
            clauses.push(format!("created_at >= {}", next()));
        }
        if filter.to.is_some() {
            clauses.push(format!("created_at < {}", next()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let column = match filter.sort {
            OrderSort::CreatedAt => "created_at",
            OrderSort::Total => "total_amount",
            OrderSort::Status => "status",
        };
        let direction = if filter.descending { "DESC" } else { "ASC" };
        // The id (UUID v7, time-ordered) breaks ties, so pages never overlap.
        // Page and size are bound (one prepared statement per filter shape serves every page).
        let select = format!(
            "SELECT {ORDER_COLUMNS} FROM orders {filter_sql} ORDER BY {column} {direction}, id {direction} \
             LIMIT {} OFFSET {}",
            next(),
            next()
        );
        let count = format!("SELECT count(*) FROM orders {filter_sql}");
        macro_rules! bind_filter {
            ($query:expr) => {{
                let mut query = $query;
                if let Some(user) = filter.user_id {
                    query = query.bind(user);
                }
                if let Some(status) = filter.status {
                    query = query.bind(status.as_str());
                }
                if let Some(from) = filter.from {
                    query = query.bind(from);
                }
                if let Some(to) = filter.to {
                    query = query.bind(to);
                }
                query
            }};
        }
        on_pool!(&self.db, |pool| {
            let mut conn = pool.acquire().await.map_err(map_sqlx_error)?;
            let heads = bind_filter!(sqlx::query(&select))
                .bind(i64::from(filter.page.limit))
                .bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX))
                .fetch_all(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            let total: i64 = bind_filter!(sqlx::query_scalar(&count))
                .fetch_one(&mut *conn)
                .await
                .map_err(map_sqlx_error)?;
            let conn = &mut *conn;
            let items = load_details!(conn, heads)?;
            Ok(Page {
                items,
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }
}

/// The saga's two to-do lists of reservation steps left for after a commit (ADR 0031): the same
/// shape, `(order_id, reservation_id, created_at)`, one table each.
const UNCONFIRMED: &str = "unconfirmed_reservations";
const UNRELEASED: &str = "unreleased_reservations";

async fn settle_later(
    tx: &mut Tx,
    table: &'static str,
    order_id: Uuid,
    reservation_id: Uuid,
) -> Result<(), StoreError> {
    let now = agora_domain::timestamp_now();
    let sql =
        format!("INSERT INTO {table} (order_id, reservation_id, created_at) VALUES ($1, $2, $3)");
    on_tx!(tx, |conn| {
        sqlx::query(&sql)
            .bind(order_id)
            .bind(reservation_id)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
        Ok(())
    })
}

async fn settled(tx: &mut Tx, table: &'static str, order_id: Uuid) -> Result<(), StoreError> {
    let sql = format!("DELETE FROM {table} WHERE order_id = $1");
    on_tx!(tx, |conn| {
        sqlx::query(&sql)
            .bind(order_id)
            .execute(&mut *conn)
            .await
            .map_err(map_sqlx_error)?;
        Ok(())
    })
}

async fn awaiting(
    db: &Database,
    table: &'static str,
    limit: u32,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let sql = format!("SELECT order_id, reservation_id FROM {table} ORDER BY created_at LIMIT $1");
    on_pool!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(map_sqlx_error)
    })
}
