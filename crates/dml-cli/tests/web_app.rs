//! The web app in a real browser: Debian's headless Chromium, driven by
//! playwright-core (`tests/browser/flows.mjs`), against the app that
//! `dml devnet --app-port` serves, through the test hooks of
//! `crates/dml-web/app/CONTRACT.md`. One devnet is shared by every scenario:
//!
//! - `selftest`: the harness alone (the injected EIP-6963 test wallet on a
//!   page of its own against the dev chain), so a broken harness is told
//!   apart from a broken app;
//! - `dev`: load-to-interactive, a dev account, a textgenrnn task and a
//!   fashion-diffusion task from the generated form to `claimed`;
//! - `wallet`: the injected wallet (switch → 4902 → add chain), an input
//!   outside the schema, a rejected signature, then a task to `claimed`;
//! - `stake-govern`: a validator deposit, a withdrawal request with its
//!   countdown, completed once unlocked; a proposal listed; votes delegated
//!   to oneself;
//! - `contested`: an extra malicious `dml solver` answers first; the
//!   timeline goes contested → voting → outcome, and the honest solvers win;
//! - `explorer`: search (task, model, address, solver, CID), and every
//!   explorer page with its `data-field` values.
//!
//! What the page showed is checked against the chain read directly over
//! JSON-RPC and against the gateway's bytes. Each scenario saves screenshots
//! in `<target dir>/web-screenshots/<scenario>/`; the load-to-interactive
//! figures are printed, never asserted.
//!
//! Needs `bash scripts/setup/web.sh` (fails without it; `DML_SKIP_BROWSER_TESTS=1`
//! skips) and the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use devnet_support::*;
use dml_primitives::{task_seed, IDmlToken, IEngine, ONE_DML};
use dml_solver::chain::ChainClient;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Whether to run: false only under `DML_SKIP_BROWSER_TESTS=1`. A missing
/// browser, node or npm packages fail the test: they are set-up, not optional.
fn browser_ready() -> bool {
    if std::env::var("DML_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipping the browser tests: DML_SKIP_BROWSER_TESTS=1");
        return false;
    }
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).is_file() {
        missing.push(CHROMIUM.to_string());
    }
    let playwright = browser_dir().join("node_modules/playwright-core/package.json");
    if !playwright.is_file() {
        missing.push(playwright.display().to_string());
    }
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node".into());
    }
    assert!(
        missing.is_empty(),
        "the browser tests need {}: run scripts/setup/web.sh first (or DML_SKIP_BROWSER_TESTS=1 to skip them)",
        missing.join(", ")
    );
    true
}

/// `<target dir>/web-screenshots`: the target dir is the folder holding the
/// profile folder (`debug`) this test binary runs from (`…/debug/deps/web_app-…`).
fn screenshot_root() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|n| n == "deps"))
        .and_then(|deps| deps.parent())
        .and_then(|profile| profile.parent())
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("web-screenshots")
}

/// What one run of `flows.mjs` printed: one JSON object per step.
struct Flow {
    scenario: String,
    lines: Vec<Value>,
    secs: f64,
}

impl Flow {
    fn step(&self, name: &str) -> Result<&Value, String> {
        self.lines
            .iter()
            .find(|l| l["step"] == name)
            .ok_or_else(|| format!("{}: flows.mjs printed no step {name:?}", self.scenario))
    }
}

