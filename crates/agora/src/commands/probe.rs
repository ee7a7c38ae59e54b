//! `agora probe`: the container health check. Distroless runtime images carry no shell or curl,
//! so the binary checks itself over the same HTTP a load balancer uses.

use std::time::Duration;

use anyhow::{bail, Context as _};

use crate::cli::ProbeArgs;

pub(super) async fn run(args: &ProbeArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(args.timeout_ms))
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(&args.url)
        .send()
        .await
        .with_context(|| format!("{} did not answer", args.url))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{} answered {status}", args.url);
    }
    println!("{} answered {status}", args.url);
    Ok(())
}
