//! Accounts on DynamoDB: the user item `USER#<id>`/`USER` and the email claim
//! `EMAIL#<email>`/`EMAIL` that makes addresses unique (ADR 0022).

use std::cmp::Ordering;

use agora_domain::{
    identity::{Email, PersonName, User},
    paging::{Page, PageRequest, SortOrder},
    ports::{StoreError, Tx, UserFilter, UserRepository},
};
use async_trait::async_trait;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{
    item::{b, get_b, get_s, get_time, get_uuid, key, n, opt_n, s, time, Item},
    tx::{DynamoTx, Write},
    DynamoClient,
};

/// The constraint a taken email reports, named like the relational unique index so identity's
/// use cases map it to `email_taken` whichever store answers.
const EMAIL_KEY: &str = "users_email_key";
/// Partition of the index listing every account (admin list), sorted by creation.
const ALL_USERS: &str = "USERS";

pub(crate) fn user_pk(id: Uuid) -> String {
    format!("USER#{id}")
}
pub(crate) const USER_SK: &str = "USER";

fn email_pk(email: &str) -> String {
    format!("EMAIL#{email}")
}
const EMAIL_SK: &str = "EMAIL";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("corrupt user item: {what}").into())
}

fn user_item(user: &User) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("pk".into(), s(user_pk(user.id)));
    item.insert("sk".into(), s(USER_SK));
    item.insert("gsi1pk".into(), s(ALL_USERS));
    item.insert(
        "gsi1sk".into(),
        s(format!("{}#{}", time_text(user), user.id)),
    );
    item.insert("id".into(), s(user.id.to_string()));
    item.insert("email".into(), s(user.email.as_str()));
    item.insert("password_hash".into(), s(&user.password_hash));
    item.insert("name".into(), s(user.name.as_str()));
    if let Some(age) = user.age {
        item.insert("age".into(), n(i64::from(age)));
    }
    item.insert("profile".into(), s(user.profile.to_string()));
    item.insert("role".into(), s(user.role.as_str()));
    item.insert("tier".into(), s(user.tier.as_str()));
    item.insert("is_verified".into(), b(user.is_verified));
    item.insert("disabled".into(), b(user.disabled));
    item.insert("created_at".into(), time(user.created_at));
    item.insert("updated_at".into(), time(user.updated_at));
    item
}

fn time_text(user: &User) -> String {
    time(user.created_at)["S"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn email_claim(email: &str, user_id: Uuid) -> Write {
    let mut item = Map::new();
    item.insert("pk".into(), s(email_pk(email)));
    item.insert("sk".into(), s(EMAIL_SK));
    item.insert("user_id".into(), s(user_id.to_string()));
    Write::put(item).only_if("attribute_not_exists(pk)", EMAIL_KEY)
}

/// Stored values pass the same validation as input; an item that does not is corrupt.
fn user_of(item: &Item) -> Result<User, StoreError> {
    Ok(User {
        id: get_uuid(item, "id")?,
        email: Email::parse(get_s(item, "email")?).map_err(|e| corrupt(e.message))?,
        password_hash: get_s(item, "password_hash")?.to_owned(),
        name: PersonName::parse(get_s(item, "name")?).map_err(|e| corrupt(e.message))?,
        age: opt_n(item, "age").and_then(|age| u8::try_from(age).ok()),
        profile: serde_json::from_str(get_s(item, "profile")?).map_err(corrupt)?,
        role: get_s(item, "role")?.parse().map_err(corrupt)?,
        tier: get_s(item, "tier")?.parse().map_err(corrupt)?,
        is_verified: get_b(item, "is_verified"),
        disabled: get_b(item, "disabled"),
        created_at: get_time(item, "created_at")?,
        updated_at: get_time(item, "updated_at")?,
    })
}

/// Users in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoUserRepository {
    client: DynamoClient,
}

impl DynamoUserRepository {
    /// A repository over `client`'s table.
    pub fn new(client: DynamoClient) -> Self {
        Self { client }
    }

    async fn read(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.client
            .get_item(&user_pk(id), USER_SK)
            .await?
            .map(|item| user_of(&item))
            .transpose()
    }

    async fn read_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let Some(claim) = self
            .client
            .get_item(&email_pk(email.as_str()), EMAIL_SK)
            .await?
        else {
            return Ok(None);
        };
        self.read(get_uuid(&claim, "user_id")?).await
    }
}

