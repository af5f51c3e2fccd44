//! `dml-chain`: the dev chain on its own (the same node as `dml node`).

use clap::Parser;

/// The DML dev chain: an EVM node on revm hosting the DML engine.
#[derive(Debug, Parser)]
#[command(name = "dml-chain", version, about)]
struct Cli {
    #[command(flatten)]
    node: dml_chain::cli::NodeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    dml_chain::cli::run(cli.node).await?;
    Ok(())
}
