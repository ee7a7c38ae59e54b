use agora_adapters::store::{
    migrations::{Migration, MigrationError, MigrationState, Migrator},
    Database,
};

use crate::both_stores;

async fn table_exists(db: &Database, table: &str) -> bool {
    let sql = match db {
        Database::Sqlite(_) => {
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
        }
        Database::Postgres(_) => {
            "SELECT count(*) FROM information_schema.tables WHERE table_name = $1"
        }
    };
    let count: i64 = match db {
        Database::Sqlite(s) => sqlx::query_scalar(sql)
            .bind(table)
            .fetch_one(s.reader())
            .await
            .unwrap(),
        Database::Postgres(p) => sqlx::query_scalar(sql)
            .bind(table)
            .fetch_one(p)
            .await
            .unwrap(),
    };
    count == 1
}

fn no_progress() -> impl FnMut(&Migration) + Send {
    |_| {}
}

async fn down_one_step_then_up_round_trips(db: Database) {
    let migrator = Migrator::new(&db, agora::modules::all_migrations());
    let modules = ["platform", "identity"];
    let all = migrator.up(&modules, &mut no_progress()).await.unwrap();
    assert!(all >= 3, "platform and identity migrations applied");
    assert!(table_exists(&db, "users").await && table_exists(&db, "refresh_tokens").await);
    let status = migrator.status(&modules).await.unwrap();
    assert!(status
        .iter()
        .all(|s| matches!(s.state, MigrationState::Applied(_))));

    // The newest step (identity's drop of the old denylist) is reverted; older ones stay.
    assert_eq!(
        migrator
            .down(&modules, 1, &mut no_progress())
            .await
            .unwrap(),
        1
    );
    assert!(table_exists(&db, "denied_tokens").await);
    assert!(table_exists(&db, "refresh_tokens").await && table_exists(&db, "users").await);
    let status = migrator.status(&modules).await.unwrap();
    assert_eq!(status.last().unwrap().state, MigrationState::Pending);

    // Every step down and back up again.
    assert_eq!(
        migrator
            .down(&modules, 100, &mut no_progress())
            .await
            .unwrap(),
        all - 1
    );
    assert!(!table_exists(&db, "users").await && !table_exists(&db, "outbox").await);
    assert_eq!(
        migrator.up(&modules, &mut no_progress()).await.unwrap(),
        all
    );
    assert!(table_exists(&db, "users").await && table_exists(&db, "refresh_tokens").await);
    assert_eq!(
        migrator.up(&modules, &mut no_progress()).await.unwrap(),
        0,
        "up is idempotent"
    );
}

static HALF_BROKEN: &[Migration] = &[
    Migration::new(
        "demo",
        1,
        "0001_ok",
        ("CREATE TABLE demo_ok (id INTEGER)", "DROP TABLE demo_ok"),
        ("CREATE TABLE demo_ok (id integer)", "DROP TABLE demo_ok"),
    ),
    Migration::new(
        "demo",
        2,
        "0002_half_broken",
        (
            "CREATE TABLE demo_half (id INTEGER); CREATE TABLE demo_broken (;",
            "DROP TABLE demo_half",
        ),
        (
            "CREATE TABLE demo_half (id integer); CREATE TABLE demo_broken (;",
            "DROP TABLE demo_half",
        ),
    ),
];

async fn a_migration_failing_half_way_leaves_nothing_of_itself(db: Database) {
    let migrator = Migrator::new(&db, HALF_BROKEN);
    let error = migrator
        .up(&["demo"], &mut no_progress())
        .await
        .unwrap_err();
    match &error {
        MigrationError::StepFailed { id, .. } => assert_eq!(id, "demo/0002_half_broken"),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(error.to_string().contains("rolled back"), "{error}");
    assert!(
        table_exists(&db, "demo_ok").await,
        "the step before the failure stays applied"
    );
    assert!(
        !table_exists(&db, "demo_half").await,
        "the failed step's first statement is rolled back"
    );
    let states: Vec<MigrationState> = migrator
        .status(&["demo"])
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.state)
        .collect();
    assert!(matches!(states[0], MigrationState::Applied(_)));
    assert_eq!(states[1], MigrationState::Pending);
}

static ORIGINAL: &[Migration] = &[Migration::new(
    "edit",
    1,
    "0001_t",
    ("CREATE TABLE edit_t (id INTEGER)", "DROP TABLE edit_t"),
    ("CREATE TABLE edit_t (id integer)", "DROP TABLE edit_t"),
)];
static EDITED: &[Migration] = &[Migration::new(
    "edit",
    1,
    "0001_t",
    ("CREATE TABLE edit_t (id TEXT)", "DROP TABLE edit_t"),
    ("CREATE TABLE edit_t (id text)", "DROP TABLE edit_t"),
)];

async fn an_edited_landed_migration_is_refused(db: Database) {
    Migrator::new(&db, ORIGINAL)
        .up(&["edit"], &mut no_progress())
        .await
        .unwrap();
    let edited = Migrator::new(&db, EDITED);
    assert!(matches!(
        edited.status(&["edit"]).await.unwrap()[0].state,
        MigrationState::Modified(_)
    ));
    let error = edited.up(&["edit"], &mut no_progress()).await.unwrap_err();
    assert!(matches!(error, MigrationError::Modified(_)), "{error}");
}

async fn a_migration_unknown_to_this_binary_is_reported(db: Database) {
    Migrator::new(&db, ORIGINAL)
        .up(&["edit"], &mut no_progress())
        .await
        .unwrap();
    let error = Migrator::new(&db, [])
        .down(&["edit"], 1, &mut no_progress())
        .await
        .unwrap_err();
    assert!(
        matches!(error, MigrationError::Unknown(ref id) if id == "edit/0001"),
        "{error}"
    );
}

both_stores!(
    down_one_step_then_up_round_trips,
    a_migration_failing_half_way_leaves_nothing_of_itself,
    an_edited_landed_migration_is_refused,
    a_migration_unknown_to_this_binary_is_reported,
);