/// Runs `node flows.mjs '<json>'` for `scenario`; its lines are echoed to
/// stderr as they come, prefixed with the scenario.
async fn run_flow(
    net: &Devnet,
    app_url: &str,
    scenario: &str,
    options: Value,
    limit: Duration,
) -> Result<Flow, String> {
    use tokio::io::AsyncBufReadExt;
    let shots = screenshot_root().join(scenario);
    let _ = std::fs::remove_dir_all(&shots);
    let mut args = json!({
        "scenario": scenario,
        "appUrl": app_url,
        "devnet": net.info,
        "screenshotDir": shots,
    });
    for (k, v) in options.as_object().unwrap() {
        args[k] = v.clone();
    }
    let started = Instant::now();
    let mut child = tokio::process::Command::new("node")
        .arg(browser_dir().join("flows.mjs"))
        .arg(args.to_string())
        .current_dir(browser_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{scenario}: node does not start: {e}"))?;
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reading = async {
        let mut lines = Vec::new();
        let mut reader = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            eprintln!("[{scenario} {:>5.1} s] {}", started.elapsed().as_secs_f64(), shorten(&line, 1500));
            match serde_json::from_str::<Value>(&line) {
                Ok(v) => lines.push(v),
                Err(_) => lines.push(json!({ "step": "unparsed", "line": line })),
            }
        }
        let mut err = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut err).await;
        let status = child.wait().await;
        (lines, err, status)
    };
    let (lines, err, status) = tokio::time::timeout(limit, reading)
        .await
        .map_err(|_| format!("{scenario}: flows.mjs did not finish within {limit:?}"))?;
    let secs = started.elapsed().as_secs_f64();
    let status = status.map_err(|e| format!("{scenario}: {e}"))?;
    if !status.success() {
        let failed = lines.iter().rev().find(|l| l.get("error").is_some()).map(|l| l.to_string());
        return Err(format!(
            "{scenario}: flows.mjs exited with {status} after {secs:.1} s\n{}\nstderr: {err}\nscreenshots: {}",
            failed.unwrap_or_default(),
            shots.display()
        ));
    }
    let flow = Flow { scenario: scenario.into(), lines, secs };
    print_load(&flow);
    Ok(flow)
}

fn shorten(s: &str, most: usize) -> String {
    if s.len() <= most {
        return s.to_string();
    }
    let mut end = most;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v[key].as_str().ok_or_else(|| format!("no string {key:?} in {v}"))
}

fn b256(v: &Value, key: &str) -> Result<B256, String> {
    str_of(v, key)?.parse().map_err(|e| format!("{key} of {v}: {e}"))
}

fn rpc<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("JSON-RPC: {e}"))
}

/// A `[data-field]` value the page showed.
fn field<'a>(step: &'a Value, name: &str) -> Result<&'a str, String> {
    step["fields"][name]["value"].as_str().ok_or_else(|| format!("no data-field {name:?} in {}", step["fields"]))
}

fn same_address(shown: &str, chain: Address) -> bool {
    shown.parse::<Address>().is_ok_and(|a| a == chain)
}

/// The connected account the page shows: `data-address` is the full checksummed address.
fn connected(flow: &Flow, account: Address) -> Result<(), String> {
    let shown = str_of(flow.step("connect")?, "address")?;
    let want = account.to_checksum(None);
    ensure!(shown == want, "[data-testid=account] data-address is {shown:?}, expected the checksummed {want}");
    Ok(())
}

fn wei_shown(shown: &str, chain: U256, what: &str) -> Result<(), String> {
    ensure!(shown == chain.to_string(), "{what}: the page shows {shown:?}, the chain {chain}");
    Ok(())
}

fn dml_milli(milli: u64) -> U256 {
    U256::from(milli) * ONE_DML / U256::from(1000)
}

/// The CID the engine stores for `task`'s solution, as base58 CIDv0.
async fn solution_cid(reader: &ChainClient, task: B256) -> Result<(IEngine::solutionsReturn, String), String> {
    let solution = rpc(reader.view(IEngine::solutionsCall { taskid: task }).await)?;
    let cid = dml_content::Cid::from_bytes(&solution.cid).map_err(|e| format!("the solution CID of {task}: {e}"))?;
    Ok((solution, cid.to_string()))
}

/// The bytes the gateway serves for `cid`, checked to hash to it.
async fn gateway_bytes(net: &Devnet, cid: &str) -> Result<Vec<u8>, String> {
    let url = format!("{}/ipfs/{cid}", net.str("gateway_url"));
    let response = reqwest::get(&url).await.map_err(|e| format!("{url}: {e}"))?;
    ensure!(response.status().is_success(), "{url}: {}", response.status());
    let bytes = response.bytes().await.map_err(|e| format!("{url}: {e}"))?.to_vec();
    let actual = dml_content::cid_v0(&bytes).to_string();
    ensure!(actual == cid, "the gateway's bytes for {cid} hash to {actual}");
    Ok(bytes)
}

