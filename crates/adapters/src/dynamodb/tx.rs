//! Identity's unit of work on DynamoDB: writes are buffered and committed in one
//! `TransactWriteItems`; the relational transaction of the outbox and the audit log rides
//! inside and commits only once DynamoDB has (ADR 0022).

use std::{any::Any, sync::Arc};

use agora_domain::ports::{StoreError, Tx, TxBackend, UnitOfWork};
use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::{client::DynamoError, DynamoClient};

/// DynamoDB's limit of operations per `TransactWriteItems`.
const MAX_OPERATIONS: usize = 100;

/// One buffered write.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    /// `{"Put": {...}}`, `{"Update": {...}}`, `{"ConditionCheck": {...}}` without `TableName`.
    operation: Value,
    /// The item's key, to refuse two writes to one item (DynamoDB does).
    key: (String, String),
    /// The constraint reported when this write's condition fails at commit.
    constraint: Option<&'static str>,
}

impl Write {
    /// Puts `item` (which holds `pk` and `sk`).
    pub(crate) fn put(item: Map<String, Value>) -> Self {
        let key = key_of(&item);
        Self {
            operation: json!({ "Put": { "Item": item } }),
            key,
            constraint: None,
        }
    }

    /// Updates the item `pk`/`sk` with `expression` and its values.
    pub(crate) fn update(pk: &str, sk: &str, expression: &str, values: Value) -> Self {
        let mut update = json!({
            "Key": super::item::key(pk, sk),
            "UpdateExpression": expression,
        });
        if values.as_object().is_some_and(|v| !v.is_empty()) {
            update["ExpressionAttributeValues"] = values;
        }
        Self {
            operation: json!({ "Update": update }),
            key: (pk.to_owned(), sk.to_owned()),
            constraint: None,
        }
    }

    /// Names `placeholder` (`#ttl`) as `attribute`, for attribute names DynamoDB reserves.
    pub(crate) fn with_name(mut self, placeholder: &str, attribute: &str) -> Self {
        let body = self.body_mut();
        body["ExpressionAttributeNames"][placeholder] = attribute.into();
        self
    }

    fn body_mut(&mut self) -> &mut Value {
        self.operation
            .as_object_mut()
            .and_then(|o| o.values_mut().next())
            .expect("a write has one operation")
    }

    /// Deletes the item `pk`/`sk`.
    pub(crate) fn delete(pk: &str, sk: &str) -> Self {
        Self {
            operation: json!({ "Delete": { "Key": super::item::key(pk, sk) } }),
            key: (pk.to_owned(), sk.to_owned()),
            constraint: None,
        }
    }

    /// Only if `condition` holds at commit; otherwise the commit fails with
    /// `StoreError::Constraint { constraint }` and nothing is written.
    pub(crate) fn only_if(mut self, condition: &str, constraint: &'static str) -> Self {
        let body = self.body_mut();
        body["ConditionExpression"] = condition.into();
        self.constraint = Some(constraint);
        self
    }
}

fn key_of(item: &Map<String, Value>) -> (String, String) {
    let text = |name: &str| item[name]["S"].as_str().unwrap_or_default().to_owned();
    (text("pk"), text("sk"))
}

/// The transaction: DynamoDB writes waiting for commit, and the enclosed relational one.
pub struct DynamoTx {
    client: DynamoClient,
    writes: Vec<Write>,
    relational: Option<Tx>,
}

impl DynamoTx {
    /// Buffers `write`; refuses a second write to the same item, which DynamoDB would reject
    /// for the whole transaction.
    pub(crate) fn push(&mut self, write: Write) -> Result<(), StoreError> {
        if self.touches(&write.key.0, &write.key.1) {
            return Err(StoreError::Other(
                format!("two writes to item {:?} in one transaction", write.key).into(),
            ));
        }
        if self.writes.len() >= MAX_OPERATIONS {
            return Err(StoreError::Other(
                format!("more than {MAX_OPERATIONS} writes in one DynamoDB transaction").into(),
            ));
        }
        self.writes.push(write);
        Ok(())
    }

    /// Whether this transaction already writes item `pk`/`sk`.
    pub(crate) fn touches(&self, pk: &str, sk: &str) -> bool {
        self.writes.iter().any(|w| w.key.0 == pk && w.key.1 == sk)
    }

    /// The client, for consistent reads inside the transaction.
    pub(crate) fn client(&self) -> &DynamoClient {
        &self.client
    }

    async fn write_all(&mut self) -> Result<(), StoreError> {
        let writes = std::mem::take(&mut self.writes);
        if writes.is_empty() {
            return Ok(());
        }
        let table = self.client.table().to_owned();
        let items: Vec<Value> = writes
            .iter()
            .map(|w| {
                let mut operation = w.operation.clone();
                if let Some(body) = operation
                    .as_object_mut()
                    .and_then(|o| o.values_mut().next())
                {
                    body["TableName"] = table.clone().into();
                }
                operation
            })
            .collect();
        match self
            .client
            .call("TransactWriteItems", &json!({ "TransactItems": items }))
            .await
        {
            Ok(_) => Ok(()),
            Err(DynamoError::TransactionCanceled(reasons)) => {
                let failed = reasons.iter().zip(&writes).find_map(|(reason, write)| {
                    (reason.as_deref() == Some("ConditionalCheckFailed"))
                        .then_some(write.constraint)
                        .flatten()
                });
                match failed {
                    Some(constraint) => Err(StoreError::Constraint {
                        constraint: constraint.to_owned(),
                    }),
                    // Cancelled for another reason (a concurrent transaction on the same items,
                    // throttling): transient.
                    None => Err(StoreError::Unavailable(format!(
                        "DynamoDB transaction cancelled: {reasons:?}"
                    ))),
                }
            }
            Err(other) => Err(other.into()),
        }
    }
}

#[async_trait]
impl TxBackend for DynamoTx {
    /// DynamoDB first — it is where a condition can still fail — then the enclosed relational
    /// transaction, whose writes (outbox, audit) are already made and locked. Only a relational
    /// commit failing after DynamoDB committed can split them (ADR 0022).
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.write_all().await?;
        match self.relational.take() {
            Some(relational) => relational.commit().await,
            None => Ok(()),
        }
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), StoreError> {
        self.writes.clear();
        match self.relational.take() {
            Some(relational) => relational.rollback().await,
            None => Ok(()),
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn enclosed(&mut self) -> Option<&mut Tx> {
        self.relational.as_mut()
    }
}

/// Opens identity's transactions: a DynamoDB write buffer around a relational transaction of
/// `relational` (where the outbox and the audit log stay).
#[derive(Clone)]
pub struct DynamoUnitOfWork {
    client: DynamoClient,
    relational: Option<Arc<dyn UnitOfWork>>,
}

impl DynamoUnitOfWork {
    /// Transactions on `client`'s table, enclosing one of `relational` when given.
    pub fn new(client: DynamoClient, relational: Option<Arc<dyn UnitOfWork>>) -> Self {
        Self { client, relational }
    }
}

#[async_trait]
impl UnitOfWork for DynamoUnitOfWork {
    async fn begin(&self) -> Result<Tx, StoreError> {
        let relational = match &self.relational {
            Some(uow) => Some(uow.begin().await?),
            None => None,
        };
        Ok(Tx::new(DynamoTx {
            client: self.client.clone(),
            writes: Vec::new(),
            relational,
        }))
    }
}
