//! `dml devnet`: the whole network in one process — the dev chain, the
//! content store and gateway, the built-in models registered with rewards,
//! and N solvers staked and serving them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::{hex, Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;
use dml_content::{AddOptions, ContentClient, ContentServer, ServerConfig};
use dml_models::template::builtin_templates;
use dml_primitives::{IEngine, ONE_DML};
use dml_solver::chain::ChainClient;
use dml_solver::{BuiltinCache, Metrics, RunnerConfig, ServedModel, SolverConfig};
use serde_json::json;

/// Run the whole network on this machine: dev chain, content store and
/// gateway, the built-in models and N solvers.
#[derive(Debug, clap::Args)]
pub struct DevnetArgs {
    /// Number of solvers (dev accounts 1..=N).
    #[arg(long, default_value_t = 3)]
    pub solvers: u32,
    /// How many of the solvers return wrong outputs on purpose.
    #[arg(long, default_value_t = 0)]
    pub malicious: u32,
    /// Keep chain, content and solver state here across restarts (default: a temporary directory).
    #[arg(long, env = "DML_DEVNET_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// JSON-RPC port (HTTP and WebSocket).
    #[arg(long, default_value_t = 8545)]
    pub rpc_port: u16,
    /// Kubo-compatible API port.
    #[arg(long, default_value_t = 5001)]
    pub api_port: u16,
    /// Gateway port.
    #[arg(long, default_value_t = 8080)]
    pub gateway_port: u16,
    /// Prometheus metrics port of the solvers (0: any free port).
    #[arg(long, default_value_t = 9464)]
    pub metrics_port: u16,
    /// Seconds a solution waits before it can be claimed (the contestation window).
    #[arg(long, default_value_t = 10)]
    pub claim_window: u64,
    /// Seconds a contestation's vote stays open.
    #[arg(long, default_value_t = 10)]
    pub vote_period: u64,
    /// Seconds a queued stake withdrawal waits before it can be completed.
    #[arg(long, default_value_t = 60)]
    pub withdraw_unlock: u64,
    /// Seconds from a governance proposal to the start of its vote (`dml node`: 1 day).
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub voting_delay: u64,
    /// Seconds a governance vote stays open (`dml node`: 1 week).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub voting_period: u64,
    /// Seconds a passed proposal waits in the timelock before it can run (`dml node`: 2 days).
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub timelock_delay: u64,
    /// Votes (whole DML) an account needs to make a proposal (`dml node`: 1,000).
    #[arg(long, default_value_t = 100, value_name = "DML")]
    pub proposal_threshold: u64,
    /// Start the emission curve this many days ago, so the network has a
    /// reward target to catch up with and tasks earn rewards (0: now; then
    /// the first task earns 1 DML and later ones nearly nothing until the
    /// target grows past what was emitted).
    #[arg(long, default_value_t = 30)]
    pub emission_age_days: u64,
    /// Stake each solver keeps deposited, in whole DML.
    #[arg(long, default_value_t = 10)]
    pub solver_stake: u64,
    /// Directory with the built-in models' weights (default: $DML_WEIGHTS_DIR or ~/.cache/dml/weights).
    #[arg(long)]
    pub weights_dir: Option<PathBuf>,
    /// Print the network's details as one JSON object (for scripts).
    #[arg(long)]
    pub json: bool,
}

/// One registered model.
struct RegisteredModel {
    name: String,
    id: B256,
    template_cid: String,
}

