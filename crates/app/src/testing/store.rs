//! An in-memory relational store with real transactions: a [`Tx`] works on a private copy of the
//! tables, commit publishes the copy, rollback (or drop) discards it. So a use-case test can assert
//! "all or nothing" the way the contract tests do against SQLite and Postgres.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, MutexGuard},
};

use agora_domain::{
    catalog::{Category, Product},
    event::EventEnvelope,
    identity::{AuditEntry, EmailTokenPurpose, RefreshRecord, User},
    mail::OutgoingMail,
    orders::{CartLine, Order},
    ports::{
        IdempotencyRecord, OutboxMessage, PaymentAttempt, StoreError, Tx, TxBackend, UnitOfWork,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A stored single-use mail token.
#[derive(Debug, Clone)]
pub struct EmailTokenRow {
    /// The token's hash.
    pub hash: String,
    /// Owner.
    pub user_id: Uuid,
    /// What it allows.
    pub purpose: EmailTokenPurpose,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Spent.
    pub used: bool,
}

/// Every table the identity, catalog and orders ports write.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Accounts.
    pub users: Vec<User>,
    /// Verification and reset tokens.
    pub email_tokens: Vec<EmailTokenRow>,
    /// Refresh tokens with their hashes.
    pub refresh_tokens: Vec<(String, RefreshRecord)>,
    /// Mails and events, in enqueue order.
    pub outbox: Vec<OutboxMessage>,
    /// Security audit trail.
    pub audit: Vec<AuditEntry>,
    /// Products.
    pub products: Vec<Product>,
    /// Categories.
    pub categories: Vec<Category>,
    /// `(reservation, product, units, released)`.
    pub reservations: Vec<(Uuid, Uuid, u32, bool)>,
    /// Orders whose reservation awaits confirmation, as `(order, reservation)`.
    pub unconfirmed: Vec<(Uuid, Uuid)>,
    /// Cancelled orders whose reservation awaits its release, as `(order, reservation)`.
    pub unreleased: Vec<(Uuid, Uuid)>,
    /// Pending reservations and when they expire (confirmed ones are absent).
    pub pending: Vec<(Uuid, chrono::DateTime<chrono::Utc>)>,
    /// Cart lines as `(user, line)`.
    pub cart_items: Vec<(Uuid, CartLine)>,
    /// Orders with their items and history.
    pub orders: Vec<Order>,
    /// Checkout idempotency keys as `(user, key, record)`.
    pub idempotency_keys: Vec<(Uuid, String, IdempotencyRecord)>,
    /// Payment attempts, oldest first.
    pub payments: Vec<PaymentAttempt>,
    /// Posts.
    pub posts: Vec<agora_domain::content::Post>,
    /// Comments.
    pub comments: Vec<agora_domain::content::Comment>,
}

impl Tables {
    /// The mails in the outbox.
    pub fn mails(&self) -> Vec<&OutgoingMail> {
        self.outbox
            .iter()
            .filter_map(|m| match m {
                OutboxMessage::Mail(mail) => Some(mail),
                OutboxMessage::Event(_) | OutboxMessage::Job(_) => None,
            })
            .collect()
    }

    /// The events in the outbox.
    pub fn events(&self) -> Vec<&EventEnvelope> {
        self.outbox
            .iter()
            .filter_map(|m| match m {
                OutboxMessage::Event(event) => Some(event),
                OutboxMessage::Mail(_) | OutboxMessage::Job(_) => None,
            })
            .collect()
    }

    /// The actions recorded in the audit trail, in order.
    pub fn audit_actions(&self) -> Vec<&str> {
        self.audit.iter().map(|e| e.action.as_str()).collect()
    }
}

#[derive(Default)]
struct Inner {
    committed: Mutex<Tables>,
    failing: Mutex<HashSet<&'static str>>,
    checked: Mutex<Vec<&'static str>>,
}

/// The store: a handle shared by the unit of work and every fake repository.
#[derive(Clone, Default)]
pub struct MemoryDb(Arc<Inner>);

/// A transaction: a private copy of the tables until commit.
struct MemoryTx {
    db: MemoryDb,
    tables: Tables,
}

#[async_trait]
impl TxBackend for MemoryTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.db.check("commit")?;
        // Tests run one use case at a time, so last-writer-wins is the whole isolation needed.
        *self.db.0.committed.lock().unwrap() = self.tables;
        Ok(())
    }
    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

#[async_trait]
impl UnitOfWork for MemoryDb {
    async fn begin(&self) -> Result<Tx, StoreError> {
        self.check("begin")?;
        Ok(Tx::new(MemoryTx {
            db: self.clone(),
            tables: self.committed().clone(),
        }))
    }
}

impl MemoryDb {
    /// The committed tables (what another transaction would read).
    pub fn committed(&self) -> MutexGuard<'_, Tables> {
        self.0.committed.lock().unwrap()
    }

    /// Makes the named operation (`"outbox.enqueue"`, `"commit"`, …) fail as if the database
    /// went away.
    pub fn fail_on(&self, operation: &'static str) {
        self.0.failing.lock().unwrap().insert(operation);
    }

    /// Undoes [`MemoryDb::fail_on`]: the store is back (a retry after a crash).
    pub fn heal(&self, operation: &'static str) {
        self.0.failing.lock().unwrap().remove(operation);
    }

    /// Changes the committed tables directly, as a write that commits on its own would.
    pub fn commit_now<T>(
        &self,
        operation: &'static str,
        change: impl FnOnce(&mut Tables) -> T,
    ) -> Result<T, StoreError> {
        self.check(operation)?;
        Ok(change(&mut self.committed()))
    }

    /// How many times `operation` reached the store (counted by [`MemoryDb::check`]), e.g. to
    /// assert that a batch read was one query.
    pub fn calls(&self, operation: &str) -> usize {
        let checked = self.0.checked.lock().unwrap();
        checked.iter().filter(|op| **op == operation).count()
    }

    /// `Unavailable` when `operation` was told to fail; counts the call either way.
    pub fn check(&self, operation: &'static str) -> Result<(), StoreError> {
        self.0.checked.lock().unwrap().push(operation);
        if self.0.failing.lock().unwrap().contains(operation) {
            Err(StoreError::Unavailable(format!(
                "{operation} failed (test)"
            )))
        } else {
            Ok(())
        }
    }

    /// The tables a write inside `tx` changes, after checking `operation` is not set to fail.
    pub fn write<'t>(
        &self,
        tx: &'t mut Tx,
        operation: &'static str,
    ) -> Result<&'t mut Tables, StoreError> {
        self.check(operation)?;
        Ok(&mut tx.backend_mut::<MemoryTx>()?.tables)
    }
}
