//! `dml task`: submit a task (optionally waiting for its verified output),
//! inspect it, follow its events, retract it.
//!
//! `submit` checks everything it can before sending, so a refused task costs
//! nothing and leaves the nonce unchanged: the model must exist and its
//! template be known, the input must pass the template's schema, the fee must
//! cover the model's fee and the balance the fee.

use dml_engine::layout::CallbackStatus;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use dml_content::Cid;
use dml_models::template::{ModelTemplate, OutputKind};
use dml_primitives::IEngine;
use serde_json::json;

use crate::client::{amount_arg, block_on, engine_cid, format_amount, print_json, receipt_event, Client, ClientArgs};
use crate::model_cmd::resolve_model;

/// How often `--wait` and `watch` poll the chain.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Tasks: submit, get, watch, retract.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Submit a task; prints its id (with --wait: its verified output, or the file it was saved to).
    Submit(SubmitArgs),
    /// Show a task: status, solution, contestation and votes.
    Get(GetArgs),
    /// Follow a task's events until it is claimed, resolved or retracted.
    Watch(WatchArgs),
    /// Retract your unsolved task after the retraction wait (refund minus the retraction fee).
    Retract(RetractArgs),
}

/// `dml task submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Model name (from its template) or id (0x…).
    #[arg(long)]
    pub model: String,
    /// Input JSON, or @FILE to read it from a file (sent byte for byte).
    #[arg(long)]
    pub input: String,
    /// Fee in DML (default: the model's fee).
    #[arg(long, value_parser = amount_arg)]
    pub fee: Option<U256>,
    /// Owner of the task, refunded on retraction or a won contestation (default: the signer).
    #[arg(long, value_name = "ADDRESS")]
    pub owner: Option<Address>,
    /// A contract the engine calls (`onTaskSolved(taskid, cid)`) once the solution is final.
    #[arg(long, value_name = "ADDRESS", requires = "callback_gas")]
    pub callback: Option<Address>,
    /// With --callback: the gas the callback gets (1 to 5,000,000).
    #[arg(long, value_name = "GAS", requires = "callback", value_parser = clap::value_parser!(u64).range(1..=dml_primitives::MAX_CALLBACK_GAS))]
    pub callback_gas: Option<u64>,
    /// With --callback: DML paid to whoever delivers the callback (refunded if the task never has a final solution).
    #[arg(long, value_name = "DML", requires = "callback", value_parser = amount_arg, default_value = "0")]
    pub callback_fee: U256,
    /// Wait for the solution, fetch the output from the gateway and check it against its CID.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: also wait until the solution is final (claimed, or its contestation resolved).
    #[arg(long = "final", requires = "wait")]
    pub final_only: bool,
    /// With --wait: save the output here (default for file outputs: ./<taskid>.<ext>).
    #[arg(long, requires = "wait")]
    pub out: Option<PathBuf>,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml task get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Task id.
    pub task: B256,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml task watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Task id.
    pub task: B256,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub timeout: u64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml task retract`.
#[derive(Debug, Args)]
pub struct RetractArgs {
    /// Task id.
    pub task: B256,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs a `dml task` subcommand.
pub fn run(command: TaskCommand) -> anyhow::Result<()> {
    let client_args = match &command {
        TaskCommand::Submit(args) => &args.client,
        TaskCommand::Get(args) => &args.client,
        TaskCommand::Watch(args) => &args.client,
        TaskCommand::Retract(args) => &args.client,
    };
    if client_args.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        match command {
            TaskCommand::Submit(args) => submit(args).await,
            TaskCommand::Get(args) => get(args).await,
            TaskCommand::Watch(args) => watch(args).await,
            TaskCommand::Retract(args) => retract(args).await,
        }
    })
}

fn read_input(input: &str) -> anyhow::Result<Vec<u8>> {
    match input.strip_prefix('@') {
        Some(path) => std::fs::read(path).with_context(|| format!("cannot read the input file {path}")),
        None => Ok(input.as_bytes().to_vec()),
    }
}

async fn submit(args: SubmitArgs) -> anyhow::Result<()> {
    let input = read_input(&args.input)?;
    let client = Client::connect(&args.client).await?;
    let sender = client.sender()?;
    let model = resolve_model(&client, &args.model).await?;
    let template = model.require_template()?.clone();
    template
        .hydrate(&input, 0)
        .with_context(|| format!("refusing to submit: the input does not fit model `{}`", template.name))?;
    let fee = args.fee.unwrap_or(model.fee);
    if fee < model.fee {
        bail!(
            "refusing to submit: fee {} DML is below the model's fee {} DML",
            format_amount(fee),
            format_amount(model.fee)
        );
    }
    let balance = client.dml_balance(sender).await?;
    let total = fee + args.callback_fee;
    if balance < total {
        let what = if args.callback_fee.is_zero() { "the fee" } else { "the fee and the callback fee" };
        bail!(
            "refusing to submit: {what} come to {} DML but {sender} holds {} DML",
            format_amount(total),
            format_amount(balance)
        );
    }
    let owner = args.owner.unwrap_or(sender);
    let input = Bytes::from(input);
    let receipt = match (args.callback, args.callback_gas) {
        (Some(callback), Some(gas)) => {
            if client.code_size(callback).await? == 0 {
                bail!("refusing to submit: the callback {callback} has no code (it must be a contract)");
            }
            let call = IEngine::submitTaskWithCallbackCall {
                version_: 0,
                owner_: owner,
                model_: model.id,
                fee_: fee,
                input_: input,
                callback_: callback,
                callbackGasLimit_: gas,
                callbackFee_: args.callback_fee,
            };
            client.send_engine(call, "submitTaskWithCallback").await?
        }
        _ => {
            let call =
                IEngine::submitTaskCall { version_: 0, owner_: owner, model_: model.id, fee_: fee, input_: input };
            client.send_engine(call, "submitTask").await?
        }
    };
    let event: IEngine::TaskSubmitted = receipt_event(&receipt, client.engine)
        .ok_or_else(|| anyhow!("submitTask succeeded but emitted no TaskSubmitted"))?;
    let task = event.id;
    if !args.wait {
        if client.json {
            return print_json(&json!({
                "task": task,
                "model": model.id,
                "fee": format_amount(fee),
                "owner": owner,
                "callback": args.callback,
                "callback_gas": args.callback_gas,
                "callback_fee": args.callback.map(|_| format_amount(args.callback_fee)),
                "transaction": receipt.transaction_hash,
            }));
        }
        println!("{task}");
        return Ok(());
    }
    eprintln!("task {task} submitted; waiting for a solution");
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let solved = wait_for_output(&client, task, &template, deadline, args.final_only).await?;
    deliver(&client, task, &template, &solved, args.out).await
}

/// A solution whose output was fetched and verified.
struct VerifiedSolution {
    solver: Address,
    cid: Cid,
    output: Vec<u8>,
}

async fn wait_for_output(
    client: &Client,
    task: B256,
    template: &ModelTemplate,
    deadline: Instant,
    final_only: bool,
) -> anyhow::Result<VerifiedSolution> {
    let timed_out = |what: &str| anyhow!("timed out waiting for {what} of task {task}");
    let solution = loop {
        let solution = client.engine_view(IEngine::solutionsCall { taskid: task }).await?;
        if !solution.validator.is_zero() {
            break solution;
        }
        if Instant::now() >= deadline {
            return Err(timed_out("a solution"));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    let cid = engine_cid(&solution.cid)?;
    eprintln!("solution {cid} by {}", solution.validator);
    // The solver pins before it commits; a gateway may still lag, so retry.
    let output = loop {
        match client.fetch_verified(&cid).await {
            Ok(bytes) => break bytes,
            Err(error) if Instant::now() < deadline => {
                tracing::debug!(%error, "output not fetched yet");
                tokio::time::sleep(POLL_INTERVAL * 4).await;
            }
            Err(error) => return Err(error.context(format!("cannot fetch the output of task {task}"))),
        }
    };
    // A solution under contestation is only delivered once it survives.
    loop {
        let state = task_state(client, task).await?;
        match state.status {
            TaskStatus::Refunded => bail!(
                "the solution of task {task} by {} was contested and voted down; the fee went back to the owner",
                solution.validator
            ),
            TaskStatus::Claimed => break,
            TaskStatus::Solved if !final_only => break,
            TaskStatus::Contested if Instant::now() < deadline => {}
            TaskStatus::Contested => return Err(timed_out("the contestation's outcome")),
            _ if Instant::now() >= deadline => return Err(timed_out("the solution to become final")),
            _ => {}
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    tracing::debug!(template = %template.name, bytes = output.len(), "output verified");
    Ok(VerifiedSolution { solver: solution.validator, cid, output })
}

/// The file extension for a media type (`image/png` → `png`).
fn extension_for(media_type: &str) -> &'static str {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "text/plain" => "txt",
        "application/json" => "json",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/mpeg" => "mp3",
        "video/mp4" => "mp4",
        _ => "bin",
    }
}

async fn deliver(
    client: &Client,
    task: B256,
    template: &ModelTemplate,
    solved: &VerifiedSolution,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let to_stdout = out.is_none() && matches!(template.output.kind, OutputKind::Text | OutputKind::Json);
    let path = if to_stdout {
        None
    } else {
        let path =
            out.unwrap_or_else(|| PathBuf::from(format!("{task}.{}", extension_for(&template.output.media_type))));
        std::fs::write(&path, &solved.output)
            .with_context(|| format!("cannot write the output to {}", path.display()))?;
        Some(path)
    };
    if client.json {
        let output = match (&path, template.output.kind) {
            (Some(_), _) => serde_json::Value::Null,
            (None, OutputKind::Json) => serde_json::from_slice(&solved.output).unwrap_or(serde_json::Value::Null),
            (None, _) => serde_json::Value::String(String::from_utf8_lossy(&solved.output).into_owned()),
        };
        return print_json(&json!({
            "task": task,
            "solver": solved.solver,
            "cid": solved.cid.to_string(),
            "media_type": template.output.media_type,
            "bytes": solved.output.len(),
            "output": output,
            "path": path,
        }));
    }
    match path {
        Some(path) => println!("{}", path.display()),
        None => {
            let mut stdout = crate::stdout();
            stdout.write_all(&solved.output)?;
            if std::io::stdout().is_terminal() && !solved.output.ends_with(b"\n") {
                stdout.write_all(b"\n")?;
            }
            stdout.flush()?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Task state as the views show it
// ---------------------------------------------------------------------------

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskStatus {
    /// Retracted by its owner.
    Retracted,
    /// Waiting for a solution.
    Open,
    /// Solved; claimable after the claim window if nobody contests.
    Solved,
    /// Solution contested; voting or awaiting `contestationVoteFinish`.
    Contested,
    /// Paid out: claimed, or the contestation failed.
    Claimed,
    /// The contestation won: the owner got the fee back.
    Refunded,
}

impl TaskStatus {
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Retracted => "retracted",
            TaskStatus::Open => "open",
            TaskStatus::Solved => "solved",
            TaskStatus::Contested => "contested",
            TaskStatus::Claimed => "claimed",
            TaskStatus::Refunded => "refunded",
        }
    }
}

struct TaskState {
    status: TaskStatus,
    task: IEngine::tasksReturn,
    solution: IEngine::solutionsReturn,
    contestation: IEngine::contestationsReturn,
}

async fn task_state(client: &Client, id: B256) -> anyhow::Result<TaskState> {
    let task = client.engine_view(IEngine::tasksCall { taskid: id }).await?;
    let solution = client.engine_view(IEngine::solutionsCall { taskid: id }).await?;
    let contestation = client.engine_view(IEngine::contestationsCall { taskid: id }).await?;
    let status = if task.owner.is_zero() {
        let filter = Filter::new().event_signature(IEngine::TaskRetracted::SIGNATURE_HASH).topic1(id);
        if client.engine_logs(filter).await?.is_empty() {
            bail!("no task {id} on this chain");
        }
        TaskStatus::Retracted
    } else if solution.validator.is_zero() {
        TaskStatus::Open
    } else if solution.claimed {
        TaskStatus::Claimed
    } else if contestation.validator.is_zero() {
        TaskStatus::Solved
    } else if contestation.finish_start_index > 0 {
        // Finishing has begun and the solver was not paid: the contestation won.
        TaskStatus::Refunded
    } else {
        TaskStatus::Contested
    };
    Ok(TaskState { status, task, solution, contestation })
}

async fn voters(client: &Client, id: B256, yeas: bool) -> anyhow::Result<Vec<Address>> {
    let mut found = Vec::new();
    // The engine reverts past the end of the list; a contestation has at most
    // as many voters as there are validators.
    for index in 0u64.. {
        let idx = U256::from(index);
        let voter = if yeas {
            client.engine_view(IEngine::contestationVoteYeasCall { taskid: id, idx }).await
        } else {
            client.engine_view(IEngine::contestationVoteNaysCall { taskid: id, idx }).await
        };
        match voter {
            Ok(address) => found.push(address),
            Err(_) => break,
        }
    }
    Ok(found)
}

async fn get(args: GetArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let id = args.task;
    let state = task_state(&client, id).await?;
    let claim_window = client.engine_view(IEngine::minClaimSolutionTimeCall {}).await?;
    let (yeas, nays) = if state.contestation.validator.is_zero() {
        (Vec::new(), Vec::new())
    } else {
        (voters(&client, id, true).await?, voters(&client, id, false).await?)
    };
    let task = &state.task;
    let solution = (!state.solution.validator.is_zero()).then_some(&state.solution);
    let contestation = (!state.contestation.validator.is_zero()).then_some(&state.contestation);
    let solution_cid = match solution {
        Some(solution) => Some(engine_cid(&solution.cid)?.to_string()),
        None => None,
    };
    let input_cid = if task.cid.is_empty() { None } else { Some(engine_cid(&task.cid)?.to_string()) };
    let claimable_at = solution.map(|s| U256::from(s.blocktime) + claim_window + U256::from(1));
    let callback = client.engine_view(IEngine::callbacksCall { taskid: id }).await?;
    let callback = (!callback.callback.is_zero()).then_some(callback);
    let callback_status = |status: u8| CallbackStatus::from_field(U256::from(status)).as_str();
    if client.json {
        return print_json(&json!({
            "id": id,
            "status": state.status.as_str(),
            "model": (state.status != TaskStatus::Retracted).then_some(task.model),
            "fee": format_amount(task.fee),
            "owner": (!task.owner.is_zero()).then_some(task.owner),
            "blocktime": task.blocktime,
            "version": task.version,
            "input_cid": input_cid,
            "solution": solution.map(|s| json!({
                "solver": s.validator,
                "blocktime": s.blocktime,
                "claimed": s.claimed,
                "cid": solution_cid,
                "claimable_at": claimable_at.map(|t| t.to_string()),
            })),
            "contestation": contestation.map(|c| json!({
                "contester": c.validator,
                "blocktime": c.blocktime,
                "finish_start_index": c.finish_start_index,
                "slash_amount": format_amount(c.slashAmount),
                "yeas": yeas,
                "nays": nays,
            })),
            "callback": callback.as_ref().map(|c| json!({
                "contract": c.callback,
                "gas_limit": c.gasLimit,
                "status": callback_status(c.status),
                "fee_escrowed": format_amount(c.fee),
            })),
        }));
    }
    println!("task:      {id}");
    println!("status:    {}", state.status.as_str());
    if state.status == TaskStatus::Retracted {
        return Ok(());
    }
    println!("model:     {}", task.model);
    println!("fee:       {} DML", format_amount(task.fee));
    println!("owner:     {}", task.owner);
    println!("submitted: {} (block time)", task.blocktime);
    if let Some(cid) = &input_cid {
        println!("input:     {cid}");
    }
    if let Some(solution) = solution {
        println!("solution:  {} by {}", solution_cid.as_deref().unwrap_or("?"), solution.validator);
        println!("           at {}, claimed: {}", solution.blocktime, solution.claimed);
        if let Some(at) = claimable_at {
            println!("           claimable from time {at}");
        }
    }
    if let Some(contestation) = contestation {
        println!("contested: by {} at {}", contestation.validator, contestation.blocktime);
        println!("           slash escrow {} DML per voter", format_amount(contestation.slashAmount));
        println!("           yeas ({}): {}", yeas.len(), join(&yeas));
        println!("           nays ({}): {}", nays.len(), join(&nays));
    }
    if let Some(callback) = callback {
        println!("callback:  {} ({} gas): {}", callback.callback, callback.gasLimit, callback_status(callback.status));
        if !callback.fee.is_zero() {
            println!("           fee escrowed {} DML", format_amount(callback.fee));
        }
    }
    Ok(())
}

fn join(addresses: &[Address]) -> String {
    addresses.iter().map(Address::to_string).collect::<Vec<_>>().join(", ")
}

/// One of the task's events, decoded for printing; `true` when it ends the task.
fn describe_event(log: &Log) -> Option<(serde_json::Value, bool)> {
    let topic = *log.topics().first()?;
    let data = log.data();
    let (value, terminal) = if topic == IEngine::TaskSubmitted::SIGNATURE_HASH {
        let e = IEngine::TaskSubmitted::decode_log_data(data).ok()?;
        (json!({"event": "TaskSubmitted", "model": e.model, "fee": format_amount(e.fee), "sender": e.sender}), false)
    } else if topic == IEngine::TaskRetracted::SIGNATURE_HASH {
        (json!({"event": "TaskRetracted"}), true)
    } else if topic == IEngine::SolutionSubmitted::SIGNATURE_HASH {
        let e = IEngine::SolutionSubmitted::decode_log_data(data).ok()?;
        (json!({"event": "SolutionSubmitted", "solver": e.addr}), false)
    } else if topic == IEngine::SolutionClaimed::SIGNATURE_HASH {
        let e = IEngine::SolutionClaimed::decode_log_data(data).ok()?;
        (json!({"event": "SolutionClaimed", "solver": e.addr}), true)
    } else if topic == IEngine::ContestationSubmitted::SIGNATURE_HASH {
        let e = IEngine::ContestationSubmitted::decode_log_data(data).ok()?;
        (json!({"event": "ContestationSubmitted", "contester": e.addr}), false)
    } else if topic == IEngine::ContestationVote::SIGNATURE_HASH {
        let e = IEngine::ContestationVote::decode_log_data(data).ok()?;
        (json!({"event": "ContestationVote", "voter": e.addr, "yea": e.yea}), false)
    } else if topic == IEngine::ContestationResolved::SIGNATURE_HASH {
        let e = IEngine::ContestationResolved::decode_log_data(data).ok()?;
        let outcome =
            if e.contestationWon { "contestation won: owner refunded" } else { "contestation lost: solver paid" };
        (
            json!({"event": "ContestationResolved", "contestation_won": e.contestationWon,
                   "yeas": e.yeas.to_string(), "nays": e.nays.to_string(), "outcome": outcome}),
            true,
        )
    } else if topic == IEngine::ContestationVoteFinish::SIGNATURE_HASH {
        let e = IEngine::ContestationVoteFinish::decode_log_data(data).ok()?;
        (json!({"event": "ContestationVoteFinish", "start": e.start_idx, "end": e.end_idx}), false)
    } else if topic == IEngine::CallbackRequested::SIGNATURE_HASH {
        let e = IEngine::CallbackRequested::decode_log_data(data).ok()?;
        (
            json!({"event": "CallbackRequested", "callback": e.callback, "gas_limit": e.gasLimit,
                   "fee": format_amount(e.fee)}),
            false,
        )
    } else if topic == IEngine::CallbackDelivered::SIGNATURE_HASH {
        let e = IEngine::CallbackDelivered::decode_log_data(data).ok()?;
        (json!({"event": "CallbackDelivered", "callback": e.callback, "gas_used": e.gasUsed.to_string()}), false)
    } else if topic == IEngine::CallbackFailed::SIGNATURE_HASH {
        let e = IEngine::CallbackFailed::decode_log_data(data).ok()?;
        (json!({"event": "CallbackFailed", "callback": e.callback, "reason": e.reason}), false)
    } else if topic == IEngine::CallbackCancelled::SIGNATURE_HASH {
        let e = IEngine::CallbackCancelled::decode_log_data(data).ok()?;
        (json!({"event": "CallbackCancelled", "callback": e.callback}), false)
    } else if topic == IEngine::RewardsMinted::SIGNATURE_HASH {
        let e = IEngine::RewardsMinted::decode_log_data(data).ok()?;
        (
            json!({"event": "RewardsMinted", "solver": format_amount(e.solver),
                   "treasury": format_amount(e.treasury), "liquidity": format_amount(e.liquidity)}),
            false,
        )
    } else {
        return None;
    };
    let mut value = value;
    value["block"] = json!(log.block_number);
    value["transaction"] = json!(log.transaction_hash);
    Some((value, terminal))
}

fn print_event(value: &serde_json::Value, json_lines: bool) {
    if json_lines {
        println!("{value}");
        return;
    }
    let mut fields: Vec<String> = Vec::new();
    if let Some(object) = value.as_object() {
        for (key, field) in object {
            if matches!(key.as_str(), "event" | "block" | "transaction") {
                continue;
            }
            let text = field.as_str().map(str::to_owned).unwrap_or_else(|| field.to_string());
            fields.push(format!("{key}={text}"));
        }
    }
    println!("block {:<8} {:<24} {}", value["block"], value["event"].as_str().unwrap_or("?"), fields.join(" "));
}

async fn watch(args: WatchArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let id = args.task;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    // Start from the block the task was submitted in.
    let submitted =
        client.engine_logs(Filter::new().event_signature(IEngine::TaskSubmitted::SIGNATURE_HASH).topic1(id)).await?;
    let Some(first) = submitted.first().and_then(|log| log.block_number) else {
        bail!("no task {id} on this chain (no TaskSubmitted event)");
    };
    let mut next = first;
    loop {
        let head = client.provider().get_block_number().await.map_err(|e| anyhow!("eth_blockNumber failed: {e}"))?;
        if head >= next {
            let mut logs = client.engine_logs_between(Filter::new().topic1(id), next, head).await?;
            logs.extend(client.engine_logs_between(Filter::new().topic2(id), next, head).await?);
            logs.sort_by_key(|log| (log.block_number, log.log_index));
            let mut finished = false;
            for log in &logs {
                if let Some((value, terminal)) = describe_event(log) {
                    print_event(&value, client.json);
                    finished |= terminal;
                }
            }
            crate::stdout().flush()?;
            if finished {
                return Ok(());
            }
            next = head + 1;
        }
        if Instant::now() >= deadline {
            bail!("timed out watching task {id}");
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn retract(args: RetractArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let owner = client.sender()?;
    let before = client.dml_balance(owner).await?;
    let receipt = client.send_engine(IEngine::retractTaskCall { taskid_: args.task }, "retractTask").await?;
    let after = client.dml_balance(owner).await?;
    let refund = after.saturating_sub(before);
    if client.json {
        return print_json(&json!({
            "task": args.task,
            "transaction": receipt.transaction_hash,
            "refund": format_amount(refund),
        }));
    }
    println!(
        "retracted task {} (refund {} DML) in transaction {}",
        args.task,
        format_amount(refund),
        receipt.transaction_hash
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_files_get_an_extension_from_the_media_type() {
        assert_eq!(extension_for("image/png"), "png");
        assert_eq!(extension_for("text/plain; charset=utf-8"), "txt");
        assert_eq!(extension_for("Application/JSON"), "json");
        assert_eq!(extension_for("application/x-unknown"), "bin");
    }

    #[test]
    fn inputs_are_inline_json_or_a_file() {
        assert_eq!(read_input("{\"a\":1}").unwrap(), b"{\"a\":1}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, b"{\"b\":2}\n").unwrap();
        assert_eq!(read_input(&format!("@{}", path.display())).unwrap(), b"{\"b\":2}\n");
        assert!(read_input("@/no/such/file").unwrap_err().to_string().contains("/no/such/file"));
    }
}