#[async_trait]
impl UserRepository for DynamoUserRepository {
    /// Reads the claim first so a taken email fails here, where the use case expects it; the
    /// claim's condition still guards the race at commit.
    async fn insert(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError> {
        if self
            .client
            .get_item(&email_pk(user.email.as_str()), EMAIL_SK)
            .await?
            .is_some()
        {
            return Err(StoreError::Constraint {
                constraint: EMAIL_KEY.into(),
            });
        }
        let tx = tx.backend_mut::<DynamoTx>()?;
        tx.push(email_claim(user.email.as_str(), user.id))?;
        tx.push(Write::put(user_item(user)).only_if("attribute_not_exists(pk)", "users_pkey"))
    }

    async fn find_by_email(&self, tx: &mut Tx, email: &Email) -> Result<Option<User>, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        self.read_by_email(email).await
    }

    async fn find_by_id(&self, tx: &mut Tx, id: Uuid) -> Result<Option<User>, StoreError> {
        tx.backend_mut::<DynamoTx>()?;
        self.read(id).await
    }

    /// Rewrites the item; a changed email moves its claim (released and taken in the same
    /// transaction).
    async fn update(&self, tx: &mut Tx, user: &User) -> Result<(), StoreError> {
        let stored = self.read(user.id).await?;
        let tx = tx.backend_mut::<DynamoTx>()?;
        if let Some(stored) = stored.filter(|s| s.email != user.email) {
            tx.push(email_claim(user.email.as_str(), user.id))?;
            tx.push(Write::delete(&email_pk(stored.email.as_str()), EMAIL_SK))?;
        }
        tx.push(Write::put(user_item(user)).only_if("attribute_exists(pk)", "users_pkey"))
    }

    async fn replace_password_hash(
        &self,
        tx: &mut Tx,
        id: Uuid,
        expected: &str,
        new: &str,
    ) -> Result<(), StoreError> {
        let tx = tx.backend_mut::<DynamoTx>()?;
        tx.push(
            Write::update(
                &user_pk(id),
                USER_SK,
                "SET password_hash = :new",
                json!({ ":new": { "S": new }, ":expected": { "S": expected } }),
            )
            .only_if("password_hash = :expected", "users_password_hash_changed"),
        )
    }

    async fn get(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.read(id).await
    }

    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<User>, StoreError> {
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let keys = unique
            .iter()
            .map(|id| key(&user_pk(*id), USER_SK))
            .collect();
        self.client
            .batch_get(keys)
            .await?
            .iter()
            .map(user_of)
            .collect()
    }

    async fn get_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.read_by_email(email).await
    }

    /// Reads the whole `USERS` index partition and filters, sorts and pages in memory: the
    /// admin list is rare and small next to the login path (ADR 0022 names the limit).
    async fn list(
        &self,
        filter: &UserFilter,
        sort: SortOrder,
        page: PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let items = self
            .client
            .query_all(json!({
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :all",
                "ExpressionAttributeValues": { ":all": s(ALL_USERS) },
            }))
            .await?;
        let needle = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase);
        let mut users = items
            .iter()
            .map(user_of)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|u| {
                needle.as_deref().is_none_or(|q| {
                    u.email.as_str().contains(q) || u.name.as_str().to_lowercase().contains(q)
                }) && filter.role.is_none_or(|r| u.role == r)
                    && filter.tier.is_none_or(|t| u.tier == t)
            })
            .collect::<Vec<_>>();
        users.sort_by(|a, b| {
            let order = compare(a, b, sort.column).then(a.id.cmp(&b.id));
            if sort.descending {
                order.reverse()
            } else {
                order
            }
        });
        let total = users.len() as u64;
        let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let items = users
            .into_iter()
            .skip(offset)
            .take(page.limit as usize)
            .collect();
        Ok(Page { items, total })
    }
}

/// Orders two users by one of the admin list's sort columns.
fn compare(a: &User, b: &User, column: &str) -> Ordering {
    match column {
        "email" => a.email.as_str().cmp(b.email.as_str()),
        "name" => a.name.as_str().cmp(b.name.as_str()),
        "role" => a.role.as_str().cmp(b.role.as_str()),
        "tier" => a.tier.as_str().cmp(b.tier.as_str()),
        _ => a.created_at.cmp(&b.created_at),
    }
}
