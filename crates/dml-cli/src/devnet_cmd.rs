//! `dml devnet`: the whole network in one process — the dev chain, the
//! content store and gateway, the built-in models registered with rewards,
//! N solvers staked and serving them, and stake delegated to each solver's
//! pool by two other dev accounts, so a newcomer sees pools earn.

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
use dml_solver::{BuiltinCache, Commission, Metrics, RunnerConfig, ServedModel, SolverConfig};
use serde_json::json;

use crate::stake_cmd::percent;

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
    /// Indexer read API port (0: any free port).
    #[arg(long, default_value_t = 8090)]
    pub indexer_port: u16,
    /// Web app port: the playground, explorer, stake and govern pages (0: any free port).
    #[arg(long, default_value_t = 8091)]
    pub app_port: u16,
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
    /// Commission every solver keeps from its claims before its delegators' pool is paid.
    #[arg(long, default_value = "10%", value_name = "PCT")]
    pub commission: Commission,
    /// Seconds between a solver's commission changes, and before a raise applies (`dml node`: 7 days).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub commission_cooldown: u64,
    /// Seconds undelegated stake unbonds before it can be withdrawn; more than
    /// the claim window plus the vote period (`dml node`: 1 day) [default: claim window + vote period + 40]
    #[arg(long, value_name = "SECS")]
    pub delegation_unbonding: Option<u64>,
    /// How many dev accounts delegate to every solver at start: the highest
    /// ones below 9 that run no solver (8, then 7, …). 0: none.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub delegators: u32,
    /// DML (whole) each of those accounts delegates to each solver.
    #[arg(long, default_value_t = 50, value_name = "DML")]
    pub delegation: u64,
    /// Deploy the example contracts that request inference at genesis (an NFT
    /// collection minting pictures with fashion-diffusion, competitions, task chains) and
    /// advance every task chain whose step is solved (`dml examples`).
    #[arg(long)]
    pub examples: bool,
    /// Directory with the built-in models' weights (default: $DML_WEIGHTS_DIR or ~/.cache/dml/weights).
    #[arg(long)]
    pub weights_dir: Option<PathBuf>,
    /// Print the network's details as one JSON object (for scripts).
    #[arg(long)]
    pub json: bool,
}

