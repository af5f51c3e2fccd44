//! `dml examples`: the contracts that request inference and act on the
//! answer (whitepaper appendix A), by hand.
//!
//! - `deploy`: the three example contracts from the signer (a devnet started
//!   with `--examples` has them from genesis; `dml_getContracts` names them).
//! - `mint PROMPT`: an NFT of `DmlImageNFT` (A.1) whose content the network
//!   generates; `--wait` follows it to the callback and prints the metadata
//!   and the output, fetched by the solution's CID and checked against it.
//! - `chain PROMPT --steps N`: a `DmlTaskChain` (A.4) whose every solution
//!   becomes the next task's input, driven to its end: the callback records
//!   each solution on chain, and this command sends the follow-up call
//!   (`advance`) with the output it fetched, which the contract checks
//!   against the CID before it submits the next task.
//!
//! Fees (the contracts' task and callback fees) are taken from the signer
//! with `transferFrom`; the command approves the contract first when needed.
//! `--json` prints one object per command: `deploy` {`nft`, `competition`,
//! `task_chain`}; `mint` {`nft`, `token_id`, `task`, `transaction`} and,
//! with `--wait`, `cid`, `metadata`, `output`; `chain` {`task_chain`,
//! `chain_id`, `finish_reason`, `steps`: [{`step`, `task`, `cid`, `output`}]}.

use dml_engine::layout::CallbackStatus;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionReceipt;
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use dml_governance::{ChainFinishReason, IDmlImageNFT, IDmlTaskChain, ImageNftConfig};
use dml_primitives::{IDmlToken, IEngine, MAX_CALLBACK_GAS};
use serde_json::json;

use crate::client::{amount_arg, block_on, engine_cid, format_amount, print_json, Client, ClientArgs};
use crate::model_cmd::resolve_model;

/// How often the waiting commands look at the chain.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// `callbacks(task).status` of a callback that will never be delivered.
const CALLBACK_CANCELLED: u8 = CallbackStatus::Cancelled as u8;

/// The example contracts that request inference (whitepaper appendix A).
#[derive(Debug, Subcommand)]
pub enum ExamplesCommand {
    /// Deploy the NFT collection, the competitions and the task chains from the signer.
    Deploy(DeployArgs),
    /// Mint an NFT whose content the network generates from PROMPT.
    Mint(MintArgs),
    /// Start a chain of tasks from PROMPT, each solution the next input, and drive it to its end.
    Chain(ChainArgs),
}

/// `dml examples deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The model the NFT collection mints with (name or id).
    #[arg(long, default_value = "fashion-diffusion")]
    pub nft_model: String,
    /// Task fee of each mint and chain step, in DML (at least the model's fee).
    #[arg(long, value_parser = amount_arg, default_value = "0")]
    pub task_fee: U256,
    /// Callback fee of each mint and chain step, in DML, paid to whoever delivers.
    #[arg(long, value_parser = amount_arg, default_value = "0.01")]
    pub callback_fee: U256,
    /// Gas each callback gets.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=MAX_CALLBACK_GAS))]
    pub callback_gas: u64,
    /// Gateway prefix of the NFTs' `external_url` [default: the client's gateway URL + /ipfs/]
    #[arg(long, value_name = "URL")]
    pub gateway_base: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml examples mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// What to generate (at most 1,000 bytes of UTF-8).
    pub prompt: String,
    /// The `DmlImageNFT` contract [default: `examples.nft` of dml_getContracts]
    #[arg(long, value_name = "ADDRESS")]
    pub nft: Option<Address>,
    /// Wait for the network's answer (the callback) and print the token's metadata and output.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
    /// With --wait: write the token's content (the picture) to this file.
    #[arg(long, value_name = "FILE", requires = "wait")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml examples chain`.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// The first step's prompt.
    pub prompt: String,
    /// Most steps (tasks) in the chain.
    #[arg(long, default_value_t = 3)]
    pub steps: u16,
    /// Stop once an output contains this text.
    #[arg(long, default_value = "")]
    pub marker: String,
    /// Characters each step generates (the model's `max_length`).
    #[arg(long, default_value_t = 40)]
    pub max_length: u32,
    /// The model of every step (name or id).
    #[arg(long, default_value = "textgenrnn")]
    pub model: String,
    /// The `DmlTaskChain` contract [default: `examples.taskChain` of dml_getContracts]
    #[arg(long, value_name = "ADDRESS")]
    pub task_chain: Option<Address>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 900, value_name = "SECS")]
    pub timeout: u64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs a `dml examples` subcommand.
