//! `dml solver`: run the solver daemon against any chain's JSON-RPC and a
//! kubo-compatible content API, from a TOML config file and/or flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use alloy_primitives::{B256, U256};
use anyhow::Context;
use dml_solver::{BuiltinCache, Commission, Metrics, RunnerConfig, ServedModel, SolverConfig};

/// Run a solver: scan tasks, run models, commit, reveal and claim; verify
/// others' solutions, contest wrong ones and vote.
///
/// Settings come from `--config FILE` (TOML, the keys of the flags below in
/// snake_case, models as `[[models]]` tables); flags and their environment
/// variables override the file.
#[derive(Debug, clap::Args)]
pub struct SolverArgs {
    /// TOML config file.
    #[arg(long, env = "DML_SOLVER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Ethereum JSON-RPC URL (HTTP).
    #[arg(long, env = "DML_RPC_URL")]
    pub rpc_url: Option<String>,
    /// WebSocket JSON-RPC URL for new-block notifications (else polling).
    #[arg(long, env = "DML_WS_URL")]
    pub ws_url: Option<String>,
    /// Kubo-compatible content API URL, where outputs are pinned.
    #[arg(long, env = "DML_API_URL")]
    pub api_url: Option<String>,
    /// Signing key (hex).
    #[arg(long, env = "DML_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// Directory of the solver's job database.
    #[arg(long, env = "DML_SOLVER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve a model id with its built-in runner (repeatable).
    #[arg(long = "model", value_name = "MODEL_ID")]
    pub models: Vec<B256>,
    /// Serve a model id from a Cog server: MODEL_ID=URL (repeatable).
    #[arg(long = "cog", value_name = "MODEL_ID=URL")]
    pub cog: Vec<String>,
    /// Stake to keep deposited, in wei of DML.
    #[arg(long)]
    pub stake: Option<U256>,
    /// Serve Prometheus metrics at this address (`/metrics`).
    #[arg(long, env = "DML_SOLVER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Return wrong outputs on purpose (dev networks only: to watch contestation and slashing).
    #[arg(long)]
    pub malicious: bool,
    /// Delegation commission to keep, a percentage like 5% (set at start-up when the engine's differs; a raise applies after the engine's cooldown) [default: leave the engine's]
    #[arg(long, env = "DML_SOLVER_COMMISSION", value_name = "PCT")]
    pub commission: Option<Commission>,
    /// Whether the solver's pool takes new delegations (set at start-up when the engine's differs) [default: true]
    #[arg(long, env = "DML_SOLVER_ACCEPT_DELEGATIONS", value_name = "BOOL")]
    pub accept_delegations: Option<bool>,
    /// Print the effective configuration (key hidden) as JSON and exit.
    #[arg(long)]
    pub print_config: bool,
}

impl SolverArgs {
    /// The configuration: the file (if any) with the flags on top.
    pub fn config(&self) -> anyhow::Result<SolverConfig> {
        let mut config = match &self.config {
            Some(path) => SolverConfig::load(path)?,
            None => SolverConfig::new(
                "http://127.0.0.1:8545".into(),
                "http://127.0.0.1:5001".into(),
                String::new(),
                PathBuf::from("dml-solver"),
            ),
        };
        if let Some(v) = &self.rpc_url {
            config.rpc_url = v.clone();
        }
        if let Some(v) = &self.ws_url {
            config.ws_url = Some(v.clone());
        }
        if let Some(v) = &self.api_url {
            config.api_url = v.clone();
        }
        if let Some(v) = &self.private_key {
            config.private_key = v.clone();
        }
        if let Some(v) = &self.data_dir {
            config.data_dir = v.clone();
        }
        for id in &self.models {
            config
                .models
                .push(ServedModel { id: *id, runner: RunnerConfig::Builtin { weights_dir: None, threads: 1 } });
        }
        for spec in &self.cog {
            let (id, url) = spec.split_once('=').context("--cog takes MODEL_ID=URL")?;
            let id: B256 = id.parse().with_context(|| format!("--cog: `{id}` is not a model id"))?;
            config
                .models
                .push(ServedModel { id, runner: RunnerConfig::Cog { url: url.to_string(), timeout_secs: 120 } });
        }
        if let Some(v) = self.stake {
            config.stake = v;
        }
        if let Some(v) = self.metrics_addr {
            config.metrics_addr = Some(v);
        }
        config.malicious |= self.malicious;
        if let Some(v) = self.commission {
            config.commission = Some(v);
        }
        if let Some(v) = self.accept_delegations {
            config.accept_delegations = v;
        }
        if config.private_key.is_empty() {
            anyhow::bail!("no signing key: pass --private-key, DML_PRIVATE_KEY or private_key in the config file");
        }
        config.validate()?;
        Ok(config)
    }
}

/// Runs the solver until Ctrl-C or SIGTERM.
pub fn run(args: SolverArgs) -> anyhow::Result<()> {
    crate::init_logging();
    let config = args.config()?;
    if args.print_config {
        let mut shown = serde_json::to_value(&config)?;
        shown["private_key"] = "(hidden)".into();
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let metrics = Metrics::new();
        if let Some(addr) = config.metrics_addr {
            let (bound, _task) = metrics.serve(addr).await?;
            tracing::info!(%bound, "metrics at http://{bound}/metrics");
        }
        let solver = dml_solver::spawn(config, metrics, BuiltinCache::default()).await?;
        tracing::info!(address = %solver.address(), "solver running");
        // Runs until a signal, or until the loop stops on its own (a store
        // failure), whose error `shutdown` then returns.
        let stopped = async {
            while !solver.is_finished() {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        };
        tokio::select! {
            _ = stopped => {}
            _ = crate::shutdown_signal() => {}
        }
        solver.shutdown().await?;
        anyhow::Ok(())
    })
}