/// One solver's delegation pool as the banner shows it.
struct PoolSummary {
    solver: Address,
    commission: U256,
    own: U256,
    delegated: U256,
    counted: U256,
    accepts: bool,
    /// (dev account index, address, stake) of each seeded delegator with stake there.
    delegations: Vec<(u32, Address, U256)>,
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
    let windows = args.claim_window + args.vote_period;
    if args.delegation_unbonding.is_some_and(|unbonding| unbonding <= windows) {
        anyhow::bail!(
            "--delegation-unbonding must be more than --claim-window + --vote-period ({windows} s): \
             unbonding stake must stay slashable until a solution it backed is settled"
        );
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
    engine.delegation_unbonding_time = unbonding_time(&args);
    engine.delegation_commission_cooldown = args.commission_cooldown;
    let most = Commission::from_wad(U256::from(engine.max_delegation_commission)).unwrap_or_default();
    anyhow::ensure!(
        args.commission <= most,
        "--commission {} is above the engine's maximum of {most}",
        args.commission
    );
    let dev_dml = node_config.genesis.dev_account_dml;
    anyhow::ensure!(
        args.delegators == 0 || args.delegation.saturating_mul(u64::from(args.solvers)) <= dev_dml,
        "--delegation {} DML to each of {} solvers is more than a dev account's {dev_dml} DML",
        args.delegation,
        args.solvers
    );
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
    node_config.genesis.examples = dml_chain::ExamplesConfig {
        enabled: args.examples,
        nft_model: Some("fashion-diffusion".into()),
        gateway_base: format!("http://127.0.0.1:{}/ipfs/", args.gateway_port),
        ..Default::default()
    };
    let fresh_chain = args.data_dir.as_ref().is_none_or(|d| !d.join("chain").exists());
    if fresh_chain {
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

    // The indexer, in the data directory: the explorer's lists and history.
    let mut index_config = dml_index::IndexConfig::new(node.http_url());
    index_config.db = Some(data_dir.join("index.sqlite"));
    index_config.api_address = SocketAddr::new(localhost, args.indexer_port);
    let indexer = dml_index::spawn(index_config).await.context("starting the indexer")?;
    let indexer_url = indexer.url();

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
        config.commission = Some(args.commission);
        config.accept_delegations = true;
        let solver = dml_solver::spawn(config, metrics.clone(), cache.clone())
            .await
            .with_context(|| format!("starting solver {i}"))?;
        solvers.push((solver, malicious));
    }

    // Delegations: once every solver is staked with its commission in force
    // (set while its pool is empty, so at once), the delegators' stake.
    let delegators = delegator_accounts(args.solvers, args.delegators);
    if args.delegators as usize > delegators.len() {
        tracing::warn!(
            asked = args.delegators,
            available = delegators.len(),
            "fewer dev accounts than --delegators run no solver (account 9 is kept for tasks)"
        );
    }
    let solver_addresses: Vec<Address> = solvers.iter().map(|(s, _)| s.address()).collect();
    wait_for_terms(&account0, &solver_addresses, args.commission).await?;
    if fresh_chain {
        let amount = U256::from(args.delegation) * ONE_DML;
        for &index in &delegators {
            let delegator = ChainClient::connect(&node.http_url(), signers[index as usize].clone(), None).await?;
            seed_delegations(&delegator, &solver_addresses, amount)
                .await
                .with_context(|| format!("delegating from dev account {index}"))?;
        }
    }
    let delegator_addresses: Vec<(u32, Address)> =
        delegators.iter().map(|&i| (i, signers[i as usize].address())).collect();
    let pools = pool_summaries(&account0, &solver_addresses, &delegator_addresses).await?;
    let cap_ratio = account0.view(IEngine::delegationCapRatioCall {}).await?;

    let governance = dml_chain::GovernanceAddresses::at_genesis();
    let liquidity = dml_chain::LiquidityAddresses::at_genesis();
    let relay_client = relay_client(&node.http_url(), &api_url, &gateway_url).await?;
    let examples = examples_on_chain(&relay_client, args.examples).await?;
    let relay = examples.map(|examples| spawn_chain_relay(relay_client, examples.task_chain));
    let accounts: Vec<(Address, String)> =
        signers.iter().map(|s| (s.address(), hex::encode_prefixed(s.to_bytes()))).collect();

    // The web app, on its own port, told every address above and the dev keys.
    let app_config = dml_web::AppConfig {
        chain_id,
        chain_name: crate::app_cmd::default_chain_name(chain_id),
        rpc_url: node.http_url(),
        indexer_url: indexer_url.clone(),
        gateway_url: gateway_url.clone(),
        contracts: dml_web::AppContracts {
            engine: contracts.engine,
            token: contracts.token,
            governor: Some(governance.governor),
            timelock: Some(governance.timelock),
            liquidity_staking: Some(liquidity.staking),
            pair: Some(liquidity.pair),
            router: Some(liquidity.router),
            weth: Some(liquidity.weth),
        },
        devnet: true,
        dev_accounts: accounts
            .iter()
            .zip(0u32..)
            .map(|((address, key), index)| dml_web::DevAccount { index, address: *address, private_key: key.clone() })
            .collect(),
    };
    let app =
        dml_web::spawn(app_config, SocketAddr::new(localhost, args.app_port)).await.context("starting the web app")?;
    let app_url = app.url();
    if args.json {
        let info = json!({
            "rpc_url": node.http_url(),
            "ws_url": node.ws_url(),
            "api_url": api_url,
            "gateway_url": gateway_url,
            "indexer_url": indexer_url,
            "app_url": app_url,
            "metrics_url": format!("http://{metrics_addr}/metrics"),
            "chain_id": chain_id,
            "engine": contracts.engine,
            "token": contracts.token,
            "governor": governance.governor,
            "timelock": governance.timelock,
            "weth": liquidity.weth,
            "factory": liquidity.factory,
            "router": liquidity.router,
            "pair": liquidity.pair,
            "liquidity_staking": liquidity.staking,
            "guardian": signers[0].address(),
            "data_dir": data_dir,
            "accounts": accounts.iter().map(|(a, k)| json!({"address": a, "private_key": k})).collect::<Vec<_>>(),
            "models": models.iter().map(|m| json!({"name": m.name, "id": m.id, "template_cid": m.template_cid})).collect::<Vec<_>>(),
            "solvers": solvers.iter().map(|(s, malicious)| json!({"address": s.address(), "malicious": malicious})).collect::<Vec<_>>(),
            "delegation_unbonding_time": unbonding_time(&args),
            "commission_cooldown": args.commission_cooldown,
            "delegators": delegator_addresses.iter().map(|(_, a)| a).collect::<Vec<_>>(),
            "pools": pools.iter().map(pool_json).collect::<Vec<_>>(),
            "examples": examples.map(|e| json!({
                "nft": e.nft,
                "competition": e.competition,
                "task_chain": e.task_chain,
            })),
        });
        println!("{info}");
    } else {
        let urls = BannerUrls {
            api: &api_url,
            gateway: &gateway_url,
            indexer: &indexer_url,
            app: &app_url,
            metrics: metrics_addr,
        };
        let network = BannerNetwork { models: &models, solvers: &solvers, pools: &pools, cap_ratio, examples };
        print_banner(&node, chain_id, &contracts, &governance, &urls, &accounts, &network, &args);
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
    if let Some(relay) = relay {
        relay.abort();
    }
    for (solver, _) in solvers {
        if let Err(e) = solver.shutdown().await {
            tracing::warn!(error = %e, "solver stopped with an error");
        }
    }
    drop(app);
    drop(indexer);
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

/// The delegation unbonding time the devnet's genesis sets.
fn unbonding_time(args: &DevnetArgs) -> u64 {
    args.delegation_unbonding.unwrap_or(args.claim_window + args.vote_period + 40)
}

/// The dev accounts that delegate at start: the highest below 9 (kept for
/// tasks) that run no solver, at most `count` of them.
fn delegator_accounts(solvers: u32, count: u32) -> Vec<u32> {
    (solvers + 1..=8).rev().take(count as usize).collect()
}

/// Waits until every solver is registered and its commission is (or is
/// about to become) `commission`: each solver sets it once its stake is
/// deposited. After a restart a solver may be refused (a raise within the
/// cooldown); that is logged, and the devnet starts anyway after a while.
async fn wait_for_terms(reader: &ChainClient, solvers: &[Address], commission: Commission) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for &solver in solvers {
        loop {
            let registered = !reader.view(IEngine::validatorsCall { addr: solver }).await?.addr.is_zero();
            let pool = reader.view(IEngine::delegationPoolCall { solver }).await?;
            let coming = if pool.nextCommissionTime.is_zero() { pool.commission } else { pool.nextCommission };
            if registered && coming == commission.wad() {
                break;
            }
            if std::time::Instant::now() >= deadline {
                tracing::warn!(%solver, registered, "solver not staked with its commission set within a minute");
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// Delegates `amount` from `delegator` to each solver.
async fn seed_delegations(delegator: &ChainClient, solvers: &[Address], amount: U256) -> anyhow::Result<()> {
    for &solver in solvers {
        let call = IEngine::delegateStakeCall { solver_: solver, amount_: amount };
        let receipt = delegator.send_and_wait(call, Duration::from_secs(30)).await?;
        anyhow::ensure!(receipt.success, "delegating to {solver} reverted in block {}", receipt.block);
    }
    Ok(())
}

/// Every solver's pool, with the stake of each seeded delegator in it.
async fn pool_summaries(
    reader: &ChainClient,
    solvers: &[Address],
    delegators: &[(u32, Address)],
) -> anyhow::Result<Vec<PoolSummary>> {
    let mut pools = Vec::new();
    for &solver in solvers {
        let pool = reader.view(IEngine::delegationPoolCall { solver }).await?;
        let stake = reader.view(IEngine::solverStakeCall { solver }).await?;
        let mut delegations = Vec::new();
        for &(index, delegator) in delegators {
            let position = reader.view(IEngine::delegationCall { delegator, solver }).await?;
            if !position.stake.is_zero() {
                delegations.push((index, delegator, position.stake));
            }
        }
        pools.push(PoolSummary {
            solver,
            commission: pool.commission,
            own: stake.own,
            delegated: stake.delegated,
            counted: stake.counted,
            accepts: pool.acceptsDelegations,
            delegations,
        });
    }
    Ok(pools)
}

fn pool_json(pool: &PoolSummary) -> serde_json::Value {
    use crate::client::format_amount;
    json!({
        "solver": pool.solver,
        "commission_percent": percent(pool.commission),
        "own_stake": format_amount(pool.own),
        "delegated_stake": format_amount(pool.delegated),
        "counted_stake": format_amount(pool.counted),
        "accepts_delegations": pool.accepts,
        "delegations": pool.delegations.iter().map(|(_, delegator, stake)| json!({
            "delegator": delegator,
            "stake": format_amount(*stake),
        })).collect::<Vec<_>>(),
    })
}

/// What runs on the devnet, for the banner.
struct BannerNetwork<'a> {
    models: &'a [RegisteredModel],
    solvers: &'a [(dml_solver::SolverHandle, bool)],
    pools: &'a [PoolSummary],
    /// The engine's cap on counted delegation (1e18 = 1× the solver's own stake).
    cap_ratio: U256,
    /// The example contracts, when the chain has them.
    examples: Option<dml_chain::ExampleAddresses>,
}

/// A client of the devnet signing with dev account 0, for the chain relay.
async fn relay_client(rpc_url: &str, api_url: &str, gateway_url: &str) -> anyhow::Result<crate::client::Client> {
    use clap::Parser;
    #[derive(Parser)]
    struct Relay {
        #[command(flatten)]
        client: crate::client::ClientArgs,
    }
    let flags =
        ["relay", "--rpc-url", rpc_url, "--api-url", api_url, "--gateway-url", gateway_url, "--dev-account", "0"];
    let relay = Relay::try_parse_from(flags).context("the relay's client settings")?;
    crate::client::Client::connect(&relay.client).await
}

/// The example contracts, if the chain has them (a chain kept in a data
/// directory has them only if it was created with `--examples`).
async fn examples_on_chain(
    client: &crate::client::Client,
    asked: bool,
) -> anyhow::Result<Option<dml_chain::ExampleAddresses>> {
    let examples = dml_chain::ExampleAddresses::at_genesis();
    if client.code_size(examples.nft).await? > 0 {
        return Ok(Some(examples));
    }
    if asked {
        tracing::warn!("--examples: this chain was created without them (its data directory predates the flag)");
    }
    Ok(None)
}

/// Advances every task chain whose current step is solved, every two
/// seconds, signing with dev account 0: chains move on with nobody running
/// `dml examples chain`.
fn spawn_chain_relay(client: crate::client::Client, task_chain: Address) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match crate::examples_cmd::relay_chains(&client, task_chain).await {
                Ok(0) => {}
                Ok(advanced) => tracing::info!(advanced, "task chain relay advanced steps"),
                Err(error) => tracing::warn!(error = %format!("{error:#}"), "task chain relay"),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    })
}

/// Where the devnet's other services listen, for the banner.
struct BannerUrls<'a> {
    api: &'a str,
    gateway: &'a str,
    indexer: &'a str,
    app: &'a str,
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
    network: &BannerNetwork<'_>,
    args: &DevnetArgs,
) {
    use crate::client::format_amount;
    let (api_url, gateway_url, metrics_addr) = (urls.api, urls.gateway, urls.metrics);
    let (models, solvers) = (network.models, network.solvers);
    println!("DML devnet is running (chain id {chain_id}). Ctrl-C stops it.");
    println!();
    println!("  web app    {}  (playground, explorer, stake and govern, in a browser)", urls.app);
    println!("  JSON-RPC   {}  (WebSocket {})", node.http_url(), node.ws_url());
    println!("  IPFS API   {api_url}");
    println!("  gateway    {gateway_url}/ipfs/<cid>");
    println!("  indexer    {}/api/v1/tasks  (stats, models, solvers, …: `dml index --help`)", urls.indexer);
    println!("  metrics    http://{metrics_addr}/metrics");
    println!("  engine     {}", contracts.engine);
    println!("  token      {}", contracts.token);
    println!("  governor   {}", governance.governor);
    println!("  timelock   {}  (owns the engine and holds the treasury)", governance.timelock);
    let liquidity = dml_chain::LiquidityAddresses::at_genesis();
    println!("  DML/WETH   {}  (Uniswap V2 pair; router {})", liquidity.pair, liquidity.router);
    println!("  LP staking {}  (earns the liquidity share of every mint: `dml lp`)", liquidity.staking);
    if let Some(examples) = network.examples {
        println!(
            "  NFT        {}  (A.1: every mint asks fashion-diffusion; the callback sets the token's picture)",
            examples.nft
        );
        println!("  contests   {}  (A.2: competitions over task outputs)", examples.competition);
        println!("  chains     {}  (A.4: each solution becomes the next task's input)", examples.task_chain);
    }
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
    if !network.pools.is_empty() {
        println!(
            "Delegation pools (a solver keeps its commission, then shares the rest with the stake counted in its pool, \
             at most {}× its own; undelegated stake unbonds {} s; a commission raise waits {} s):",
            format_amount(network.cap_ratio),
            unbonding_time(args),
            args.commission_cooldown
        );
        for pool in network.pools {
            let from: Vec<String> = pool
                .delegations
                .iter()
                .map(|(index, _, stake)| format!("{} DML from ({index})", format_amount(*stake)))
                .collect();
            println!(
                "  {}  commission {}%, own {} DML, delegated {} DML ({} counted){}{}",
                pool.solver,
                percent(pool.commission),
                format_amount(pool.own),
                format_amount(pool.delegated),
                format_amount(pool.counted),
                if from.is_empty() { String::new() } else { format!(": {}", from.join(", ")) },
                if pool.accepts { "" } else { "  (closed to new delegations)" },
            );
        }
        println!();
    }
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
    println!(
        "  {dml} task submit{} --dev-account 9 --model fashion-diffusion --input '{{\"prompt\":\"a pair of ankle boots\"}}' --wait --out picture.png",
        flags(&["--rpc-url", "--api-url", "--gateway-url"])
    );
    println!("  {dml} model list{}", flags(&["--rpc-url", "--gateway-url"]));
    if network.examples.is_some() {
        println!(
            "  {dml} examples mint{} --dev-account 9 'a pair of red sneakers' --wait --out token.png",
            flags(&["--rpc-url", "--gateway-url"])
        );
        println!(
            "  {dml} examples chain{} --dev-account 9 'Once upon a time' --steps 3",
            flags(&["--rpc-url", "--gateway-url"])
        );
    }
    println!("  {dml} balance{} {}", flags(&["--rpc-url"]), accounts.get(1).map(|a| a.0).unwrap_or_default());
    println!("  {dml} gov delegate{} --dev-account 8", flags(&["--rpc-url"]));
    println!("  {dml} gov list{}", flags(&["--rpc-url"]));
    if !network.pools.is_empty() {
        println!("  {dml} stake pools{}", flags(&["--rpc-url"]));
        match network.pools.iter().flat_map(|p| &p.delegations).next() {
            Some((index, _, _)) => println!("  {dml} stake status{} --dev-account {index}", flags(&["--rpc-url"])),
            None => println!("  {dml} stake delegate{} --dev-account 9 SOLVER 10", flags(&["--rpc-url"])),
        }
    }
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