pub fn run(command: ExamplesCommand) -> anyhow::Result<()> {
    let client_args = match &command {
        ExamplesCommand::Deploy(args) => &args.client,
        ExamplesCommand::Mint(args) => &args.client,
        ExamplesCommand::Chain(args) => &args.client,
    };
    if client_args.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        match command {
            ExamplesCommand::Deploy(args) => deploy(args).await,
            ExamplesCommand::Mint(args) => mint(args).await,
            ExamplesCommand::Chain(args) => chain(args).await,
        }
    })
}

/// The example contracts `dml_getContracts` names (null on a chain without them).
#[derive(Debug, Default, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainExamples {
    /// `DmlImageNFT`.
    pub nft: Address,
    /// `DmlCompetition`.
    pub competition: Address,
    /// `DmlTaskChain`.
    pub task_chain: Address,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ContractsWithExamples {
    #[serde(default)]
    examples: Option<ChainExamples>,
}

/// The chain's example contracts, if it names them.
async fn chain_examples(client: &Client) -> Option<ChainExamples> {
    match client.provider().raw_request::<_, ContractsWithExamples>("dml_getContracts".into(), ()).await {
        Ok(contracts) => contracts.examples,
        Err(error) => {
            tracing::debug!(%error, "dml_getContracts unavailable");
            None
        }
    }
}

/// `given`, else the chain's example contract picked by `pick`.
async fn example_address(
    client: &Client,
    given: Option<Address>,
    pick: fn(&ChainExamples) -> Address,
    flag: &str,
) -> anyhow::Result<Address> {
    if let Some(address) = given {
        return Ok(address);
    }
    chain_examples(client).await.map(|examples| pick(&examples)).ok_or_else(|| {
        anyhow!(
            "this chain names no example contracts (start the devnet with --examples, or run `dml examples deploy`): \
             pass {flag} ADDRESS"
        )
    })
}

/// Approves `spender` for `amount` DML of the signer's when its allowance is short.
async fn approve_if_needed(client: &Client, spender: Address, amount: U256) -> anyhow::Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let owner = client.sender()?;
    let balance = client.dml_balance(owner).await?;
    if balance < amount {
        bail!("this needs {} DML but {owner} holds {} DML", format_amount(amount), format_amount(balance));
    }
    let allowance = client.view(client.token, IDmlToken::allowanceCall { owner, spender }).await?;
    if allowance < amount {
        client.send(client.token, IDmlToken::approveCall { spender, amount }, "approve").await?;
    }
    Ok(())
}

/// The first log of `E` that `emitter` wrote in `receipt`.
fn event_of<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Option<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter)
        .find_map(|log| E::decode_log(&log.inner).ok().map(|decoded| decoded.data))
}

async fn deploy(args: DeployArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let model = resolve_model(&client, &args.nft_model).await?;
    if args.task_fee < model.fee {
        bail!(
            "--task-fee {} DML is below the model's fee {} DML",
            format_amount(args.task_fee),
            format_amount(model.fee)
        );
    }
    let gateway_base =
        args.gateway_base.unwrap_or_else(|| format!("{}/ipfs/", client.settings.gateway_url.trim_end_matches('/')));
    let nft = ImageNftConfig {
        engine: client.engine,
        model: model.id,
        task_fee: args.task_fee,
        callback_fee: args.callback_fee,
        callback_gas_limit: args.callback_gas,
        gateway_base,
        name: "DML Generations".into(),
        symbol: "DMLGEN".into(),
    };
    let codes = [
        ("DmlImageNFT", dml_governance::image_nft_deploy_code(&nft)),
        ("DmlCompetition", dml_governance::competition_deploy_code(client.engine)),
        (
            "DmlTaskChain",
            dml_governance::task_chain_deploy_code(client.engine, args.task_fee, args.callback_fee, args.callback_gas),
        ),
    ];
    let mut deployed = Vec::with_capacity(codes.len());
    for (name, code) in codes {
        let receipt = client.deploy(code, &format!("deploying {name}")).await?;
        let address = receipt.contract_address.ok_or_else(|| anyhow!("deploying {name} created no contract"))?;
        deployed.push(address);
    }
    let examples = ChainExamples { nft: deployed[0], competition: deployed[1], task_chain: deployed[2] };
    if client.json {
        return print_json(&json!({
            "nft": examples.nft,
            "competition": examples.competition,
            "task_chain": examples.task_chain,
        }));
    }
    println!("DmlImageNFT     {}  (mints with {} `{}`)", examples.nft, model.id, args.nft_model);
    println!("DmlCompetition  {}", examples.competition);
    println!("DmlTaskChain    {}", examples.task_chain);
    Ok(())
}

