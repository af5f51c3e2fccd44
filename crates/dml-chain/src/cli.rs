//! Command-line options of the node (`dml node`, and the crate's own
//! `dml-chain` binary) and the foreground run loop they drive.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use serde_json::json;

use crate::{config::GenesisConfig, node, ChainError, NodeConfig};

/// `dml node` options.
#[derive(Clone, Debug, clap::Args)]
pub struct NodeArgs {
    /// JSON-RPC port (HTTP and WebSocket) on 127.0.0.1; 0 picks a free port.
    #[arg(long, default_value_t = 8545, env = "DML_RPC_PORT")]
    pub rpc_port: u16,
    /// Address to bind JSON-RPC to.
    #[arg(long, default_value = "127.0.0.1", env = "DML_RPC_HOST")]
    pub rpc_host: std::net::IpAddr,
    /// Keep blocks and state here across restarts (default: in memory).
    #[arg(long, env = "DML_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Mine a block every SECS seconds instead of one per transaction.
    #[arg(long, value_name = "SECS", env = "DML_BLOCK_TIME")]
    pub block_time: Option<f64>,
    /// Genesis/config file (TOML, or JSON by extension): accounts, balances, engine parameters.
    #[arg(long, value_name = "FILE", env = "DML_GENESIS")]
    pub genesis: Option<PathBuf>,
    /// Print the startup information (URL, accounts, contracts) as one JSON line.
    #[arg(long)]
    pub json: bool,
    /// Print the effective genesis configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
}

impl NodeArgs {
    /// The node configuration these options describe.
    pub fn config(&self) -> Result<NodeConfig, ChainError> {
        let genesis = match &self.genesis {
            Some(path) => GenesisConfig::load(path)?,
            None => GenesisConfig::default(),
        };
        let block_time = match self.block_time {
            None => None,
            Some(secs) if secs.is_finite() && secs > 0.0 => Some(Duration::from_secs_f64(secs)),
            Some(secs) => {
                return Err(ChainError::Config(format!("--block-time must be a positive number, got {secs}")))
            }
        };
        Ok(NodeConfig {
            rpc_address: SocketAddr::new(self.rpc_host, self.rpc_port),
            data_dir: self.data_dir.clone(),
            block_time,
            genesis,
            ..NodeConfig::default()
        })
    }
}

/// Runs the node in the foreground until Ctrl-C (or SIGTERM), then shuts down cleanly.
pub async fn run(args: NodeArgs) -> Result<(), ChainError> {
    let config = args.config()?;
    if args.print_config {
        let text = toml::to_string_pretty(&config.genesis).map_err(|error| ChainError::Config(error.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    let node = node::spawn(config).await?;
    let (accounts, contracts, chain_id, head) = {
        let chain = node.shared().chain();
        let accounts: Vec<_> = chain
            .dev_signers()
            .iter()
            .map(|signer| (signer.address(), alloy_primitives::hex::encode_prefixed(signer.to_bytes())))
            .collect();
        (accounts, chain.contracts(), chain.chain_id(), chain.head_number())
    };
    let governance = crate::GovernanceAddresses::at_genesis();
    let liquidity = crate::LiquidityAddresses::for_token(contracts.token);
    if args.json {
        let info = json!({
            "rpc_url": node.http_url(),
            "ws_url": node.ws_url(),
            "chain_id": chain_id,
            "head": head,
            "engine": contracts.engine,
            "token": contracts.token,
            "governor": governance.governor,
            "timelock": governance.timelock,
            "weth": liquidity.weth,
            "factory": liquidity.factory,
            "router": liquidity.router,
            "pair": liquidity.pair,
            "liquidity_staking": liquidity.staking,
            "accounts": accounts.iter().map(|(address, key)| json!({ "address": address, "private_key": key })).collect::<Vec<_>>(),
        });
        println!("{info}");
    } else {
        println!("DML dev chain (chain id {chain_id}, head block {head})");
        println!("JSON-RPC: {}  (WebSocket: {})", node.http_url(), node.ws_url());
        println!("engine:   {}", contracts.engine);
        println!("token:    {}", contracts.token);
        println!("governor: {}", governance.governor);
        println!("timelock: {}", governance.timelock);
        println!("DML/WETH: {}  (Uniswap V2 router {})", liquidity.pair, liquidity.router);
        println!("LP staking: {}", liquidity.staking);
        println!("dev accounts:");
        for (index, (address, key)) in accounts.iter().enumerate() {
            println!("  ({index}) {address}  {key}");
        }
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    node.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
