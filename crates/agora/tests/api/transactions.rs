use std::sync::Arc;

use agora_adapters::{
    identity::SqlUserRepository,
    password::{Argon2Hasher, Argon2Params},
    store::{migrations::Migrator, Database},
};
use agora_app::{
    identity::{SeedDemoAccounts, SeedOutcome},
    AppError, OnConstraint,
};
use agora_domain::{
    identity::{Email, NewUser, PersonName, Role, Tier, User},
    ports::{StoreError, UnitOfWork, UserRepository},
};

use crate::{
    both_stores,
    support::{run_store, Backend},
};

async fn migrated(db: &Database) {
    Migrator::new(db, agora::modules::all_migrations())
        .up(&["identity"], &mut |_| {})
        .await
        .unwrap();
}

fn user(email: &str) -> User {
    NewUser {
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$not-a-real-hash".into(),
        name: PersonName::parse("Test Person").unwrap(),
        role: Role::User,
        tier: Tier::Pro,
        is_verified: false,
    }
    .into_user(chrono::Utc::now())
}

async fn find(db: &Database, email: &str) -> Option<User> {
    let mut tx = db.begin().await.unwrap();
    SqlUserRepository::new(db.clone())
        .find_by_email(&mut tx, &Email::parse(email).unwrap())
        .await
        .unwrap()
}

async fn committed_writes_persist_and_uncommitted_ones_vanish(db: Database) {
    migrated(&db).await;
    let repo = SqlUserRepository::new(db.clone());
    {
        let mut tx = db.begin().await.unwrap();
        repo.insert(&mut tx, &user("dropped@example.org"))
            .await
            .unwrap();
        // Dropped without commit, as on an early `?` return.
    }
    assert!(find(&db, "dropped@example.org").await.is_none());

    let mut tx = db.begin().await.unwrap();
    repo.insert(&mut tx, &user("rolled@example.org"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(find(&db, "rolled@example.org").await.is_none());

    let original = user("kept@example.org");
    let mut tx = db.begin().await.unwrap();
    repo.insert(&mut tx, &original).await.unwrap();
    tx.commit().await.unwrap();
    let stored = find(&db, "kept@example.org").await.expect("committed user");
    assert_eq!(stored.id, original.id);
    assert_eq!(stored.tier, Tier::Pro);
    assert_eq!(stored.profile, serde_json::json!({}));
    assert_eq!(
        stored.created_at.timestamp_micros(),
        original.created_at.timestamp_micros()
    );
}

async fn a_multi_step_write_is_atomic_or_absent(db: Database) {
    migrated(&db).await;
    let repo = SqlUserRepository::new(db.clone());
    let mut tx = db.begin().await.unwrap();
    repo.insert(&mut tx, &user("one@example.org"))
        .await
        .unwrap();
    repo.insert(&mut tx, &user("two@example.org"))
        .await
        .unwrap();
    let clash = repo.insert(&mut tx, &user("ONE@example.org")).await;
    // The use case would return here with `?`, dropping the transaction.
    assert!(clash.is_err());
    drop(tx);
    assert!(find(&db, "one@example.org").await.is_none());
    assert!(find(&db, "two@example.org").await.is_none());
}

async fn a_taken_email_is_the_same_named_constraint_on_every_backend(db: Database) {
    migrated(&db).await;
    let repo = SqlUserRepository::new(db.clone());
    let mut tx = db.begin().await.unwrap();
    repo.insert(&mut tx, &user("taken@example.org"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.begin().await.unwrap();
    let error = repo
        .insert(&mut tx, &user("taken@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Constraint { constraint } if constraint == "users_email_key"),
        "{error:?}"
    );
    // Identity claims that name where it writes users; nothing else maps it.
    let claimed = Err::<(), _>(error).on_constraint("users_email_key", || AppError::EmailTaken);
    assert!(matches!(claimed, Err(AppError::EmailTaken)));
}

async fn the_seed_is_idempotent(db: Database) {
    migrated(&db).await;
    let hasher = Argon2Hasher::new(Argon2Params {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let seed = SeedDemoAccounts::new(
        Arc::new(db.clone()),
        Arc::new(SqlUserRepository::new(db.clone())),
        Arc::new(hasher),
    );
    let first = seed.execute().await.unwrap();
    assert!(first.len() >= 2);
    assert!(first
        .iter()
        .all(|(_, outcome)| *outcome == SeedOutcome::Created));
    assert!(first.iter().any(|(account, _)| account.role == Role::Admin));
    let second = seed.execute().await.unwrap();
    assert!(second
        .iter()
        .all(|(_, outcome)| *outcome == SeedOutcome::AlreadyPresent));
    let admin = find(&db, "admin@agora.local").await.unwrap();
    assert!(admin.is_verified && admin.role == Role::Admin);
    assert!(admin.password_hash.starts_with("$argon2id$"));
}

/// A login's rehash (ADR 0039) replaces the hash it verified and nothing else, and never one
/// that changed since it was read.
async fn a_password_hash_is_replaced_only_while_it_is_the_expected_one(db: Database) {
    migrated(&db).await;
    let repo = SqlUserRepository::new(db.clone());
    let original = user("rehash@example.org");
    let mut tx = db.begin().await.unwrap();
    repo.insert(&mut tx, &original).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.begin().await.unwrap();
    repo.replace_password_hash(
        &mut tx,
        original.id,
        "$argon2id$changed-meanwhile",
        "$new-1",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let unchanged = find(&db, "rehash@example.org").await.unwrap();
    assert_eq!(
        unchanged.password_hash, original.password_hash,
        "a stale hash is not replaced"
    );

    let mut tx = db.begin().await.unwrap();
    repo.replace_password_hash(&mut tx, original.id, &original.password_hash, "$new-2")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let replaced = find(&db, "rehash@example.org").await.unwrap();
    assert_eq!(replaced.password_hash, "$new-2");
    // Against the stored row, not `original`: Postgres keeps microseconds.
    assert_eq!(
        User {
            password_hash: unchanged.password_hash.clone(),
            ..replaced
        },
        unchanged,
        "only the hash changed"
    );
}

both_stores!(
    committed_writes_persist_and_uncommitted_ones_vanish,
    a_multi_step_write_is_atomic_or_absent,
    a_taken_email_is_the_same_named_constraint_on_every_backend,
    the_seed_is_idempotent,
    a_password_hash_is_replaced_only_while_it_is_the_expected_one,
);

/// SQLite allows one writer; the single writer connection queues concurrent write transactions
/// instead of failing them with SQLITE_BUSY.
#[tokio::test]
async fn concurrent_sqlite_writers_all_succeed() {
    run_store(Backend::Sqlite, |db| async move {
        migrated(&db).await;
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.begin().await?;
                    SqlUserRepository::new(db.clone())
                        .insert(&mut tx, &user(&format!("writer{i}@example.org")))
                        .await?;
                    tokio::task::yield_now().await;
                    tx.commit().await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        for i in [0, 17, 39] {
            assert!(find(&db, &format!("writer{i}@example.org")).await.is_some());
        }
    })
    .await;
}