/// Checks a claimed task the playground showed (`submitted`, `output`) against the chain and the gateway.
async fn check_task_output(
    net: &Devnet,
    reader: &ChainClient,
    owner: Address,
    model: &str,
    submitted: &Value,
    output: &Value,
    fee: U256,
) -> Result<(B256, Address, Vec<u8>), String> {
    let task = b256(submitted, "taskId")?;
    let record = rpc(reader.view(IEngine::tasksCall { taskid: task }).await)?;
    ensure!(record.owner == owner, "task {task}: owner {} on chain, the page's account is {owner}", record.owner);
    ensure!(record.model == net.model_id(model), "task {task}: model {} on chain, not {model}", record.model);
    ensure!(record.fee == fee, "task {task}: fee {} wei on chain, the form said {fee}", record.fee);
    // The input the form sent: the JSON at the task's CID holds what was filled in.
    let input_cid = dml_content::Cid::from_bytes(&record.cid).map_err(|e| e.to_string())?.to_string();
    let input: Value = serde_json::from_slice(&gateway_bytes(net, &input_cid).await?)
        .map_err(|e| format!("task {task}: the input is not JSON: {e}"))?;
    for control in submitted["controls"].as_array().into_iter().flatten() {
        let name = control["name"].as_str().unwrap_or_default();
        let shown = &control["value"];
        let sent = &input[name];
        let agrees = match (shown, sent) {
            (Value::String(s), Value::Number(n)) => s.parse::<f64>().ok() == n.as_f64(),
            (Value::String(s), Value::String(t)) => s == t,
            (Value::Bool(b), Value::Bool(c)) => b == c,
            (_, Value::Null) => true, // an empty optional control may be left out
            _ => false,
        };
        ensure!(agrees, "task {task}: the form's {name} was {shown}, the input sent {sent} (input {input})");
    }
    let (solution, cid) = solution_cid(reader, task).await?;
    ensure!(solution.claimed, "task {task}: the page says claimed, the chain does not");
    ensure!(
        net.solvers().iter().any(|(a, _)| *a == solution.validator),
        "task {task}: solved by {}, not a devnet solver",
        solution.validator
    );
    ensure!(
        str_of(output, "cid")? == cid,
        "task {task}: the page shows output CID {}, the engine stores {cid}",
        output["cid"]
    );
    ensure!(
        str_of(output, "seed")? == task_seed(task).to_string(),
        "task {task}: seed {} shown, task_seed is {}",
        output["seed"],
        task_seed(task)
    );
    let bytes = gateway_bytes(net, &cid).await?;
    Ok((task, solution.validator, bytes))
}

