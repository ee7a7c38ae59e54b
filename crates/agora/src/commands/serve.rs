use crate::{cli::ServeArgs, config::Config, shutdown_signal, Application, Wiring};

pub(super) async fn run(config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    if args.seed {
        super::seed::run(config, &args.target).await?;
    }
    // Before the server answers anything: see `shutdown_signal`.
    let mut shutdown = Box::pin(shutdown_signal());
    // A start-up that hangs (a database or broker that never answers) still stops on a signal;
    // nothing has been served yet, so there is nothing to drain.
    let app = tokio::select! {
        app = Application::start(config, &args.target, Wiring::default()) => app?,
        () = &mut shutdown => {
            tracing::warn!("stopped during start-up");
            return Ok(());
        }
    };
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
