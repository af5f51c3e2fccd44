//! `dml`: one binary for the DML network — the dev network, the content
//! tools, the built-in models and (as they land) the node, solver and wallet.
//!
//! Every subcommand lives in its own module under `src/`; this file only
//! declares the command tree and dispatches. Human output by default,
//! `--json` where a script wants to parse the result.

use clap::{Parser, Subcommand};

// One module per command group. Each defines its clap arguments and a
// `run` function; add a variant below and an arm in `main` to wire one in.
mod chain_cmd;
mod client;
mod config;
mod content_cmd;
mod devnet_cmd;
mod model_cmd;
mod node_cmd;
mod solver_cmd;
mod task_cmd;
mod validator_cmd;
mod wallet_cmd;

/// DML: a decentralized machine-learning inference network.
#[derive(Debug, Parser)]
#[command(name = "dml", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole network on this machine: dev chain, content store and gateway, models and solvers.
    Devnet(devnet_cmd::DevnetArgs),
    /// Run a solver: scan tasks, run models, commit, reveal, claim; verify others, contest and vote.
    Solver(solver_cmd::SolverArgs),
    /// Print the CID `ipfs add` would print for a file.
    Cid(content_cmd::CidArgs),
    /// Content store: the kubo-compatible API and gateway.
    Content(content_cmd::ContentArgs),
    /// Run the dev chain: an EVM node hosting the engine, JSON-RPC on 127.0.0.1:8545.
    Node(node_cmd::NodeCommand),
    /// Models: register, list and show models on chain; list or run built-in models locally.
    #[command(subcommand)]
    Model(model_cmd::ModelCommand),
    /// Tasks: submit (and wait for the verified output), get, watch, retract.
    #[command(subcommand)]
    Task(task_cmd::TaskCommand),
    /// Validator stake: deposit, withdraw, status.
    #[command(subcommand)]
    Validator(validator_cmd::ValidatorCommand),
    /// Contest a task's solution (staked validators only).
    Contest(chain_cmd::ContestArgs),
    /// Vote on a contestation: --yea (the solution is wrong) or --nay.
    Vote(chain_cmd::VoteArgs),
    /// Keystores (Web3 Secret Storage, as geth and foundry read them): new, import, list.
    #[command(subcommand)]
    Wallet(wallet_cmd::WalletCommand),
    /// ETH, DML, staked DML and pending withdrawals of an account.
    Balance(chain_cmd::BalanceArgs),
    /// Send DML (or ether with --eth).
    Transfer(chain_cmd::TransferArgs),
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
        Command::Devnet(args) => devnet_cmd::run(args),
        Command::Solver(args) => solver_cmd::run(args),
        Command::Cid(args) => content_cmd::run_cid(args),
        Command::Content(args) => content_cmd::run(args),
        Command::Node(command) => node_cmd::run(command),
        Command::Model(command) => model_cmd::run(command),
        Command::Task(command) => task_cmd::run(command),
        Command::Validator(command) => validator_cmd::run(command),
        Command::Contest(args) => chain_cmd::run_contest(args),
        Command::Vote(args) => chain_cmd::run_vote(args),
        Command::Wallet(command) => wallet_cmd::run(command),
        Command::Balance(args) => chain_cmd::run_balance(args),
        Command::Transfer(args) => chain_cmd::run_transfer(args),
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

/// Logs (`tracing`) to stderr, filtered by `RUST_LOG` (default `info`).
pub(crate) fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
