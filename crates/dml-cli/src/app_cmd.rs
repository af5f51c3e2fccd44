//! `dml app`: serve the web app (playground, explorer, stake and govern)
//! for any deployment: a chain hosting the engine, its indexer and an IPFS
//! gateway.

use std::net::SocketAddr;

use alloy_primitives::Address;
use anyhow::Context;
use serde_json::{json, Value};

/// Serve the web app for a chain hosting the engine, an indexer (`dml index`)
/// and a gateway; the page talks to those three hosts only.
#[derive(Debug, clap::Args)]
pub struct AppArgs {
    /// The chain's JSON-RPC URL (the page sends reads and, through the wallet, transactions here).
    #[arg(long, env = "DML_RPC_URL", default_value = crate::config::DEFAULT_RPC_URL)]
    pub rpc_url: String,
    /// The indexer's read API (`dml index`).
    #[arg(long, env = "DML_INDEXER_URL", default_value = "http://127.0.0.1:8090")]
    pub indexer_url: String,
    /// An IPFS gateway serving templates and outputs by CID.
    #[arg(long, env = "DML_GATEWAY_URL", default_value = crate::config::DEFAULT_GATEWAY_URL)]
    pub gateway_url: String,
    /// Where the page is served.
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub listen: SocketAddr,
    /// The chain's name as wallets show it [default: "DML devnet" on chain 31337, else "Chain <id>"].
    #[arg(long)]
    pub chain_name: Option<String>,
    /// Engine address, for chains that do not answer `dml_getContracts`.
    #[arg(long)]
    pub engine: Option<Address>,
    /// DML token address (default: the chain's answer).
    #[arg(long)]
    pub token: Option<Address>,
    /// Governor address (default: the chain's answer).
    #[arg(long)]
    pub governor: Option<Address>,
    /// Print the page's URL and settings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One JSON-RPC call; `Ok(None)` when the node answers with an error (an
/// unknown method, say).
async fn rpc(http: &reqwest::Client, url: &str, method: &str) -> anyhow::Result<Option<Value>> {
    let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": [] });
    let answer: Value = http
        .post(url)
        .json(&request)
        .send()
        .await
        .with_context(|| format!("the node at {url} does not answer"))?
        .json()
        .await
        .with_context(|| format!("the node at {url} answered {method} with something that is not JSON-RPC"))?;
    Ok(answer.get("result").cloned())
}

/// The page's settings, read from the chain where flags leave them open.
pub async fn discover(args: &AppArgs) -> anyhow::Result<dml_web::AppConfig> {
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build()?;
    let chain_id = rpc(&http, &args.rpc_url, "eth_chainId")
        .await?
        .and_then(|id| id.as_str().and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok()))
        .context("the node did not answer eth_chainId with a number")?;
    let contracts = rpc(&http, &args.rpc_url, "dml_getContracts").await?.unwrap_or(Value::Null);
    let field = |name: &str| contracts[name].as_str().and_then(|s| s.parse::<Address>().ok());
    let engine = args
        .engine
        .or_else(|| field("engine"))
        .context("the node does not tell its contracts (dml_getContracts): pass --engine and --token")?;
    let token = args.token.or_else(|| field("token")).context("the node does not name the DML token: pass --token")?;
    Ok(dml_web::AppConfig {
        chain_id,
        chain_name: args.chain_name.clone().unwrap_or_else(|| default_chain_name(chain_id)),
        rpc_url: args.rpc_url.clone(),
        indexer_url: args.indexer_url.clone(),
        gateway_url: args.gateway_url.clone(),
        contracts: dml_web::AppContracts {
            engine,
            token,
            governor: args.governor.or_else(|| field("governor")),
            timelock: field("timelock"),
            liquidity_staking: field("liquidityStaking"),
            pair: field("pair"),
            router: field("router"),
            weth: field("weth"),
        },
        devnet: false,
        dev_accounts: Vec::new(),
    })
}

/// What wallets call the chain unless told.
pub fn default_chain_name(chain_id: u64) -> String {
    if chain_id == 31337 {
        "DML devnet".into()
    } else {
        format!("Chain {chain_id}")
    }
}

/// Serves the app until Ctrl-C or SIGTERM.
pub fn run(args: AppArgs) -> anyhow::Result<()> {
    crate::init_logging();
    tokio::runtime::Runtime::new()?.block_on(async {
        let config = discover(&args).await?;
        let settings = serde_json::to_value(&config)?;
        let app = dml_web::spawn(config, args.listen).await.context("starting the web app")?;
        if args.json {
            println!("{}", json!({ "app_url": app.url(), "config": settings }));
        } else {
            println!(
                "web app at {}  (chain {}, indexer {}, gateway {})",
                app.url(),
                args.rpc_url,
                args.indexer_url,
                args.gateway_url
            );
        }
        crate::shutdown_signal().await;
        Ok(())
    })
}
