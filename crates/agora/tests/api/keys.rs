//! Signing keys kept in the database (no configured key): one key however many replicas start
//! at once, shared by every replica, rotated without invalidating tokens still in flight.

use std::time::Duration;

use agora_adapters::{
    identity::SqlSigningKeys,
    store::{migrations::Migrator, Database, DbOptions},
};
use agora_domain::{
    identity::{Role, Tier},
    ports::VerificationKeys,
};

use crate::{
    both_backends, both_stores,
    support::{connect_store, spawn_app_with, Backend, Deployment, Spawn, TestApp},
};

async fn migrated(db: &Database) {
    Migrator::new(db, agora::modules::all_migrations())
        .up(&["platform", "identity"], &mut |_| {})
        .await
        .expect("migrations");
}

/// Replicas starting together on a fresh database: each runs `ensure_active` on its own pool
/// (its own connections and, on SQLite, its own writer), as separate processes would.
async fn concurrent_first_starts_end_with_one_key(backend: Backend) {
    let (store, db) = connect_store(backend).await;
    migrated(&db).await;
    let mut replicas = Vec::new();
    for _ in 0..4 {
        let pool = Database::connect(&store.url, &DbOptions::default())
            .await
            .expect("connect");
        replicas.push(SqlSigningKeys::new(pool));
    }
    let mut started = tokio::task::JoinSet::new();
    for replica in replicas {
        started.spawn(async move { replica.ensure_active().await });
    }
    let kids: Vec<String> = started
        .join_all()
        .await
        .into_iter()
        .map(|k| k.expect("ensure_active"))
        .collect();
    assert!(kids.iter().all(|k| *k == kids[0]), "{kids:?}");
    assert_eq!(
        SqlSigningKeys::new(db.clone()).fetch().await.unwrap().len(),
        1
    );
    db.close().await;
}

#[tokio::test]
async fn concurrent_first_starts_end_with_one_key_on_sqlite() {
    concurrent_first_starts_end_with_one_key(Backend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_first_starts_end_with_one_key_on_postgres() {
    concurrent_first_starts_end_with_one_key(Backend::Postgres).await;
}

async fn a_rotation_retires_the_old_key_until_its_grace_ends(db: Database) {
    migrated(&db).await;
    let keys = SqlSigningKeys::new(db.clone());
    let first = keys.ensure_active().await.unwrap();
    let rotation = keys.rotate(Duration::from_secs(600)).await.unwrap();
    assert_eq!(rotation.retired, vec![first.clone()]);
    assert_eq!(keys.active().await.unwrap().unwrap().kid(), rotation.kid);
    assert_eq!(keys.ensure_active().await.unwrap(), rotation.kid);
    let verifying = keys.fetch().await.unwrap();
    let retired = verifying
        .iter()
        .find(|k| k.kid == first)
        .expect("old key verifies");
    assert!(retired.verifies_until.is_some());
    assert!(verifying
        .iter()
        .any(|k| k.kid == rotation.kid && k.verifies_until.is_none()));

    // A rotation with no grace: the key it retires verifies nothing from now on.
    let again = keys.rotate(Duration::ZERO).await.unwrap();
    assert_eq!(again.retired, vec![rotation.kid.clone()]);
    let verifying: Vec<String> = keys
        .fetch()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert!(verifying.contains(&first) && verifying.contains(&again.kid));
    assert!(!verifying.contains(&rotation.kid), "{verifying:?}");
}

both_stores!(a_rotation_retires_the_old_key_until_its_grace_ends);

/// Two replicas on one database, each with its own data directory and no configured key.
async fn replicas_on_one_database_accept_each_others_tokens(a: TestApp) {
    let own_dir = tempfile::tempdir().unwrap();
    // Joining uses A's database, whatever its backend; the backend argument is not used.
    let b = spawn_app_with(
        Backend::Sqlite,
        Spawn {
            join: Some(Deployment {
                database_url: a.deployment().database_url,
                data_dir: own_dir.path().to_path_buf(),
            }),
            ..Spawn::default()
        },
    )
    .await;
    a.create_user("one@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    b.create_user("two@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let from_a = a.login("one@example.org", "Secret123").await;
    let from_b = b.login("two@example.org", "Secret123").await;
    let from_a = from_a["accessToken"].as_str().unwrap();
    let from_b = from_b["accessToken"].as_str().unwrap();
    assert_eq!(b.get_as(from_a, "/api/users/me").await.status(), 200);
    assert_eq!(a.get_as(from_b, "/api/users/me").await.status(), 200);
    let jwks_a: serde_json::Value = a.get("/.well-known/jwks.json").await.json().await.unwrap();
    let jwks_b: serde_json::Value = b.get("/.well-known/jwks.json").await.json().await.unwrap();
    assert_eq!(jwks_a, jwks_b);
    assert_eq!(jwks_a["keys"].as_array().unwrap().len(), 1);
    b.shutdown().await.unwrap();
}

both_backends!(replicas_on_one_database_accept_each_others_tokens;
    mono_only = "joins a second monolith replica to the app's database (topologies.rs: replicas)");

#[test]
fn keys_rotate_with_a_configured_key_explains_rotation_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("jwt.pem");
    let pem = agora_adapters::identity::SigningKey::generate()
        .to_pem()
        .unwrap();
    std::fs::write(&key_file, pem).unwrap();
    let output = crate::cli::agora(dir.path())
        .args(["keys", "rotate"])
        .env("AGORA_JWT__PRIVATE_KEY_FILE", &key_file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("keys are configured") && stderr.contains("replacing the key file"),
        "{stderr}"
    );
}
