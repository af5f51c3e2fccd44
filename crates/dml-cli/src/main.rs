//! `dml`: one binary for the DML network — the dev network, the content
//! tools, the built-in models and (as they land) the node, solver and wallet.
//!
//! Every subcommand lives in its own module under `src/`; this file only
//! declares the command tree and dispatches. Human output by default,
//! `--json` where a script wants to parse the result.

use clap::{Parser, Subcommand};

// One module per command group. Each defines its clap arguments and a
// `run` function; add a variant below and an arm in `main` to wire one in.
mod content_cmd;
mod model_cmd;
mod node_cmd;

/// DML: a decentralized machine-learning inference network.
#[derive(Debug, Parser)]
#[command(name = "dml", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the CID `ipfs add` would print for a file.
    Cid(content_cmd::CidArgs),
    /// Content store: the kubo-compatible API and gateway.
    Content(content_cmd::ContentArgs),
    /// Run the dev chain: an EVM node hosting the engine, JSON-RPC on 127.0.0.1:8545.
    Node(node_cmd::NodeCommand),
    /// Built-in models: list them, or run one locally (off chain).
    #[command(subcommand)]
    Model(model_cmd::ModelCommand),
    /// Print the protocol's engine defaults and version information.
    Info {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Cid(args) => content_cmd::run_cid(args),
        Command::Content(args) => content_cmd::run(args),
        Command::Node(command) => node_cmd::run(command),
        Command::Model(command) => model_cmd::run(command),
        Command::Info { json } => info(json),
    }
}

fn info(json: bool) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    if json {
        println!("{}", serde_json::json!({ "version": version }));
    } else {
        println!("dml {version}");
    }
    Ok(())
}