async fn mint(args: MintArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let nft = example_address(&client, args.nft, |e| e.nft, "--nft").await?;
    let fee = client.view(nft, IDmlImageNFT::taskFeeCall {}).await?
        + client.view(nft, IDmlImageNFT::callbackFeeCall {}).await?;
    approve_if_needed(&client, nft, fee).await?;
    let receipt = client.send(nft, IDmlImageNFT::mintCall { text: args.prompt.clone() }, "mint").await?;
    let minted: IDmlImageNFT::MintRequested =
        event_of(&receipt, nft).ok_or_else(|| anyhow!("mint succeeded but emitted no MintRequested"))?;
    let (token_id, task) = (minted.tokenId, minted.taskid);
    if !args.wait {
        if client.json {
            return print_json(&json!({
                "nft": nft,
                "token_id": token_id.to_string(),
                "task": task,
                "transaction": receipt.transaction_hash,
            }));
        }
        println!("token {token_id}: task {task}");
        return Ok(());
    }
    eprintln!("token {token_id} minted; task {task} waits for the network's answer");
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    loop {
        if client.view(nft, IDmlImageNFT::isFulfilledCall { tokenId: token_id }).await? {
            break;
        }
        let callback = client.engine_view(IEngine::callbacksCall { taskid: task }).await?;
        if callback.status == CALLBACK_CANCELLED {
            bail!(
                "the solution of task {task} lost its contestation, so nothing was delivered; \
                 `resubmit({token_id})` on {nft} asks again"
            );
        }
        if Instant::now() >= deadline {
            bail!("timed out waiting for the callback of task {task} (token {token_id})");
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let cid = engine_cid(&client.view(nft, IDmlImageNFT::solutionCidCall { tokenId: token_id }).await?)?;
    let output =
        client.fetch_verified(&cid).await.with_context(|| format!("fetching the content of token {token_id}"))?;
    let metadata_text = client.view(nft, IDmlImageNFT::tokenMetadataCall { tokenId: token_id }).await?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata_text)
        .with_context(|| format!("token {token_id}'s metadata is not JSON: {metadata_text}"))?;
    let text = std::str::from_utf8(&output).ok();
    if let Some(path) = &args.out {
        std::fs::write(path, &output).with_context(|| format!("writing {}", path.display()))?;
    }
    if client.json {
        return print_json(&json!({
            "nft": nft,
            "token_id": token_id.to_string(),
            "task": task,
            "transaction": receipt.transaction_hash,
            "cid": cid.to_string(),
            "metadata": metadata,
            "output": text,
            "bytes": output.len(),
            "out": args.out.as_ref().map(|p| p.display().to_string()),
        }));
    }
    println!("token {token_id}: task {task}");
    println!("content {cid} ({} bytes)", output.len());
    println!("{}", serde_json::to_string_pretty(&metadata)?);
    match (&args.out, text) {
        (Some(path), _) => println!("content written to {}", path.display()),
        (None, Some(text)) => println!("{text}"),
        (None, None) => println!("(binary content: pass --out FILE to save it)"),
    }
    Ok(())
}

/// One finished step of a chain, as `chain` prints it.
struct Step {
    task: B256,
    cid: String,
    output: Vec<u8>,
}

async fn chain(args: ChainArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let contract = example_address(&client, args.task_chain, |e| e.task_chain, "--task-chain").await?;
    let model = resolve_model(&client, &args.model).await?;
    let cost = client.view(contract, IDmlTaskChain::stepCostCall {}).await?;
    approve_if_needed(&client, contract, cost * U256::from(args.steps)).await?;
    let start = IDmlTaskChain::startCall {
        model: model.id,
        text: args.prompt.clone(),
        maxSteps: args.steps,
        marker: Bytes::from(args.marker.clone().into_bytes()),
        maxLength: args.max_length,
    };
    let receipt = client.send(contract, start, "start").await?;
    let started: IDmlTaskChain::ChainStarted =
        event_of(&receipt, contract).ok_or_else(|| anyhow!("start succeeded but emitted no ChainStarted"))?;
    let chain_id = started.chainId;
    eprintln!("chain {chain_id} started on {contract}");
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let mut steps: Vec<Step> = Vec::new();
    loop {
        let state = client.view(contract, IDmlTaskChain::chainCall { chainId: chain_id }).await?;
        if state.finished {
            break;
        }
        if Instant::now() >= deadline {
            bail!("timed out: chain {chain_id} is at step {} of {}", state.steps, state.maxSteps);
        }
        match advance_step(&client, contract, chain_id, state.currentTask).await? {
            Some(step) => {
                eprintln!("step {}: task {} → {}", steps.len() + 1, step.task, step.cid);
                steps.push(step);
            }
            None => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
    // Another driver (the devnet's relay) may have advanced some steps: the
    // chain's own list is the record.
    let tasks = client.view(contract, IDmlTaskChain::chainTasksCall { chainId: chain_id }).await?;
    let mut record = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Some(step) = steps.iter().find(|s| s.task == task) {
            record.push(Step { task, cid: step.cid.clone(), output: step.output.clone() });
            continue;
        }
        let cid_bytes = client.view(contract, IDmlTaskChain::solutionOfCall { taskid: task }).await?;
        if cid_bytes.is_empty() {
            record.push(Step { task, cid: String::new(), output: Vec::new() });
            continue;
        }
        let cid = engine_cid(&cid_bytes)?;
        let output = client.fetch_verified(&cid).await?;
        record.push(Step { task, cid: cid.to_string(), output });
    }
    let reason = client.view(contract, IDmlTaskChain::finishReasonCall { chainId: chain_id }).await?;
    let reason = match ChainFinishReason::from_code(reason) {
        Some(ChainFinishReason::MaxSteps) => "max_steps",
        Some(ChainFinishReason::Marker) => "marker",
        Some(ChainFinishReason::Stopped) => "stopped",
        Some(ChainFinishReason::UnusableOutput) => "unusable_output",
        None => "unknown",
    };
    if client.json {
        return print_json(&json!({
            "task_chain": contract,
            "chain_id": chain_id.to_string(),
            "finish_reason": reason,
            "steps": record.iter().enumerate().map(|(i, s)| json!({
                "step": i + 1,
                "task": s.task,
                "cid": s.cid,
                "output": String::from_utf8_lossy(&s.output),
            })).collect::<Vec<_>>(),
        }));
    }
    println!("chain {chain_id}: {} steps, finished ({reason})", record.len());
    for (i, step) in record.iter().enumerate() {
        println!("step {} task {} ({})", i + 1, step.task, step.cid);
        println!("  {}", String::from_utf8_lossy(&step.output));
    }
    Ok(())
}

/// Moves chain `chain_id` on if its current step `task` has a solution:
/// fetches the output by its CID and sends `advance`. A step whose solution
/// lost its contestation is submitted again (`resubmit`). `None` while the
/// step waits, or when another driver advanced it first.
async fn advance_step(client: &Client, contract: Address, chain_id: U256, task: B256) -> anyhow::Result<Option<Step>> {
    let cid_bytes = client.view(contract, IDmlTaskChain::solutionOfCall { taskid: task }).await?;
    if cid_bytes.is_empty() {
        let callback = client.engine_view(IEngine::callbacksCall { taskid: task }).await?;
        if callback.status == CALLBACK_CANCELLED {
            tracing::warn!(%task, "the step's solution lost its contestation; submitting it again");
            let resubmit = IDmlTaskChain::resubmitCall { chainId: chain_id };
            if let Err(error) = client.send(contract, resubmit, "resubmit").await {
                tracing::debug!(%error, "resubmit refused (another driver may have resubmitted)");
            }
        }
        return Ok(None);
    }
    let cid = engine_cid(&cid_bytes)?;
    let output = client.fetch_verified(&cid).await.with_context(|| format!("fetching the output of task {task}"))?;
    let advance = IDmlTaskChain::advanceCall { chainId: chain_id, output: Bytes::from(output.clone()) };
    match client.send(contract, advance, "advance").await {
        Ok(_) => Ok(Some(Step { task, cid: cid.to_string(), output })),
        Err(error) => {
            // Refused because the step moved on meanwhile: the caller looks again.
            let state = client.view(contract, IDmlTaskChain::chainCall { chainId: chain_id }).await?;
            if state.finished || state.currentTask != task {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// Advances every unfinished chain of `contract` whose step is solved: the
/// devnet's relay, so chains move on without anyone running `dml examples
/// chain`. Returns how many steps it advanced.
pub async fn relay_chains(client: &Client, contract: Address) -> anyhow::Result<usize> {
    let count = client.view(contract, IDmlTaskChain::chainCountCall {}).await?;
    let mut advanced = 0;
    let mut id = U256::from(1u8);
    while id <= count {
        let state = client.view(contract, IDmlTaskChain::chainCall { chainId: id }).await?;
        if !state.finished && advance_step(client, contract, id, state.currentTask).await?.is_some() {
            advanced += 1;
        }
        id += U256::from(1u8);
    }
    Ok(advanced)
}
