//! What each CLI command does. Commands print for people on stdout; logs go to stderr.

mod dev;
mod events;
mod keys;
#[cfg(feature = "lambda")]
mod lambda;
mod migrate;
mod probe;
mod seed;
mod serve;
mod targets;
mod user;

pub use dev::service_targets;
#[cfg(feature = "lambda")]
pub use lambda::{function_router, LambdaFunction};

use crate::{
    cli::{Cli, Command},
    config::{Config, Overrides},
};

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = match &cli.command {
        Command::Serve(args) => Overrides {
            bind: args.bind,
            auto_migrate: args.no_migrate.then_some(false),
        },
        Command::Dev(args) => Overrides {
            bind: args.bind,
            auto_migrate: None,
        },
        _ => Overrides::default(),
    };
    // A health check must not depend on configuration or the database: it only asks the server.
    if let Command::Probe(args) = &cli.command {
        return probe::run(args).await;
    }
    if let Command::Targets = cli.command {
        targets::print();
        return Ok(());
    }
    // Like `targets`, the document is static: no configuration, database or modules needed.
    if let Command::Openapi = cli.command {
        println!("{}", crate::modules::openapi("all")?.to_pretty_json()?);
        return Ok(());
    }
    #[cfg(feature = "graphql")]
    if let Command::GraphqlSchema = cli.command {
        print!("{}", agora_http::graphql::sdl());
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    crate::telemetry::init(&config);
    match cli.command {
        Command::Serve(args) => serve::run(&config, &args).await,
        Command::Migrate(args) => migrate::run(&config, &args).await,
        Command::Seed(args) => seed::run(&config, &args.target).await,
        Command::Dev(args) => dev::run(&config, &args).await,
        Command::Keys(args) => keys::run(&config, &args).await,
        #[cfg(feature = "lambda")]
        Command::Lambda(args) => lambda::run(&config, &args).await,
        Command::Events(args) => events::run(&config, &args).await,
        Command::Targets | Command::Openapi | Command::Probe(_) => Ok(()),
        #[cfg(feature = "graphql")]
        Command::GraphqlSchema => Ok(()),
        Command::User(args) => match &args.action {
            crate::cli::UserAction::Create(create) => user::create(&config, create).await,
        },
    }
}
