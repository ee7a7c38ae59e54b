use crate::{cli::ServeArgs, config::Config, shutdown_signal, Application, Wiring};

pub(super) async fn run(config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    if args.seed {
        super::seed::run(config).await?;
    }
    let app = Application::start(config, &args.target, Wiring::default()).await?;
    app.run_until(shutdown_signal()).await
}
