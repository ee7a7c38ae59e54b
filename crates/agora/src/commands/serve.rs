use crate::{cli::ServeArgs, config::Config, shutdown_signal, Application, Wiring};

pub(super) async fn run(config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    if args.seed {
        super::seed::run(config, &args.target).await?;
    }
    // Before the server answers anything: see `shutdown_signal`. A signal during start-up is
    // honoured as soon as start-up finishes, with a normal drain.
    let shutdown = shutdown_signal();
    let app = Application::start(config, &args.target, Wiring::default()).await?;
    let exit_with_parent = args.exit_with_parent;
    app.run_until(async move {
        tokio::select! {
            () = shutdown => {}
            () = parent_gone(exit_with_parent) => {
                tracing::warn!("the launching process went away; stopping");
            }
        }
    })
    .await
}

/// Resolves when this process is re-parented (its parent died), if asked to watch; otherwise
/// never. Polling the parent id needs no signal handling or unsafe code.
async fn parent_gone(watch: bool) {
    #[cfg(unix)]
    if watch {
        let parent = std::os::unix::process::parent_id();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if std::os::unix::process::parent_id() != parent {
                return;
            }
        }
    }
    let _ = watch;
    std::future::pending::<()>().await;
}
