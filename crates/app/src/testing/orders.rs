//! Fakes of the orders repositories over [`MemoryDb`] (so a checkout's transaction really
//! rolls back): carts, orders, idempotency keys and payment attempts.

use agora_domain::{
    orders::{CartLine, IdempotencyKey, Order, OrderStatus, StatusChange},
    paging::Page,
    ports::{
        CartRepository, IdempotencyRecord, IdempotencyState, IdempotencyStore, OrderFilter,
        OrderRepository, OrderSort, PaymentAttempt, PaymentRepository, PaymentStatus, StoreError,
        Tx,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{page_of, MemoryDb};

#[async_trait]
impl CartRepository for MemoryDb {
    async fn lines(&self, user_id: Uuid) -> Result<Vec<CartLine>, StoreError> {
        self.check("carts.lines")?;
        let mut lines: Vec<CartLine> = self
            .committed()
            .cart_items
            .iter()
            .filter(|(user, _)| *user == user_id)
            .map(|(_, line)| *line)
            .collect();
        lines.sort_by_key(|l| (l.added_at, l.product_id));
        Ok(lines)
    }
    async fn put(&self, tx: &mut Tx, user_id: Uuid, line: &CartLine) -> Result<(), StoreError> {
        let tables = self.write(tx, "carts.put")?;
        match tables
            .cart_items
            .iter_mut()
            .find(|(user, l)| *user == user_id && l.product_id == line.product_id)
        {
            Some((_, existing)) => existing.quantity = line.quantity,
            None => tables.cart_items.push((user_id, *line)),
        }
        Ok(())
    }
    async fn remove(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        product_id: Uuid,
    ) -> Result<bool, StoreError> {
        let tables = self.write(tx, "carts.remove")?;
        let before = tables.cart_items.len();
        tables
            .cart_items
            .retain(|(user, l)| !(*user == user_id && l.product_id == product_id));
        Ok(tables.cart_items.len() < before)
    }
    async fn remove_lines(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        lines: &[CartLine],
    ) -> Result<u64, StoreError> {
        let tables = self.write(tx, "carts.remove_lines")?;
        let before = tables.cart_items.len();
        tables.cart_items.retain(|(user, l)| {
            *user != user_id
                || !lines
                    .iter()
                    .any(|r| r.product_id == l.product_id && r.quantity == l.quantity)
        });
        Ok((before - tables.cart_items.len()) as u64)
    }
}

#[async_trait]
impl OrderRepository for MemoryDb {
    async fn await_confirmation(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "orders.await_confirmation")?;
        tables.unconfirmed.push((order_id, reservation_id));
        Ok(())
    }
    async fn confirmation_done(&self, tx: &mut Tx, order_id: Uuid) -> Result<(), StoreError> {
        let tables = self.write(tx, "orders.confirmation_done")?;
        tables.unconfirmed.retain(|(order, _)| *order != order_id);
        Ok(())
    }
    async fn awaiting_confirmation(&self, limit: u32) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        self.check("orders.awaiting_confirmation")?;
        Ok(self
            .committed()
            .unconfirmed
            .iter()
            .take(limit as usize)
            .copied()
            .collect())
    }
    async fn await_release(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "orders.await_release")?;
        tables.unreleased.push((order_id, reservation_id));
        Ok(())
    }
    async fn release_done(&self, tx: &mut Tx, order_id: Uuid) -> Result<(), StoreError> {
        let tables = self.write(tx, "orders.release_done")?;
        tables.unreleased.retain(|(order, _)| *order != order_id);
        Ok(())
    }
    async fn awaiting_release(&self, limit: u32) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        self.check("orders.awaiting_release")?;
        Ok(self
            .committed()
            .unreleased
            .iter()
            .take(limit as usize)
            .copied()
            .collect())
    }
    async fn insert(&self, tx: &mut Tx, order: &Order) -> Result<(), StoreError> {
        self.write(tx, "orders.insert")?.orders.push(order.clone());
        Ok(())
    }
    async fn find(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Order>, StoreError> {
        let tables = self.write(tx, "orders.find")?;
        Ok(tables.orders.iter().find(|o| o.id == id).cloned())
    }
    async fn get(&self, id: Uuid) -> Result<Option<Order>, StoreError> {
        self.check("orders.get")?;
        Ok(self.committed().orders.iter().find(|o| o.id == id).cloned())
    }
    async fn change_status(
        &self,
        tx: &mut Tx,
        order_id: Uuid,
        expected: OrderStatus,
        change: &StatusChange,
    ) -> Result<bool, StoreError> {
        let tables = self.write(tx, "orders.change_status")?;
        let Some(order) = tables
            .orders
            .iter_mut()
            .find(|o| o.id == order_id && o.status == expected)
        else {
            return Ok(false);
        };
        order.status = change.to;
        order.updated_at = change.at;
        order.history.push(change.clone());
        Ok(true)
    }
    async fn list(&self, filter: &OrderFilter) -> Result<Page<Order>, StoreError> {
        let mut orders: Vec<Order> = self
            .committed()
            .orders
            .iter()
            .filter(|o| filter.user_id.is_none_or(|u| o.user_id == u))
            .filter(|o| filter.status.is_none_or(|s| o.status == s))
            .filter(|o| filter.from.is_none_or(|at| o.created_at >= at))
            .filter(|o| filter.to.is_none_or(|at| o.created_at < at))
            .cloned()
            .collect();
        // Ties broken by id (UUID v7: placement order), as the adapters do.
        match filter.sort {
            OrderSort::CreatedAt => orders.sort_by_key(|o| (o.created_at, o.id)),
            OrderSort::Total => orders.sort_by_key(|o| (o.total.amount, o.id)),
            OrderSort::Status => orders.sort_by_key(|o| (o.status.as_str(), o.id)),
        }
        if filter.descending {
            orders.reverse();
        }
        Ok(page_of(orders, filter.page))
    }
}

