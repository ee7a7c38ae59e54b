use std::process::ExitCode;

use clap::Parser;

// mimalloc, not glibc's malloc (ADR 0038): glibc keeps what a burst freed (argon2's working
// memory, the buffers of closed connections) in per-thread arenas for good, while mimalloc
// purges freed pages after a short delay, on its next activity — provided transparent huge pages
// are off for its arenas, which `.cargo/config.toml` sets at build time. Side by side it served as
// fast as glibc or faster. Only this binary: the libraries and the tests leave the choice to
// whoever links them.
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
