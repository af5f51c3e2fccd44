//! `dml index`: follow a chain hosting the engine into SQLite and serve the
//! indexer's read API until Ctrl-C.

use std::{net::SocketAddr, path::PathBuf};

use alloy_primitives::Address;
use anyhow::Context;

/// Index a chain that hosts the engine (the dev chain or Arbitrum alike) and
/// serve the read API the explorer and the web page use.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The chain's JSON-RPC URL.
    #[arg(long, env = "DML_RPC_URL", default_value = crate::config::DEFAULT_RPC_URL)]
    pub rpc_url: String,
    /// The database file [default: ~/.cache/dml/index/chain-<id>-<genesis>.sqlite].
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Where the read API listens.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Engine address, for chains that do not answer `dml_getContracts`.
    #[arg(long)]
    pub engine: Option<Address>,
    /// DML token address (default: the chain's answer, else `engine.baseToken()`).
    #[arg(long)]
    pub token: Option<Address>,
    /// Governor address (default: the chain's answer; none if it has none).
    #[arg(long)]
    pub governor: Option<Address>,
    /// Deepest re-org handled; a deeper one stops the indexer with an error.
    #[arg(long, default_value_t = 64)]
    pub reorg_depth: u64,
    /// Most blocks fetched and stored in one transaction.
    #[arg(long, default_value_t = 500)]
    pub batch_blocks: u64,
    /// Print the API URL and database path as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `$DML_CACHE`, else `$XDG_CACHE_HOME/dml` (absolute), else `~/.cache/dml`.
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("DML_CACHE").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).filter(|p| p.is_absolute()) {
        return Ok(xdg.join("dml"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).context("HOME is not set; pass --db")?;
    Ok(PathBuf::from(home).join(".cache").join("dml"))
}

/// Runs the indexer until Ctrl-C or SIGTERM.
pub fn run(args: IndexArgs) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .try_init();
    tokio::runtime::Runtime::new()?.block_on(run_async(args))
}

async fn run_async(args: IndexArgs) -> anyhow::Result<()> {
    let contracts = dml_index::discover_contracts(&args.rpc_url, args.engine, args.token, args.governor)
        .await
        .with_context(|| format!("reaching the chain at {}", args.rpc_url))?;
    let db = match args.db {
        Some(db) => db,
        None => {
            let genesis = format!("{:x}", contracts.genesis);
            cache_dir()?.join("index").join(format!("chain-{}-{}.sqlite", contracts.chain_id, &genesis[..12]))
        }
    };
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut config = dml_index::IndexConfig::new(args.rpc_url.clone());
    config.db = Some(db.clone());
    config.api_address = args.listen;
    config.engine = Some(contracts.engine);
    config.token = Some(contracts.token);
    config.governor = contracts.governor;
    config.reorg_depth = args.reorg_depth;
    config.batch_blocks = args.batch_blocks;
    let handle = dml_index::spawn(config).await.with_context(|| format!("starting the indexer on {}", db.display()))?;
    if args.json {
        println!("{}", serde_json::json!({ "api_url": handle.url(), "db": db, "rpc_url": args.rpc_url }));
    } else {
        println!("indexer API at {}  (database {})", handle.url(), db.display());
    }
    let mut handle = handle;
    tokio::select! {
        _ = crate::shutdown_signal() => Ok(()),
        stopped = &mut handle.follower => match stopped {
            Ok(error) => Err(anyhow::Error::new(error).context("the indexer stopped")),
            Err(join) => Err(anyhow::anyhow!("the indexer stopped: {join}")),
        },
    }
}
