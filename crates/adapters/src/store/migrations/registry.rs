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

/// A migration of this crate's `migrations/<module>/<name>/` directory, its four SQL files
/// compiled in. Each context's adapters declare their own list with it (e.g.
/// `catalog::MIGRATIONS`); the binary's module contract hands those lists to the [`Migrator`].
///
/// [`Migrator`]: super::Migrator
macro_rules! migration {
    ($module:literal, $version:literal, $name:literal) => {
        $crate::store::migrations::Migration::new(
            $module,
            $version,
            $name,
            (
                $crate::store::migrations::migration!(@file $module, $name, "sqlite.up.sql"),
                $crate::store::migrations::migration!(@file $module, $name, "sqlite.down.sql"),
            ),
            (
                $crate::store::migrations::migration!(@file $module, $name, "postgres.up.sql"),
                $crate::store::migrations::migration!(@file $module, $name, "postgres.down.sql"),
            ),
        )
    };
    (@file $module:literal, $name:literal, $file:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/",
            $module,
            "/",
            $name,
            "/",
            $file
        ))
    };
}
pub(crate) use migration;

/// Where a context's migrations live on disk, for the test that every directory is registered.
pub fn migrations_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}