/// Runs the dev network until Ctrl-C or SIGTERM.
pub fn run(args: DevnetArgs) -> anyhow::Result<()> {
    crate::init_logging();
    if args.malicious > args.solvers {
        anyhow::bail!("--malicious {} is more than --solvers {}", args.malicious, args.solvers);
    }
    if args.solvers > 9 {
        anyhow::bail!("--solvers is at most 9 (dev accounts 1..=9; account 0 is the pause guardian)");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: DevnetArgs) -> anyhow::Result<()> {
    let _temp;
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => {
            let temp = tempfile::tempdir().context("creating a temporary directory")?;
            let path = temp.path().to_path_buf();
            _temp = temp;
            path
        }
    };
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);

    // The chain, with short windows so a task settles within a minute.
    let mut node_config = dml_chain::NodeConfig {
        rpc_address: SocketAddr::new(localhost, args.rpc_port),
        data_dir: args.data_dir.as_ref().map(|_| data_dir.join("chain")),
        ..Default::default()
    };
    let engine = &mut node_config.genesis.engine;
    engine.min_claim_solution_time = args.claim_window;
    engine.min_contestation_vote_period_time = args.vote_period;
    engine.min_retraction_wait_time = 60;
    engine.exit_validator_min_unlock_time = args.withdraw_unlock;
    let governance = &mut node_config.genesis.governance;
    governance.voting_delay = args.voting_delay;
    governance.voting_period = args.voting_period;
    governance.timelock_delay = args.timelock_delay;
    governance.proposal_threshold = U256::from(args.proposal_threshold) * ONE_DML;
    // The built-in models, registered at genesis by account 0 with the full reward rate.
    node_config.genesis.models = builtin_templates()
        .iter()
        .map(|template| dml_chain::GenesisModel {
            addr: None,
            fee: U256::ZERO,
            rate: ONE_DML,
            template: String::from_utf8_lossy(template.bytes).into_owned(),
        })
        .collect();
    if args.data_dir.as_ref().is_none_or(|d| !d.join("chain").exists()) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        engine.start_time = Some(now.saturating_sub(args.emission_age_days * 86_400));
    }
    let node = dml_chain::spawn(node_config).await.context("starting the dev chain")?;
    let (signers, contracts, chain_id) = {
        let chain = node.shared().chain();
        (chain.dev_signers().to_vec(), chain.contracts(), chain.chain_id())
    };

    // The content store and gateway.
    let content_config = ServerConfig {
        api_addr: SocketAddr::new(localhost, args.api_port),
        gateway_addr: SocketAddr::new(localhost, args.gateway_port),
        data_dir: data_dir.join("content"),
        ..ServerConfig::default()
    };
    let content = ContentServer::start(&content_config).await.context("starting the content store")?;
    let api_url = content.api_url();
    let gateway_url = format!("http://{}", content.gateway_addr());

    // The built-in models' templates, pinned where solvers and users fetch them.
    let account0 = ChainClient::connect(&node.http_url(), signers[0].clone(), None).await?;
    let content_client = ContentClient::new(api_url.clone());
    let models = pin_builtin_models(&account0, &content_client).await?;

    // The solvers: dev accounts 1..=N, the last K malicious.
    let metrics = Metrics::new();
    let (metrics_addr, _metrics_task) = metrics.serve(SocketAddr::new(localhost, args.metrics_port)).await?;
    let cache = BuiltinCache::default();
    let mut solvers = Vec::new();
    for i in 1..=args.solvers {
        let malicious = i > args.solvers - args.malicious;
        let signer: &PrivateKeySigner = &signers[i as usize];
        let mut config = SolverConfig::new(
            node.http_url(),
            api_url.clone(),
            hex::encode_prefixed(signer.to_bytes()),
            data_dir.join(format!("solver-{i}")),
        );
        config.ws_url = Some(node.ws_url());
        config.engine = Some(contracts.engine);
        config.models = models
            .iter()
            .map(|m| ServedModel {
                id: m.id,
                runner: RunnerConfig::Builtin { weights_dir: args.weights_dir.clone(), threads: 1 },
            })
            .collect();
        config.stake = U256::from(args.solver_stake) * ONE_DML;
        config.poll_interval_ms = 100;
        config.resend_after_ms = 10_000;
        config.malicious = malicious;
        let solver = dml_solver::spawn(config, metrics.clone(), cache.clone())
            .await
            .with_context(|| format!("starting solver {i}"))?;
        solvers.push((solver, malicious));
    }

    let governance = dml_chain::GovernanceAddresses::at_genesis();
    let accounts: Vec<(Address, String)> =
        signers.iter().map(|s| (s.address(), hex::encode_prefixed(s.to_bytes()))).collect();
    if args.json {
        let info = json!({
            "rpc_url": node.http_url(),
            "ws_url": node.ws_url(),
            "api_url": api_url,
            "gateway_url": gateway_url,
            "metrics_url": format!("http://{metrics_addr}/metrics"),
            "chain_id": chain_id,
            "engine": contracts.engine,
            "token": contracts.token,
            "governor": governance.governor,
            "timelock": governance.timelock,
            "guardian": signers[0].address(),
            "data_dir": data_dir,
            "accounts": accounts.iter().map(|(a, k)| json!({"address": a, "private_key": k})).collect::<Vec<_>>(),
            "models": models.iter().map(|m| json!({"name": m.name, "id": m.id, "template_cid": m.template_cid})).collect::<Vec<_>>(),
            "solvers": solvers.iter().map(|(s, malicious)| json!({"address": s.address(), "malicious": malicious})).collect::<Vec<_>>(),
        });
        println!("{info}");
    } else {
        let urls = BannerUrls { api: &api_url, gateway: &gateway_url, metrics: metrics_addr };
        print_banner(&node, chain_id, &contracts, &governance, &urls, &accounts, &models, &solvers, &args);
    }

    tokio::select! {
        _ = crate::shutdown_signal() => {}
        _ = async {
            loop {
                if solvers.iter().any(|(s, _)| s.is_finished()) { break; }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        } => tracing::error!("a solver stopped; shutting the network down"),
    }
    tracing::info!("shutting down");
    for (solver, _) in solvers {
        if let Err(e) = solver.shutdown().await {
            tracing::warn!(error = %e, "solver stopped with an error");
        }
    }
    let _ = content.shutdown().await;
    node.shutdown().await;
    Ok(())
}

