use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: glibc gave every thread that allocates (tokio workers,
/// blocking threads hashing passwords, database drivers) an arena of its own and kept what they
/// freed, so resident memory only grew under load; mimalloc returns freed pages to the system
/// shortly after (bench/results/password-memory.md, compare.md; ADR 0034).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = agora::cli::Cli::parse();
    match agora::commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
