//! `dml`: one binary for the DML network — the dev network, the content
//! tools, the built-in models and (as they land) the node, solver and wallet.
//!
//! Every subcommand lives in its own module under `src/`; this file only
//! declares the command tree and dispatches. Human output by default,
//! `--json` where a script wants to parse the result.

use clap::{Parser, Subcommand};

// One module per command group. Each defines its clap arguments and a
// `run` function; add a variant below and an arm in `main` to wire one in.
mod app_cmd;
mod chain_cmd;
mod client;
mod config;
mod content_cmd;
mod devnet_cmd;
mod examples_cmd;
mod gov_actions;
mod gov_cmd;
mod gov_format;
mod index_cmd;
mod lp_cmd;
mod model_cmd;
mod node_cmd;
mod solver_cmd;
mod stake_cmd;
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
    /// Index a chain hosting the engine into SQLite and serve the read API (tasks, models, solvers, stats).
    Index(index_cmd::IndexArgs),
    /// Serve the web app (playground, explorer, stake and govern) for a chain, its indexer and a gateway.
    App(app_cmd::AppArgs),
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
    /// Delegated stake: delegate to a solver's pool, undelegate, withdraw, claim rewards; pools and positions.
    #[command(subcommand)]
    Stake(stake_cmd::StakeCommand),
    /// Contest a task's solution (staked validators only).
    Contest(chain_cmd::ContestArgs),
    /// Vote on a contestation: --yea (the solution is wrong) or --nay.
    Vote(chain_cmd::VoteArgs),
    /// Governance: delegate votes, propose, list and show proposals, vote, queue, execute.
    #[command(subcommand)]
    Gov(gov_cmd::GovCommand),
    /// LP staking: add DML and ETH to the DML/WETH pair, stake the LP tokens, claim the engine's liquidity rewards.
    #[command(subcommand)]
    Lp(lp_cmd::LpCommand),
    /// Contracts that request inference and act on the answer: deploy them, mint an NFT, run a chain of tasks.
    #[command(subcommand)]
    Examples(examples_cmd::ExamplesCommand),
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

// A closed standard output (`dml model list --builtin --json | head -c 600`)
// ends every command quietly with exit status 0, as ripgrep does. (git dies of
// SIGPIPE instead, status 141; 0 keeps a `set -o pipefail` script that reads
// only the start of the output from failing.)
//
// How. Rust starts with SIGPIPE ignored, so a write to a closed pipe fails with
// EPIPE, and `println!` turns that into the panic "failed printing to stdout:
// Broken pipe (os error 32)". SIGPIPE stays ignored: set back to its default,
// it would kill the process on a write to *any* closed pipe or socket (only
// `send` with MSG_NOSIGNAL is exempt, not the `writev` an HTTP server may use to
// answer a client that hung up on the devnet's RPC), and it would kill it at
// once, skipping the destructors that shut the chain, the content store and
// the solvers down. Instead `main` runs the command under `catch_unwind`, and
// the panic hook stays silent for exactly that panic (on the main thread,
// where every command prints): the unwinding runs the destructors and `main`
// returns `Ok`. One place covers every `println!` of every subcommand, also
// those printed by other crates (`dml node` prints from dml-chain); clap's
// `--help` already ignores the error. Writes that return the error instead of
// panicking (`write_all` of raw model output) go through [`stdout`], which
// unwinds the same way.
fn main() -> anyhow::Result<()> {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let main_thread = std::thread::current().name() == Some("main");
        if !(main_thread && is_closed_stdout(info.payload())) {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(|| run(Cli::parse())) {
        Ok(result) => result,
        Err(payload) if is_closed_stdout(&*payload) => Ok(()),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Devnet(args) => devnet_cmd::run(args),
        Command::Index(args) => index_cmd::run(args),
        Command::App(args) => app_cmd::run(args),
        Command::Solver(args) => solver_cmd::run(args),
        Command::Cid(args) => content_cmd::run_cid(args),
        Command::Content(args) => content_cmd::run(args),
        Command::Node(command) => node_cmd::run(command),
        Command::Model(command) => model_cmd::run(command),
        Command::Task(command) => task_cmd::run(command),
        Command::Validator(command) => validator_cmd::run(command),
        Command::Stake(command) => stake_cmd::run(command),
        Command::Contest(args) => chain_cmd::run_contest(args),
        Command::Vote(args) => chain_cmd::run_vote(args),
        Command::Gov(command) => gov_cmd::run(command),
        Command::Lp(command) => lp_cmd::run(command),
        Command::Examples(command) => examples_cmd::run(command),
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

/// The unwind payload of a write to a closed standard output (see `main`).
struct StdoutClosed;

/// Whether a panic payload says standard output is a closed pipe: ours, or
/// std's "failed printing to stdout: {error}" with an OS error that is EPIPE
/// (told by its code, "(os error N)", not by the locale's wording).
fn is_closed_stdout(payload: &(dyn std::any::Any + Send)) -> bool {
    if payload.is::<StdoutClosed>() {
        return true;
    }
    let message =
        payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied());
    message
        .and_then(|m| m.strip_prefix("failed printing to stdout: "))
        .and_then(|error| error.strip_suffix(')'))
        .and_then(|error| error.rsplit_once("(os error "))
        .and_then(|(_, code)| code.parse::<i32>().ok())
        .is_some_and(|code| std::io::Error::from_raw_os_error(code).kind() == std::io::ErrorKind::BrokenPipe)
}

/// Standard output (locked) for writes that return their error (`write_all`,
/// `flush`) rather than panic as `println!` does: a closed pipe unwinds to
/// `main`, which ends the command quietly; other errors are returned.
pub(crate) fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// See [`stdout`].
pub(crate) struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    fn unwind_if_closed<T>(result: std::io::Result<T>) -> std::io::Result<T> {
        match result {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                std::panic::resume_unwind(Box::new(StdoutClosed))
            }
            other => other,
        }
    }
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Self::unwind_if_closed(self.0.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Self::unwind_if_closed(self.0.flush())
    }
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