/// Pins each built-in template and checks that genesis registered it (by
/// account 0, fee 0) with rewards on.
async fn pin_builtin_models(account0: &ChainClient, content: &ContentClient) -> anyhow::Result<Vec<RegisteredModel>> {
    let mut models = Vec::new();
    for template in builtin_templates() {
        let pinned = content
            .add_bytes("template.json", template.bytes.to_vec(), &AddOptions::default())
            .await
            .context("pinning a model template")?;
        let cid = template.cid();
        anyhow::ensure!(pinned.cid.to_string() == cid, "content store gave {} for template {cid}", pinned.cid);
        let addr = account0.address();
        let cid_bytes = Bytes::from(pinned.cid.to_bytes());
        let model = dml_primitives::Model { fee: U256::ZERO, addr, rate: U256::ZERO, cid: cid_bytes };
        let id = account0.view(IEngine::hashModelCall { o_: model, sender_: addr }).await?;
        let record = account0.view(IEngine::modelsCall { model: id }).await?;
        anyhow::ensure!(
            !record.cid.is_empty() && !record.rate.is_zero(),
            "model {} is not registered with rewards under id {id} (a chain from an older genesis?)",
            template.template.name
        );
        models.push(RegisteredModel { name: template.template.name.clone(), id, template_cid: cid });
    }
    Ok(models)
}

/// Where the devnet's other services listen, for the banner.
struct BannerUrls<'a> {
    api: &'a str,
    gateway: &'a str,
    metrics: SocketAddr,
}