fn key_row<'a>(
    rows: &'a mut [(Uuid, String, IdempotencyRecord)],
    user_id: Uuid,
    key: &IdempotencyKey,
) -> Option<&'a mut IdempotencyRecord> {
    rows.iter_mut()
        .find(|(user, k, _)| *user == user_id && k == key.as_str())
        .map(|(_, _, record)| record)
}

#[async_trait]
impl IdempotencyStore for MemoryDb {
    // Commits on its own (like the adapters' short transaction): a later checkout transaction
    // starts from tables that already hold the claim.
    async fn claim(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        fingerprint: &str,
        locked_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.commit_now("idempotency.claim", |tables| {
            if let Some(existing) = key_row(&mut tables.idempotency_keys, user_id, key) {
                return Some(existing.clone());
            }
            tables.idempotency_keys.push((
                user_id,
                key.as_str().to_owned(),
                IdempotencyRecord {
                    fingerprint: fingerprint.to_owned(),
                    state: IdempotencyState::InFlight {
                        locked_until,
                        order_id: None,
                    },
                    expires_at,
                },
            ));
            None
        })
    }
    async fn take_over(
        &self,
        user_id: Uuid,
        key: &IdempotencyKey,
        expired_lock: DateTime<Utc>,
        new_lock: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.commit_now("idempotency.take_over", |tables| {
            match key_row(&mut tables.idempotency_keys, user_id, key) {
                Some(IdempotencyRecord {
                    state: IdempotencyState::InFlight { locked_until, .. },
                    ..
                }) if *locked_until == expired_lock => {
                    *locked_until = new_lock;
                    true
                }
                _ => false,
            }
        })
    }
    async fn attach_order(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        key: &IdempotencyKey,
        order_id: Uuid,
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "idempotency.attach_order")?;
        if let Some(IdempotencyRecord {
            state: IdempotencyState::InFlight { order_id: slot, .. },
            ..
        }) = key_row(&mut tables.idempotency_keys, user_id, key)
        {
            *slot = Some(order_id);
        }
        Ok(())
    }
    async fn complete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        key: &IdempotencyKey,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "idempotency.complete")?;
        if let Some(record) = key_row(&mut tables.idempotency_keys, user_id, key) {
            record.state = IdempotencyState::Done {
                status,
                body: body.to_vec(),
            };
        }
        Ok(())
    }
    async fn forget(&self, user_id: Uuid, key: &IdempotencyKey) -> Result<(), StoreError> {
        self.commit_now("idempotency.forget", |tables| {
            tables
                .idempotency_keys
                .retain(|(user, k, _)| !(*user == user_id && k == key.as_str()));
        })
    }
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.commit_now("idempotency.purge_expired", |tables| {
            let before = tables.idempotency_keys.len();
            tables
                .idempotency_keys
                .retain(|(_, _, record)| record.expires_at >= now);
            (before - tables.idempotency_keys.len()) as u64
        })
    }
}

#[async_trait]
impl PaymentRepository for MemoryDb {
    async fn insert(&self, tx: &mut Tx, attempt: &PaymentAttempt) -> Result<(), StoreError> {
        let tables = self.write(tx, "payments.insert")?;
        if tables.payments.iter().any(|p| p.key == attempt.key) {
            return Err(StoreError::Constraint {
                constraint: "payments_key_key".into(),
            });
        }
        tables.payments.push(attempt.clone());
        Ok(())
    }
    async fn of_order(&self, order_id: Uuid) -> Result<Vec<PaymentAttempt>, StoreError> {
        self.check("payments.of_order")?;
        Ok(self
            .committed()
            .payments
            .iter()
            .filter(|p| p.order_id == order_id)
            .cloned()
            .collect())
    }
    async fn set_status(
        &self,
        tx: &mut Tx,
        id: Uuid,
        status: PaymentStatus,
        provider_ref: Option<&str>,
    ) -> Result<(), StoreError> {
        let tables = self.write(tx, "payments.set_status")?;
        if let Some(attempt) = tables.payments.iter_mut().find(|p| p.id == id) {
            attempt.status = status;
            if let Some(reference) = provider_ref {
                attempt.provider_ref = Some(reference.to_owned());
            }
        }
        Ok(())
    }
}
