//! Command-line interface. Every command and flag has help text; `agora help <command>` shows it.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

/// Agora: storefront + community platform in one binary.
///
/// Runs as a monolith on an embedded SQLite file by default and scales to PostgreSQL by
/// configuration. Settings come from defaults, then `agora.toml`, then `AGORA_*` environment
/// variables, then flags (see README "Configuration").
#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
// The lean Lambda build (no `sqlite` feature) must not advertise the embedded store.
#[cfg_attr(
    not(feature = "sqlite"),
    command(
        long_about = "Agora: storefront + community platform in one binary.\n\nThis lean build \
                      (AWS Lambda) stores in PostgreSQL only: set `database_url` \
                      (AGORA_DATABASE_URL). Settings come from defaults, then `agora.toml`, \
                      then `AGORA_*` environment variables, then flags."
    )
)]
pub struct Cli {
    /// Configuration file (TOML). Without it, ./agora.toml is read when present.
    #[arg(long, global = true, env = "AGORA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server with the modules of a target (migrates first unless told not to).
    Serve(ServeArgs),
    /// Apply, revert or list database migrations.
    Migrate(MigrateArgs),
    /// Create demo accounts (idempotent; development only) and print their credentials.
    Seed(SeedArgs),
    /// List deployment targets and modules with their dependencies.
    Targets,
    /// Print the OpenAPI document (JSON) of every REST endpoint.
    Openapi,
    /// Print the GraphQL schema (SDL); `docs/schema.graphql` is this output.
    #[cfg(feature = "graphql")]
    GraphqlSchema,
    /// Manage user accounts from the command line.
    User(UserArgs),
    /// Manage the access-token signing keys kept in the database.
    Keys(KeysArgs),
    /// Answer AWS Lambda invocations (API Gateway REST v1 and HTTP API v2 events) with the
    /// application's router, through the Lambda runtime API (`AWS_LAMBDA_RUNTIME_API`).
    #[cfg(feature = "lambda")]
    Lambda(LambdaArgs),
    /// Inspect and replay events: dead letters, a live tail.
    Events(EventsArgs),
    /// Run the whole system on this machine as child processes of this executable, without
    /// Docker: one monolith, N monolith replicas behind the gateway, or every service behind
    /// the gateway. Prints what runs where; Ctrl-C stops everything.
    #[command(after_help = DEV_HELP)]
    Dev(DevArgs),
    /// Check a running server over HTTP and exit 0 when it answers 2xx (container health checks:
    /// the runtime image has no shell or curl).
    Probe(ProbeArgs),
}

/// More on `agora dev`.
const DEV_HELP: &str = "\
Examples:
  agora dev                                # one monolith on 127.0.0.1:3000
  agora dev --topology mono --replicas 2   # two monoliths behind the gateway (needs Redis)
  agora dev --topology micro               # gateway + every service target (`agora targets`)

Each child keeps its data under AGORA_DATA_DIR (default ./data): <data_dir>/<child>/. With a
postgres:// AGORA_DATABASE_URL the services of `micro` get databases <db>_<service>, created
when missing; replicas share the one database. Split topologies need a bus between processes:
AGORA_NATS_URL / AGORA_REDIS_URL, else the local NATS (4222) or Redis (6379) when reachable.
A child that exits is reported and restarted with exponential backoff.";

/// `agora dev --topology`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Topology {
    /// One monolith (`--replicas N`: N monoliths sharing one database behind the gateway).
    Mono,
    /// The gateway in front of every standalone service target, a database each.
    Micro,
}

/// `agora dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// What to run.
    #[arg(long, value_enum, default_value = "mono")]
    pub topology: Topology,
    /// Monolith replicas behind the gateway (mono only; 1 = no gateway).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub replicas: u16,
    /// The public address: the gateway's, or the one monolith's.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Do not create the demo data (`agora seed`) before starting.
    #[arg(long)]
    pub no_seed: bool,
}

/// `agora seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Seed the modules of one target only (a split service seeds its own data).
    #[arg(long, default_value = "all", value_name = "TARGET")]
    pub target: String,
}

/// `agora probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The URL to GET; `/health` answers while the process serves, `/ready` only when its
    /// dependencies do.
    #[arg(long, default_value = "http://127.0.0.1:3000/health")]
    pub url: String,
    /// Give up after this many milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

/// `agora events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: EventsAction,
}

/// `agora events …` actions.
#[derive(Debug, Subcommand)]
pub enum EventsAction {
    /// List dead letters (events a consumer gave up on), newest first.
    Dead {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Publish a dead letter's event again (a running relay delivers it; consumers that applied
    /// it skip it).
    Replay {
        /// The dead letter's id (from `agora events dead`).
        id: uuid::Uuid,
    },
    /// Print events as they are committed (one JSON envelope per line) until interrupted.
    Tail,
}

/// `agora keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: KeysAction,
}

/// `agora keys …` actions.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Add a new signing key; the old one keeps verifying until the tokens it signed expired.
    Rotate,
}

/// `agora user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: UserAction,
}

/// `agora user …` actions.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a verified account; prints a generated password once unless --password-stdin.
    Create(UserCreateArgs),
}

/// `agora user create`.
#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// Email address (login).
    #[arg(long)]
    pub email: String,
    /// Display name (2–50 characters).
    #[arg(long)]
    pub name: String,
    /// Make the account an administrator.
    #[arg(long)]
    pub admin: bool,
    /// Tier: free, pro or enterprise.
    #[arg(long, default_value = "free")]
    pub tier: String,
    /// Read the password from standard input instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `agora lambda`.
#[cfg(feature = "lambda")]
#[derive(Debug, Args)]
pub struct LambdaArgs {
    /// What this function answers: the whole API, or one operation of the per-function
    /// deployment (`users-list` = `GET /users`, `users-create` = `POST /users`).
    #[arg(long, value_enum, default_value = "api", env = "AGORA_LAMBDA_FUNCTION")]
    pub function: crate::commands::LambdaFunction,
}

/// `agora serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which modules this process runs: `all` (the monolith) or one service; see `agora targets`.
    #[arg(long, default_value = "all", value_name = "TARGET")]
    pub target: String,

    /// Address to listen on (overrides AGORA_BIND and `bind` in agora.toml).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,

    /// Do not apply pending migrations on start (the server then expects an up-to-date schema).
    #[arg(long)]
    pub no_migrate: bool,

    /// Create the demo accounts before serving (same as `agora seed`).
    #[arg(long)]
    pub seed: bool,

    /// Stop (as on SIGTERM) when the parent process goes away: `agora dev` starts its children
    /// with it, so none outlives a launcher that was killed.
    #[arg(long, hide = true)]
    pub exit_with_parent: bool,
}

/// `agora migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Limit to the modules of one target (a split service migrates only its own tables).
    #[arg(long, default_value = "all", value_name = "TARGET", global = true)]
    pub target: String,

    /// Direction.
    #[command(subcommand)]
    pub action: MigrateAction,
}

/// `agora migrate up|down|status`.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration, each in its own transaction.
    Up,
    /// Revert the most recently applied migrations, newest first.
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1, value_name = "N")]
        steps: usize,
    },
    /// Show which migrations are applied and which are pending.
    Status,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_help() {
        for sub in Cli::command().get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help", sub.get_name());
        }
    }
}