#[allow(clippy::too_many_arguments)]
fn print_banner(
    node: &dml_chain::NodeHandle,
    chain_id: u64,
    contracts: &dml_engine::ContractAddresses,
    governance: &dml_chain::GovernanceAddresses,
    urls: &BannerUrls<'_>,
    accounts: &[(Address, String)],
    models: &[RegisteredModel],
    solvers: &[(dml_solver::SolverHandle, bool)],
    args: &DevnetArgs,
) {
    let (api_url, gateway_url, metrics_addr) = (urls.api, urls.gateway, urls.metrics);
    println!("DML devnet is running (chain id {chain_id}). Ctrl-C stops it.");
    println!();
    println!("  JSON-RPC   {}  (WebSocket {})", node.http_url(), node.ws_url());
    println!("  IPFS API   {api_url}");
    println!("  gateway    {gateway_url}/ipfs/<cid>");
    println!("  metrics    http://{metrics_addr}/metrics");
    println!("  engine     {}", contracts.engine);
    println!("  token      {}", contracts.token);
    println!("  governor   {}", governance.governor);
    println!("  timelock   {}  (owns the engine and holds the treasury)", governance.timelock);
    println!();
    println!(
        "Governance: proposals need {} DML of votes; voting starts {} s after a proposal and lasts {} s; \
         quorum 4 % of the supply; passed proposals wait {} s in the timelock. Balances vote once \
         delegated (`dml gov delegate`). Account 0 is the pause guardian: it may pause, only a proposal unpauses.",
        args.proposal_threshold, args.voting_delay, args.voting_period, args.timelock_delay
    );
    println!();
    println!("Models (registered by account 0 at genesis, rewards enabled):");
    for m in models {
        println!("  {:<20} {}  template {}", m.name, m.id, m.template_cid);
    }
    println!();
    println!("Solvers:");
    for (solver, malicious) in solvers {
        println!("  {}{}", solver.address(), if *malicious { "  (malicious)" } else { "" });
    }
    println!();
    println!("Dev accounts (1,000 DML and 10,000 ETH each; keys of the standard test mnemonic):");
    for (i, (address, key)) in accounts.iter().enumerate() {
        println!("  ({i}) {address}  {key}");
    }
    println!();
    // Commands that work as printed: this very binary (the README runs it
    // through `cargo run`, so `dml` need not be on PATH), and the URLs when
    // the ports are not the client's defaults.
    let dml = own_command();
    let rpc_url = node.http_url();
    let urls = [
        ("--rpc-url", rpc_url.as_str(), crate::config::DEFAULT_RPC_URL),
        ("--api-url", api_url, crate::config::DEFAULT_API_URL),
        ("--gateway-url", gateway_url, crate::config::DEFAULT_GATEWAY_URL),
    ];
    // The flags for the URLs a command uses that are not the defaults.
    let flags = |used: &[&str]| -> String {
        let moved = urls.iter().filter(|(flag, url, default)| used.contains(flag) && url != default);
        moved.map(|(flag, url, _)| format!(" {flag} {url}")).collect()
    };
    println!("Try, in another terminal:");
    println!(
        "  {dml} task submit{} --dev-account 9 --model textgenrnn --input '{{\"prompt\":\"Hello\",\"max_length\":60}}' --wait",
        flags(&["--rpc-url", "--api-url", "--gateway-url"])
    );
    println!("  {dml} model list{}", flags(&["--rpc-url", "--gateway-url"]));
    println!("  {dml} balance{} {}", flags(&["--rpc-url"]), accounts.get(1).map(|a| a.0).unwrap_or_default());
    println!("  {dml} gov delegate{} --dev-account 8", flags(&["--rpc-url"]));
    println!("  {dml} gov list{}", flags(&["--rpc-url"]));
    if dml != "dml" {
        println!("(`cargo install --path crates/dml-cli` puts `dml` on your PATH.)");
    }
}

/// How a POSIX shell runs this binary: `dml` when that is what `dml` on PATH
/// finds, else the binary's own path, quoted where the shell needs it.
fn own_command() -> String {
    let Some(exe) = std::env::current_exe().ok().and_then(|exe| exe.canonicalize().ok()) else {
        return "dml".into();
    };
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).find_map(|dir| dir.join("dml").canonicalize().ok()));
    if on_path.as_ref() == Some(&exe) {
        return "dml".into();
    }
    match exe.to_str() {
        Some(path) => shell_quote(path),
        None => "dml".into(), // not UTF-8: nothing printable would run it
    }
}

/// `word` as one POSIX shell word: as it is when it holds only characters no
/// shell treats specially, else in single quotes (a `'` inside as `'\''`).
fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn paths_are_quoted_only_where_a_shell_needs_it() {
        assert_eq!(shell_quote("/home/ada/dml/target/release/dml"), "/home/ada/dml/target/release/dml");
        assert_eq!(shell_quote("/home/ada/my clone/target/dml"), "'/home/ada/my clone/target/dml'");
        assert_eq!(shell_quote("/tmp/it's/dml"), r"'/tmp/it'\''s/dml'");
        assert_eq!(shell_quote("/tmp/$x/dml"), "'/tmp/$x/dml'");
    }
}