/// Runs the page's "run it yourself" command in a shell whose `dml` is this
/// build's binary; it must print the output's CID.
fn run_yourself(command: &str, cid: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(DML, bin.join("dml")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = std::process::Command::new("sh")
        .args(["-c", command])
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("DML_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "the run-yourself command failed ({}): {command}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(stdout.contains(cid), "the run-yourself command printed {stdout:?}, not the output CID {cid}: {command}");
    Ok(())
}

/// The TaskSubmitted logs sent by `sender` in blocks `from..`.
async fn tasks_sent_by(reader: &ChainClient, sender: Address, from: u64) -> Result<Vec<B256>, String> {
    let head = rpc(reader.block_number().await)?;
    let logs = rpc(reader.logs_with(from, head, Some(vec![IEngine::TaskSubmitted::SIGNATURE_HASH])).await)?;
    Ok(logs
        .iter()
        .filter_map(|l| IEngine::TaskSubmitted::decode_log_data(l.data()).ok())
        .filter(|e| e.sender == sender)
        .map(|e| e.id)
        .collect())
}

/// What the scenarios hand on to the explorer.
#[derive(Default)]
struct Found {
    text_task: Option<(B256, Address, String)>,
    contested: Option<B256>,
}

fn print_load(flow: &Flow) {
    if let Ok(load) = flow.step("load") {
        eprintln!(
            "load-to-interactive ({}): body[data-ready] at {} ms, domInteractive {} ms, DOMContentLoaded {} ms, wall {} ms, {} bytes",
            flow.scenario,
            load["loadToInteractiveMs"],
            load["domInteractiveMs"],
            load["domContentLoadedMs"],
            load["wallMs"],
            load["transferBytes"]
        );
    }
}

async fn dev_scenario(net: &Devnet, app: &str, reader: &ChainClient, found: &mut Found) -> Result<Flow, String> {
    const ACCOUNT: usize = 9;
    let from = rpc(reader.block_number().await)?;
    let flow =
        run_flow(net, app, "dev", json!({ "account": ACCOUNT, "fee": "0.01" }), Duration::from_secs(240)).await?;
    let owner = net.address(ACCOUNT);
    connected(&flow, owner)?;
    let fee = dml_milli(10);
    let (task, solver, bytes) =
        check_task_output(net, reader, owner, "textgenrnn", flow.step("submit-text")?, flow.step("output-text")?, fee)
            .await?;
    let output = flow.step("output-text")?;
    let text = String::from_utf8(bytes.clone()).map_err(|e| format!("textgenrnn output is not UTF-8: {e}"))?;
    let shown = str_of(output, "text")?;
    ensure!(
        shown == text,
        "the <pre> shows {shown:?}, the gateway serves {text:?}{}",
        if shown.trim() == text.trim() { " (equal but for surrounding white space)" } else { "" }
    );
    run_yourself(str_of(output, "runYourself")?, str_of(output, "cid")?)?;
    found.text_task = Some((task, solver, str_of(output, "cid")?.to_string()));

    let (image_task, _, png) = check_task_output(
        net,
        reader,
        owner,
        "fashion-diffusion",
        flow.step("submit-image")?,
        flow.step("output-image")?,
        fee,
    )
    .await?;
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "task {image_task}: the gateway's bytes are not a PNG");
    let img = &flow.step("output-image")?["img"];
    ensure!(
        img["naturalWidth"] == 84 && img["naturalHeight"] == 84,
        "the <img> is {img}, expected 84x84 (28 px × scale 3)"
    );
    // The text task was double-clicked: still one task; and the image task.
    let sent = tasks_sent_by(reader, owner, from).await?;
    ensure!(
        sent == [task, image_task],
        "dev account {ACCOUNT} submitted {sent:?}, expected exactly [{task}, {image_task}]"
    );
    Ok(flow)
}

async fn wallet_scenario(net: &Devnet, app: &str, reader: &ChainClient) -> Result<Flow, String> {
    const ACCOUNT: usize = 6;
    let from = rpc(reader.block_number().await)?;
    let flow =
        run_flow(net, app, "wallet", json!({ "account": ACCOUNT, "fee": "0.01" }), Duration::from_secs(180)).await?;
    let owner = net.address(ACCOUNT);
    connected(&flow, owner)?;
    let connect = flow.step("connect")?;
    let add = &connect["addChain"];
    ensure!(
        add["chainId"].as_str().is_some_and(|c| c.eq_ignore_ascii_case("0x7a69")),
        "wallet_addEthereumChain chainId {}",
        add["chainId"]
    );
    ensure!(
        add["rpcUrls"][0] == net.rpc_url(),
        "wallet_addEthereumChain rpcUrls {}, the devnet's is {}",
        add["rpcUrls"],
        net.rpc_url()
    );
    let (task, _, _) =
        check_task_output(net, reader, owner, "textgenrnn", flow.step("submit")?, flow.step("output")?, dml_milli(10))
            .await?;
    let sent = tasks_sent_by(reader, owner, from).await?;
    ensure!(sent == [task], "the wallet's account submitted {sent:?}, expected exactly [{task}] (rejected and out-of-schema attempts send nothing)");
    // Every transaction the wallet forwarded succeeded; one of them is the submitTask.
    let engine: Address = net.str("engine").parse().unwrap();
    let selector = format!("0x{}", alloy_primitives::hex::encode(IEngine::submitTaskCall::SELECTOR));
    let all = flow.step("output")?["allTransactions"].as_array().cloned().unwrap_or_default();
    let submits = all
        .iter()
        .filter(|t| t["to"].as_str().is_some_and(|to| same_address(to, engine)) && t["selector"] == selector.as_str())
        .count();
    ensure!(submits == 1, "the wallet forwarded {submits} submitTask transactions to the engine, expected 1: {all:?}");
    for tx in &all {
        let hash: B256 = b256(tx, "hash")?;
        let receipt = rpc(reader.receipt(hash).await)?.ok_or_else(|| format!("{hash} never mined"))?;
        ensure!(receipt.success, "the wallet's transaction {hash} ({tx}) reverted");
    }
    Ok(flow)
}

async fn stake_govern_scenario(net: &Devnet, app: &str, reader: &ChainClient) -> Result<Flow, String> {
    const ACCOUNT: usize = 5;
    let me = net.address(ACCOUNT);
    let governor: Address = net.str("governor").parse().unwrap();
    // A proposal to list: account 0 delegates to itself and proposes.
    assert_ok(&net.dml(0, &["gov", "delegate", "--json"]), "dml gov delegate");
    let propose = [
        "gov",
        "propose",
        "--target",
        "engine",
        "--call",
        "setMinClaimSolutionTime(uint256)",
        "--args",
        "4",
        "--description",
        "Browser test: keep the claim window at 4 s",
        "--json",
    ];
    let mut proposed = net.dml(0, &propose);
    if !proposed.status.success() {
        // The votes count from the block after the delegation.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        proposed = net.dml(0, &propose);
    }
    assert_ok(&proposed, "dml gov propose");
    let proposal: Value = serde_json::from_slice(&proposed.stdout).unwrap();
    let proposal = str_of(&proposal, "id")?.to_string();
    let staked_before = rpc(reader.view(IEngine::validatorsCall { addr: me }).await)?.staked;

    let flow = run_flow(
        net,
        app,
        "stake-govern",
        json!({ "account": ACCOUNT, "deposit": "5", "withdraw": "2", "completeWithinMs": 25_000, "proposal": proposal }),
        Duration::from_secs(180),
    )
    .await?;
    connected(&flow, me)?;
    let staked = rpc(reader.view(IEngine::validatorsCall { addr: me }).await)?.staked;
    let want = staked_before + U256::from(3) * ONE_DML;
    ensure!(staked == want, "after depositing 5 DML and withdrawing 2, {me} has {staked} wei staked, expected {want}");
    // Requests are numbered from 1; a completed one is deleted.
    let last = rpc(reader.view(IEngine::pendingValidatorWithdrawRequestsCountCall { addr: me }).await)?;
    ensure!(!last.is_zero(), "no withdraw request was ever made by {me}");
    let request = rpc(reader.view(IEngine::pendingValidatorWithdrawRequestsCall { addr: me, count: last }).await)?;
    ensure!(request.amount.is_zero(), "withdraw request #{last} still holds {} wei after Complete", request.amount);
    let listed = flow.step("govern")?["proposals"].as_array().cloned().unwrap_or_default();
    let shown = listed.iter().find(|p| p["id"] == proposal.as_str()).ok_or("the proposal is not listed")?;
    let id: U256 = proposal.parse().unwrap();
    let state = rpc(reader.view_of(governor, dml_governance::IGovernor::stateCall { proposalId: id }).await)?;
    let name = dml_governance::ProposalState::from_u8(state).map(|s| s.to_string()).unwrap_or_default();
    let value = shown["state"].as_str().unwrap_or_default();
    // Read before the page was left, so the state may have moved on since (Pending → Active).
    ensure!(
        value == state.to_string()
            || value.eq_ignore_ascii_case(&name)
            || value == "0"
            || value.eq_ignore_ascii_case("pending"),
        "proposal {proposal}: the page's state {value:?}, the governor's {state} ({name})"
    );
    let votes = rpc(reader.token_view(IDmlToken::getVotesCall { account: me }).await)?;
    let balance = rpc(reader.token_view(IDmlToken::balanceOfCall { account: me }).await)?;
    let delegate = flow.step("delegate-votes")?;
    wei_shown(str_of(delegate, "after")?, votes, "the votes after delegating to self")?;
    ensure!(votes == balance, "{me} holds {balance} DML wei but {votes} votes after delegating to self");
    let delegatee = rpc(reader.token_view(IDmlToken::delegatesCall { account: me }).await)?;
    ensure!(delegatee == me, "{me} delegates to {delegatee}");
    Ok(flow)
}

async fn contested_scenario(net: &Devnet, app: &str, reader: &ChainClient, found: &mut Found) -> Result<Flow, String> {
    const CHEAT: usize = 4;
    let cheat = net.address(CHEAT);
    let model = net.model_id("textgenrnn").to_string();
    let stake = (U256::from(10) * ONE_DML).to_string();
    let data_dir = net.dir.path().join("cheat");
    let mut solver = start_solver(net, CHEAT, &data_dir, &["--malicious", "--model", &model, "--stake", &stake], None);
    eventually(Duration::from_secs(30), "the malicious solver's stake", || async {
        let staked = reader.view(IEngine::validatorsCall { addr: cheat }).await.ok()?.staked;
        (!staked.is_zero()).then_some(())
    })
    .await;
    let flow = run_flow(
        net,
        app,
        "contested",
        json!({ "account": 9, "attempts": 3, "maxLength": 300, "fee": "0.01" }),
        Duration::from_secs(420),
    )
    .await;
    solver.terminate();
    let flow = flow?;
    let task = b256(flow.step("contested")?, "taskId")?;
    found.contested = Some(task);
    let solution = rpc(reader.view(IEngine::solutionsCall { taskid: task }).await)?;
    ensure!(solution.validator == cheat, "task {task}: solved by {}, the cheat is {cheat}", solution.validator);
    let contestation = rpc(reader.view(IEngine::contestationsCall { taskid: task }).await)?;
    let honest: Vec<Address> = net.solvers().iter().filter(|(_, m)| !m).map(|(a, _)| *a).collect();
    ensure!(
        honest.contains(&contestation.validator),
        "task {task}: contested by {}, not an honest solver",
        contestation.validator
    );
    let head = rpc(reader.block_number().await)?;
    let resolved = rpc(reader.logs_with(0, head, Some(vec![IEngine::ContestationResolved::SIGNATURE_HASH])).await)?
        .iter()
        .filter_map(|l| IEngine::ContestationResolved::decode_log_data(l.data()).ok())
        .find(|e| e.task == task)
        .ok_or_else(|| format!("task {task}: the page showed an outcome, the chain has no ContestationResolved"))?;
    ensure!(resolved.contestationWon, "task {task}: the malicious solution won its contestation");
    let page = flow.step("contestation-page")?;
    ensure!(
        same_address(field(page, "contester")?, contestation.validator),
        "contester shown {:?}, on chain {}",
        field(page, "contester")?,
        contestation.validator
    );
    ensure!(
        field(page, "yeas")? == resolved.yeas.to_string(),
        "yeas shown {:?}, resolved with {}",
        field(page, "yeas")?,
        resolved.yeas
    );
    ensure!(
        field(page, "nays")? == resolved.nays.to_string(),
        "nays shown {:?}, resolved with {}",
        field(page, "nays")?,
        resolved.nays
    );
    let task_page = flow.step("task-page")?;
    ensure!(
        same_address(field(task_page, "solver")?, cheat),
        "the task page's solver {:?}, the cheat is {cheat}",
        field(task_page, "solver")?
    );
    Ok(flow)
}

async fn explorer_scenario(net: &Devnet, app: &str, reader: &ChainClient, found: &Found) -> Result<Flow, String> {
    let (task, solver, cid) = match &found.text_task {
        Some(found) => found.clone(),
        None => {
            // The dev scenario failed: a task of our own to look at.
            let owner = net.client(9).await;
            let (task, _) = submit_task(
                &owner,
                net.model_id("textgenrnn"),
                dml_milli(10),
                br#"{"prompt":"Explore","max_length":20}"#,
            )
            .await;
            let solver = eventually(Duration::from_secs(90), "the explorer's task claimed", || async {
                let s = reader.view(IEngine::solutionsCall { taskid: task }).await.ok()?;
                s.claimed.then_some(s.validator)
            })
            .await;
            (task, solver, solution_cid(reader, task).await?.1)
        }
    };
    let address = net.address(9);
    let model = net.model_id("textgenrnn");
    // The indexer must have caught up with the claim before its pages are read.
    let indexer = net.str("indexer_url");
    eventually(Duration::from_secs(30), "the indexer's record of the claim", || async {
        let body: Value = reqwest::get(format!("{indexer}/api/v1/tasks/{task:#x}")).await.ok()?.json().await.ok()?;
        (body["task"]["status"] == "claimed").then_some(())
    })
    .await;
    let mut explore = json!({
        "task": format!("{task:#x}"),
        "model": format!("{model:#x}"),
        "address": address.to_string(),
        "solver": solver.to_string(),
        "cid": cid,
    });
    if let Some(contested) = found.contested {
        explore["contested"] = json!(format!("{contested:#x}"));
    }
    let flow = run_flow(net, app, "explorer", json!({ "explore": explore }), Duration::from_secs(180)).await?;

    // The task page.
    let page = flow.step("task")?;
    let record = rpc(reader.view(IEngine::tasksCall { taskid: task }).await)?;
    let (solution, output_cid) = solution_cid(reader, task).await?;
    ensure!(
        field(page, "model")?.parse::<B256>().ok() == Some(record.model),
        "task model {:?} shown, {} on chain",
        field(page, "model")?,
        record.model
    );
    wei_shown(field(page, "fee")?, record.fee, "task fee")?;
    ensure!(
        same_address(field(page, "owner")?, record.owner),
        "task owner {:?} shown, {} on chain",
        field(page, "owner")?,
        record.owner
    );
    ensure!(
        field(page, "blocktime")? == record.blocktime.to_string(),
        "task blocktime {:?} shown, {} on chain",
        field(page, "blocktime")?,
        record.blocktime
    );
    ensure!(
        same_address(field(page, "solver")?, solution.validator),
        "task solver {:?} shown, {} on chain",
        field(page, "solver")?,
        solution.validator
    );
    let input_cid = dml_content::Cid::from_bytes(&record.cid).map_err(|e| e.to_string())?.to_string();
    let shown_cid = field(page, "cid")?;
    ensure!(
        shown_cid == output_cid,
        "task cid {shown_cid:?} shown, the solution's CID is {output_cid} (the input's {input_cid})"
    );
    if let Ok(shown) = field(page, "inputCid") {
        ensure!(shown == input_cid, "task inputCid {shown:?} shown, the task's CID is {input_cid}");
    }
    ensure!(
        ["true", "1", "claimed"].contains(&field(page, "claimed")?),
        "task claimed {:?} shown, the chain says {}",
        field(page, "claimed")?,
        solution.claimed
    );
    // The model page.
    let page = flow.step("model")?;
    let m = rpc(reader.view(IEngine::modelsCall { model }).await)?;
    wei_shown(field(page, "fee")?, m.fee, "model fee")?;
    wei_shown(field(page, "rate")?, m.rate, "model rate")?;
    ensure!(
        same_address(field(page, "addr")?, m.addr),
        "model addr {:?} shown, {} on chain",
        field(page, "addr")?,
        m.addr
    );
    let template = dml_content::Cid::from_bytes(&m.cid).map_err(|e| e.to_string())?.to_string();
    ensure!(field(page, "cid")? == template, "model cid {:?} shown, {template} on chain", field(page, "cid")?);
    ensure!(field(page, "name")? == "textgenrnn", "model name {:?}", field(page, "name")?);
    let tasks: u64 = field(page, "tasks")?.parse().map_err(|e| format!("model tasks: {e}"))?;
    ensure!(tasks >= 3, "model tasks {tasks} shown; at least 3 textgenrnn tasks were submitted");
    // The solver page.
    let page = flow.step("solver")?;
    let v = rpc(reader.view(IEngine::validatorsCall { addr: solver }).await)?;
    wei_shown(field(page, "staked")?, v.staked, "solver staked")?;
    let solved: u64 = field(page, "tasksSolved")?.parse().map_err(|e| format!("tasksSolved: {e}"))?;
    ensure!(solved >= 1, "tasksSolved {solved} for the solver of {task}");
    for name in ["claimed", "contestationsWon", "contestationsLost", "slashes", "rewards"] {
        ensure!(field(page, name)?.parse::<U256>().is_ok(), "solver {name} {:?} is not a number", field(page, name)?);
    }
    // The address page.
    let page = flow.step("address")?;
    let balance = rpc(reader.token_view(IDmlToken::balanceOfCall { account: address }).await)?;
    wei_shown(field(page, "balance")?, balance, "address balance")?;
    let staked = rpc(reader.view(IEngine::validatorsCall { addr: address }).await)?.staked;
    wei_shown(field(page, "staked")?, staked, "address staked")?;
    let votes = rpc(reader.token_view(IDmlToken::getVotesCall { account: address }).await)?;
    wei_shown(field(page, "votes")?, votes, "address votes")?;
    let delegate = rpc(reader.token_view(IDmlToken::delegatesCall { account: address }).await)?;
    let shown = field(page, "delegate")?;
    ensure!(
        same_address(shown, delegate) || (delegate.is_zero() && shown.is_empty()),
        "address delegate {shown:?} shown, {delegate} on chain"
    );
    // The contestation page.
    if let Some(contested) = found.contested {
        let page = flow.step("contestation")?;
        let c = rpc(reader.view(IEngine::contestationsCall { taskid: contested }).await)?;
        ensure!(
            same_address(field(page, "contester")?, c.validator),
            "contester {:?} shown, {} on chain",
            field(page, "contester")?,
            c.validator
        );
    }
    Ok(flow)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_in_a_real_browser() {
    if !browser_ready() || !weights_present() {
        return;
    }
    let started = Instant::now();
    let net =
        Devnet::start(&["--claim-window", "4", "--vote-period", "4", "--withdraw-unlock", "10", "--voting-delay", "2"]);
    let app = net.info["app_url"]
        .as_str()
        .unwrap_or_else(|| panic!("`dml devnet --json` printed no app_url: {}", net.info))
        .to_string();
    let reader = net.client(0).await;
    eprintln!("devnet up in {:.1} s; app at {app}", started.elapsed().as_secs_f64());
    eventually(Duration::from_secs(30), "the solvers' stakes", || async {
        for (solver, _) in net.solvers() {
            if reader.view(IEngine::validatorsCall { addr: solver }).await.ok()?.staked.is_zero() {
                return None;
            }
        }
        Some(())
    })
    .await;

    let mut results: Vec<(&str, Result<f64, String>)> = Vec::new();
    let secs = |r: Result<Flow, String>| r.map(|f| f.secs);
    results.push((
        "selftest",
        secs(run_flow(&net, &app, "selftest", json!({ "account": 6 }), Duration::from_secs(60)).await),
    ));
    let mut found = Found::default();
    results.push(("dev", secs(dev_scenario(&net, &app, &reader, &mut found).await)));
    results.push(("wallet", secs(wallet_scenario(&net, &app, &reader).await)));
    results.push(("stake-govern", secs(stake_govern_scenario(&net, &app, &reader).await)));
    results.push(("contested", secs(contested_scenario(&net, &app, &reader, &mut found).await)));
    results.push(("explorer", secs(explorer_scenario(&net, &app, &reader, &found).await)));

    eprintln!("screenshots in {}", screenshot_root().display());
    let mut failures = Vec::new();
    for (scenario, result) in &results {
        match result {
            Ok(secs) => eprintln!("  ok      {scenario:<14} {secs:>6.1} s"),
            Err(e) => {
                eprintln!("  FAILED  {scenario}");
                failures.push(format!("{scenario}: {e}"));
            }
        }
    }
    eprintln!("browser tests: {:.1} s in all", started.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} of {} browser scenarios failed:\n\n{}",
        failures.len(),
        results.len(),
        failures.join("\n\n")
    );
    drop(net);
}
