//! Every context's migrations are exact inverses: stepping down one migration at a time and back
//! up again yields, at every level, the same schema as on the way up — compared by a full dump
//! (tables, columns, defaults, indexes, constraints, triggers, functions, SQLite's FTS objects).
//! The migrations come from the module contract (`all_migrations`), so a new context joins this
//! test by registering, not by editing it.

use agora::modules::{all_migrations, resolve};
use agora_adapters::store::{migrations::Migrator, Database};

use crate::both_stores;

/// The whole schema as sorted lines of text, migration bookkeeping excluded.
async fn dump(db: &Database) -> Vec<String> {
    let mut lines: Vec<String> = match db {
        Database::Sqlite(sqlite) => sqlx::query_as::<_, (String, String, String, Option<String>)>(
            "SELECT type, name, tbl_name, sql FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'agora_migrations'",
        )
        .fetch_all(sqlite.reader())
        .await
        .unwrap()
        .into_iter()
        .map(|(kind, name, table, sql)| {
            format!("{kind} {name} on {table}: {}", sql.unwrap_or_default())
        })
        .collect(),
        Database::Postgres(pool) => {
            let mut lines = Vec::new();
            for sql in POSTGRES_CATALOG {
                let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(pool).await.unwrap();
                lines.extend(rows.into_iter().map(|(line,)| line));
            }
            lines
        }
    };
    lines.sort();
    lines
}

/// One query per kind of schema object in `public`, each row rendered as one line of text.
const POSTGRES_CATALOG: &[&str] = &[
    "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || \
     ' nullable=' || is_nullable || ' default=' || coalesce(column_default, '-') \
     FROM information_schema.columns \
     WHERE table_schema = 'public' AND table_name <> 'agora_migrations'",
    "SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes \
     WHERE schemaname = 'public' AND tablename <> 'agora_migrations'",
    "SELECT 'constraint ' || c.conname || ' on ' || t.relname || ': ' || pg_get_constraintdef(c.oid) \
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
     JOIN pg_namespace n ON n.oid = t.relnamespace \
     WHERE n.nspname = 'public' AND t.relname <> 'agora_migrations'",
    "SELECT 'trigger ' || tg.tgname || ': ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg \
     JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
     WHERE n.nspname = 'public' AND NOT tg.tgisinternal",
    "SELECT 'function ' || p.proname || ': ' || pg_get_functiondef(p.oid) FROM pg_proc p \
     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'",
    "SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text FROM pg_class c \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = 'public' AND c.relname NOT LIKE 'agora_migrations%'",
    "SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
     WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') \
     AND t.typname NOT LIKE 'agora_migrations%'",
];

async fn every_migration_steps_down_and_up_to_the_same_schema(db: Database) {
    let modules = resolve("all").unwrap();
    let migrations = all_migrations();
    let migrator = Migrator::new(&db, migrations.iter().copied());
    let empty = dump(&db).await;
    assert!(
        empty.is_empty(),
        "a fresh database has no schema: {empty:#?}"
    );

    // Up, one migration at a time (a migrator that knows one more each time), remembering the
    // schema after each.
    let mut levels = vec![empty];
    for known in 1..=migrations.len() {
        let applied = Migrator::new(&db, migrations[..known].iter().copied())
            .up(&modules, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(applied, 1, "{}", migrations[known - 1].id());
        levels.push(dump(&db).await);
    }
    for (level, pair) in levels.windows(2).enumerate() {
        assert_ne!(
            pair[0],
            pair[1],
            "{} changed nothing in the schema",
            migrations[level].id()
        );
    }

    // Down, one at a time: each level's schema is exactly what it was on the way up.
    for level in (0..migrations.len()).rev() {
        let mut reverted = Vec::new();
        let count = migrator
            .down(&modules, 1, &mut |m| reverted.push(m.id()))
            .await
            .unwrap();
        assert_eq!(count, 1);
        assert_eq!(reverted, [migrations[level].id()], "newest first");
        let schema = dump(&db).await;
        assert_eq!(
            schema,
            levels[level],
            "reverting {} does not restore the schema before it",
            migrations[level].id()
        );
    }

    // All the way up again: the same schema as the first time.
    assert_eq!(
        migrator.up(&modules, &mut |_| {}).await.unwrap(),
        migrations.len()
    );
    assert_eq!(&dump(&db).await, levels.last().unwrap());
}

both_stores!(every_migration_steps_down_and_up_to_the_same_schema);
