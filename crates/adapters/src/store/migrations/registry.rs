use super::super::Backend;

/// One reversible schema change of one module, in both dialects.
#[derive(Debug)]
pub struct Migration {
    /// Owning module (bounded context); a module only migrates its own tables.
    pub module: &'static str,
    /// Order within the module, starting at 1.
    pub version: i64,
    /// Directory name `NNNN_description`.
    pub name: &'static str,
    sqlite_up: &'static str,
    sqlite_down: &'static str,
    postgres_up: &'static str,
    postgres_down: &'static str,
}

impl Migration {
    /// A migration from its parts; the registry uses [`migration!`], tests build their own.
    pub const fn new(
        module: &'static str,
        version: i64,
        name: &'static str,
        sqlite: (&'static str, &'static str),
        postgres: (&'static str, &'static str),
    ) -> Self {
        Self {
            module,
            version,
            name,
            sqlite_up: sqlite.0,
            sqlite_down: sqlite.1,
            postgres_up: postgres.0,
            postgres_down: postgres.1,
        }
    }

    /// The forward SQL for a dialect.
    pub fn up(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite_up,
            Backend::Postgres => self.postgres_up,
        }
    }

    /// The reverse SQL for a dialect.
    pub fn down(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite_down,
            Backend::Postgres => self.postgres_down,
        }
    }

    /// `module/name`, how operators see it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.module, self.name)
    }
}

macro_rules! migration {
    ($module:literal, $version:literal, $name:literal) => {
        Migration {
            module: $module,
            version: $version,
            name: $name,
            sqlite_up: include_str!(concat!(
                "../../../migrations/",
                $module,
                "/",
                $name,
                "/sqlite.up.sql"
            )),
            sqlite_down: include_str!(concat!(
                "../../../migrations/",
                $module,
                "/",
                $name,
                "/sqlite.down.sql"
            )),
            postgres_up: include_str!(concat!(
                "../../../migrations/",
                $module,
                "/",
                $name,
                "/postgres.up.sql"
            )),
            postgres_down: include_str!(concat!(
                "../../../migrations/",
                $module,
                "/",
                $name,
                "/postgres.down.sql"
            )),
        }
    };
}

/// Every migration the binary knows, grouped by module, ascending version within a module.
pub static REGISTRY: &[Migration] = &[
    migration!("platform", 1, "0001_create_outbox"),
    migration!("identity", 1, "0001_create_users"),
    migration!("identity", 2, "0002_create_sessions"),
    migration!("identity", 3, "0003_create_signing_keys"),
    migration!("catalog", 1, "0001_create_catalog"),
    migration!("flags", 1, "0001_create_feature_flags"),
];

#[cfg(test)]
mod tests {
    use std::{collections::BTreeSet, path::Path};

    use super::*;

    /// A migration directory that is not registered would silently never run.
    #[test]
    fn every_migration_directory_is_registered_with_its_version() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut on_disk = BTreeSet::new();
        for module in std::fs::read_dir(&root).unwrap() {
            let module = module.unwrap();
            for step in std::fs::read_dir(module.path()).unwrap() {
                let step = step.unwrap().file_name().into_string().unwrap();
                on_disk.insert(format!("{}/{}", module.file_name().to_string_lossy(), step));
            }
        }
        let registered: BTreeSet<String> = REGISTRY.iter().map(Migration::id).collect();
        assert_eq!(on_disk, registered);
        for migration in REGISTRY {
            let prefix: i64 = migration.name[..4].parse().unwrap();
            assert_eq!(prefix, migration.version, "{}", migration.id());
        }
    }

    #[test]
    fn versions_ascend_without_gaps_per_module() {
        let mut expected = std::collections::HashMap::new();
        for migration in REGISTRY {
            let next = expected.entry(migration.module).or_insert(1);
            assert_eq!(migration.version, *next, "{}", migration.id());
            *next += 1;
        }
    }
}
