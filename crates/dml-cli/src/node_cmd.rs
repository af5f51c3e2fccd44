//! `dml node`: run the DML dev chain (an EVM node on revm hosting the engine)
//! in the foreground until Ctrl-C.

/// Start the dev chain: JSON-RPC over HTTP and WebSocket on 127.0.0.1:8545.
#[derive(Debug, clap::Args)]
pub struct NodeCommand {
    #[command(flatten)]
    node: dml_chain::cli::NodeArgs,
}

/// Runs the node until Ctrl-C or SIGTERM.
pub fn run(command: NodeCommand) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(dml_chain::cli::run(command.node))?;
    Ok(())
}
