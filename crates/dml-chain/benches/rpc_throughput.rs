//! End-to-end throughput of the dev chain over JSON-RPC, against hardhat's
//! node as the reference when it is installed (`benches/hardhat`, see
//! `benches/hardhat/README.md`).
//!
//! `cargo bench -p dml-chain --bench rpc_throughput` prints one table:
//! signed transactions per second (sequential and from many senders at once,
//! over HTTP and WebSocket), full task lifecycles per second, and p50/p99
//! latency from `eth_sendRawTransaction` to the receipt. Transactions are
//! signed before the clock starts, so the figures are the node's.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use dml_chain::config::Allocation;
use dml_primitives::{IEngine, SolCall, ONE_DML};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const SEQUENTIAL: usize = 300;
const SENDERS: usize = 1000;
const LIFECYCLE_WORKERS: usize = 50;

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn sign_transfer(signer: &PrivateKeySigner, nonce: u64, max_fee: u128) -> Bytes {
    sign(signer, nonce, Address::repeat_byte(0xee), U256::from(1), Bytes::new(), 21_000, max_fee)
}

fn sign(
    signer: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    value: U256,
    input: Bytes,
    gas: u64,
    max_fee: u128,
) -> Bytes {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_network::TxSignerSync;
    let mut tx = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: 1_000_000_000,
        to: to.into(),
        value,
        access_list: Default::default(),
        input,
    };
    let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
    tx.into_signed(signature).encoded_2718().into()
}

#[derive(Clone)]
struct Http {
    url: String,
    client: reqwest::Client,
}

impl Http {
    async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("node answers");
        let value: Value = response.json().await.expect("json");
        if let Some(error) = value.get("error") {
            panic!("{method}: {error}");
        }
        value["result"].clone()
    }

    async fn send_and_wait(&self, tx: &Bytes) -> Duration {
        self.send_and_receipt(tx).await.0
    }

    async fn send_and_receipt(&self, tx: &Bytes) -> (Duration, Value) {
        let start = Instant::now();
        let hash = self.call("eth_sendRawTransaction", json!([tx])).await;
        loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return (start.elapsed(), receipt);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

#[derive(Default)]
struct Row {
    tx_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn percentile(latencies: &mut [Duration], p: f64) -> f64 {
    latencies.sort_unstable();
    let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
    latencies[index].as_secs_f64() * 1000.0
}

async fn sequential(http: &Http, signer: &PrivateKeySigner, max_fee: u128) -> Row {
    let nonce =
        u64::try_from(u128_of(&http.call("eth_getTransactionCount", json!([signer.address(), "pending"])).await))
            .unwrap();
    let txs: Vec<Bytes> = (0..SEQUENTIAL as u64).map(|i| sign_transfer(signer, nonce + i, max_fee)).collect();
    let start = Instant::now();
    let mut latencies = Vec::new();
    for tx in &txs {
        latencies.push(http.send_and_wait(tx).await);
    }
    let elapsed = start.elapsed().as_secs_f64();
    Row {
        tx_per_second: SEQUENTIAL as f64 / elapsed,
        p50_ms: percentile(&mut latencies, 0.5),
        p99_ms: percentile(&mut latencies, 0.99),
    }
}

async fn concurrent_http(http: &Http, senders: &[PrivateKeySigner], max_fee: u128) -> Row {
    let mut txs = Vec::new();
    for signer in senders {
        let nonce = u128_of(&http.call("eth_getTransactionCount", json!([signer.address(), "pending"])).await) as u64;
        txs.push(sign_transfer(signer, nonce, max_fee));
    }
    let start = Instant::now();
    let tasks: Vec<_> = txs
        .into_iter()
        .map(|tx| {
            let http = http.clone();
            tokio::spawn(async move { http.send_and_wait(&tx).await })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    Row {
        tx_per_second: senders.len() as f64 / elapsed,
        p50_ms: percentile(&mut latencies, 0.5),
        p99_ms: percentile(&mut latencies, 0.99),
    }
}

/// All sends pipelined on one WebSocket; receipts awaited through a
/// `newHeads` subscription on the same connection.
async fn concurrent_ws(http: &Http, ws_url: &str, senders: &[PrivateKeySigner], max_fee: u128) -> Row {
    let mut txs = Vec::new();
    for signer in senders {
        let nonce = u128_of(&http.call("eth_getTransactionCount", json!([signer.address(), "pending"])).await) as u64;
        txs.push(sign_transfer(signer, nonce, max_fee));
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.expect("ws connects");
    let start = Instant::now();
    let mut sent_at = Vec::with_capacity(txs.len());
    for (id, tx) in txs.iter().enumerate() {
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [tx] });
        sent_at.push(Instant::now());
        socket.send(Message::Text(request.to_string().into())).await.unwrap();
    }
    let mut hashes = vec![String::new(); txs.len()];
    let mut answered = 0;
    while answered < txs.len() {
        let Some(Ok(Message::Text(text))) = socket.next().await else { continue };
        let value: Value = serde_json::from_str(&text).unwrap();
        if let (Some(id), Some(hash)) = (value["id"].as_u64(), value["result"].as_str()) {
            hashes[id as usize] = hash.to_string();
            answered += 1;
        } else if value.get("error").is_some() {
            panic!("ws send failed: {value}");
        }
    }
    // Receipts, batched over the same socket until every one is in.
    let mut latencies = vec![Duration::ZERO; txs.len()];
    let mut remaining: Vec<usize> = (0..txs.len()).collect();
    while !remaining.is_empty() {
        let batch: Vec<Value> = remaining
            .iter()
            .map(
                |&i| json!({ "jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt", "params": [hashes[i]] }),
            )
            .collect();
        socket.send(Message::Text(Value::Array(batch).to_string().into())).await.unwrap();
        let answers = loop {
            if let Some(Ok(Message::Text(text))) = socket.next().await {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value.is_array() {
                    break value;
                }
            }
        };
        let mut still = Vec::new();
        for answer in answers.as_array().unwrap() {
            let id = answer["id"].as_u64().unwrap() as usize;
            if answer["result"].is_null() {
                still.push(id);
            } else {
                latencies[id] = sent_at[id].elapsed();
            }
        }
        remaining = still;
        if !remaining.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    Row {
        tx_per_second: txs.len() as f64 / elapsed,
        p50_ms: percentile(&mut latencies, 0.5),
        p99_ms: percentile(&mut latencies, 0.99),
    }
}

fn u128_of(value: &Value) -> u128 {
    u128::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Full task lifecycles (submitTask, signalCommitment, submitSolution in a
/// later block, then claimSolution once the clock has moved past the
/// solution's second), `LIFECYCLE_WORKERS` running at once.
async fn lifecycles(
    http: &Http,
    workers: &[PrivateKeySigner],
    engine: Address,
    model: alloy_primitives::B256,
    rounds: usize,
) -> Row {
    let start = Instant::now();
    let tasks: Vec<_> = workers
        .iter()
        .cloned()
        .map(|worker| {
            let http = http.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut solved = Vec::new();
                let mut nonce =
                    u128_of(&http.call("eth_getTransactionCount", json!([worker.address(), "pending"])).await) as u64;
                for round in 0..rounds {
                    let submit = IEngine::submitTaskCall {
                        version_: 0,
                        owner_: worker.address(),
                        model_: model,
                        fee_: U256::ZERO,
                        input_: Bytes::from(format!("{{\"prompt\":\"{round}\"}}").into_bytes()),
                    };
                    let fee = 100_000_000_000u128;
                    let tx = sign(&worker, nonce, engine, U256::ZERO, submit.abi_encode().into(), 1_000_000, fee);
                    let hash = http.call("eth_sendRawTransaction", json!([tx])).await;
                    nonce += 1;
                    let receipt = loop {
                        let receipt = http.call("eth_getTransactionReceipt", json!([hash])).await;
                        if !receipt.is_null() {
                            break receipt;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    };
                    let task: alloy_primitives::B256 = receipt["logs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|log| log["address"].as_str().unwrap().eq_ignore_ascii_case(&engine.to_string()))
                        .map(|log| log["topics"][1].as_str().unwrap().parse().unwrap())
                        .expect("TaskSubmitted");
                    let mut cid = vec![0x12, 0x20];
                    cid.extend_from_slice(&task[..]);
                    let cid = Bytes::from(cid);
                    let commitment = alloy_primitives::keccak256(dml_primitives::SolValue::abi_encode_params(&(
                        worker.address(),
                        task,
                        cid.clone(),
                    )));
                    let calls: [Vec<u8>; 2] = [
                        IEngine::signalCommitmentCall { commitment_: commitment }.abi_encode(),
                        IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone() }.abi_encode(),
                    ];
                    for call in calls {
                        let tx = sign(&worker, nonce, engine, U256::ZERO, call.into(), 1_000_000, fee);
                        nonce += 1;
                        let (latency, receipt) = http.send_and_receipt(&tx).await;
                        assert_eq!(receipt["status"], "0x1", "lifecycle step failed: {}", receipt["revertReason"]);
                        latencies.push(latency);
                    }
                    solved.push(task);
                }
                (worker, nonce, solved, latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut to_claim = Vec::new();
    for task in tasks {
        let (worker, nonce, solved, worker_latencies) = task.await.unwrap();
        latencies.extend(worker_latencies);
        to_claim.push((worker, nonce, solved));
    }
    // The claim window (0 s here) needs a later timestamp than the solution's.
    http.call("evm_increaseTime", json!([1])).await;
    let claims: Vec<_> = to_claim
        .into_iter()
        .map(|(worker, mut nonce, solved)| {
            let http = http.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for task in solved {
                    let call = IEngine::claimSolutionCall { taskid_: task }.abi_encode();
                    let tx = sign(&worker, nonce, engine, U256::ZERO, call.into(), 1_000_000, 100_000_000_000);
                    nonce += 1;
                    let (latency, receipt) = http.send_and_receipt(&tx).await;
                    assert_eq!(receipt["status"], "0x1", "claim failed: {}", receipt["revertReason"]);
                    latencies.push(latency);
                }
                latencies
            })
        })
        .collect();
    for claim in claims {
        latencies.extend(claim.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    Row {
        tx_per_second: (workers.len() * rounds) as f64 / elapsed,
        p50_ms: percentile(&mut latencies, 0.5),
        p99_ms: percentile(&mut latencies, 0.99),
    }
}

async fn check_lifecycles_succeeded(http: &Http, workers: &[PrivateKeySigner], engine: Address, expected: usize) {
    // Every claim paid out: the SolutionClaimed logs count the lifecycles.
    let topic = <IEngine::SolutionClaimed as dml_primitives::SolEvent>::SIGNATURE_HASH;
    let logs = http.call("eth_getLogs", json!([{ "address": engine, "topics": [topic], "fromBlock": "0x0" }])).await;
    let claimed = logs.as_array().unwrap().len();
    assert_eq!(claimed, expected, "every lifecycle ended in a claim ({} workers)", workers.len());
}

struct Hardhat {
    child: Child,
    url: String,
}

impl Drop for Hardhat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hardhat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/hardhat")
}

/// Starts `hardhat node` with the same funded senders, if hardhat is installed.
async fn start_hardhat(senders: &[PrivateKeySigner], sequential: &PrivateKeySigner) -> Option<Hardhat> {
    let dir = hardhat_dir();
    if !dir.join("node_modules/hardhat").is_dir() {
        return None;
    }
    let mut accounts: Vec<Value> = senders
        .iter()
        .map(|s| json!({ "privateKey": format!("0x{}", alloy_primitives::hex::encode(s.to_bytes())), "balance": eth(100).to_string() }))
        .collect();
    accounts.push(json!({ "privateKey": format!("0x{}", alloy_primitives::hex::encode(sequential.to_bytes())), "balance": eth(10_000).to_string() }));
    let config = format!(
        "module.exports = {{ solidity: \"0.8.24\", networks: {{ hardhat: {{ chainId: 31337, accounts: {} }} }} }};\n",
        Value::Array(accounts)
    );
    std::fs::write(dir.join("hardhat.config.cjs"), config).ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(dir.join("node_modules/.bin/hardhat"))
        .args(["--config", "hardhat.config.cjs", "node", "--port", &port.to_string()])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let hardhat = Hardhat { child, url: format!("http://127.0.0.1:{port}") };
    let http = Http { url: hardhat.url.clone(), client: reqwest::Client::new() };
    for _ in 0..600 {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] }).to_string();
        if let Ok(response) =
            http.client.post(&http.url).header("content-type", "application/json").body(body).send().await
        {
            if response.status().is_success() {
                return Some(hardhat);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

fn print_row(name: &str, ours: &Row, reference: Option<&Row>) {
    match reference {
        Some(reference) => println!(
            "| {name:<44} | {:>9.0} | {:>7.2} | {:>7.2} | {:>9.0} | {:>7.2} | {:>6.1}x |",
            ours.tx_per_second,
            ours.p50_ms,
            ours.p99_ms,
            reference.tx_per_second,
            reference.p50_ms,
            ours.tx_per_second / reference.tx_per_second
        ),
        None => println!(
            "| {name:<44} | {:>9.0} | {:>7.2} | {:>7.2} | {:>9} | {:>7} | {:>7} |",
            ours.tx_per_second, ours.p50_ms, ours.p99_ms, "-", "-", "-"
        ),
    }
}

fn bench_genesis(
    senders: &[PrivateKeySigner],
    workers: &[PrivateKeySigner],
    sequential: &PrivateKeySigner,
) -> dml_chain::GenesisConfig {
    let mut genesis = dml_chain::GenesisConfig::default();
    genesis.engine.min_claim_solution_time = 0;
    for signer in senders {
        genesis.allocations.push(Allocation { address: signer.address(), wei: eth(100), dml: U256::ZERO });
    }
    for signer in workers {
        genesis.allocations.push(Allocation {
            address: signer.address(),
            wei: eth(100),
            dml: U256::from(100u64) * ONE_DML,
        });
    }
    genesis.allocations.push(Allocation { address: sequential.address(), wei: eth(10_000), dml: U256::ZERO });
    genesis
}

async fn start(genesis: dml_chain::GenesisConfig, data_dir: Option<PathBuf>) -> dml_chain::NodeHandle {
    let config =
        dml_chain::NodeConfig { rpc_address: "127.0.0.1:0".parse().unwrap(), data_dir, genesis, ..Default::default() };
    dml_chain::spawn(config).await.expect("node starts")
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let senders: Vec<PrivateKeySigner> = (0..SENDERS).map(|_| PrivateKeySigner::random()).collect();
    let workers: Vec<PrivateKeySigner> = (0..LIFECYCLE_WORKERS).map(|_| PrivateKeySigner::random()).collect();
    let sequential_sender = PrivateKeySigner::random();
    let genesis = bench_genesis(&senders, &workers, &sequential_sender);
    let max_fee = 100_000_000_000u128;

    // In memory, like hardhat's node.
    let node = start(genesis.clone(), None).await;
    let http = Http { url: node.http_url(), client: reqwest::Client::new() };
    let _warm_up = sequential(&http, &sequential_sender, max_fee).await;
    let seq = sequential(&http, &sequential_sender, max_fee).await;
    let conc = concurrent_http(&http, &senders, max_fee).await;
    let ws = concurrent_ws(&http, &node.ws_url(), &senders, max_fee).await;

    // Lifecycles: register a model, stake every worker, then run.
    let engine = node.shared().chain().contracts().engine;
    let owner = dml_chain::chain::dev_signers(dml_chain::DEV_MNEMONIC, 1).unwrap().remove(0);
    let register =
        IEngine::registerModelCall { addr_: owner.address(), fee_: U256::ZERO, template_: Bytes::from_static(b"{}") };
    let nonce = u128_of(&http.call("eth_getTransactionCount", json!([owner.address(), "pending"])).await) as u64;
    let tx = sign(&owner, nonce, engine, U256::ZERO, register.abi_encode().into(), 1_000_000, max_fee);
    let hash = http.call("eth_sendRawTransaction", json!([tx])).await;
    http.send_and_wait(&sign_transfer(&owner, nonce + 1, max_fee)).await;
    let receipt = http.call("eth_getTransactionReceipt", json!([hash])).await;
    let model: alloy_primitives::B256 = receipt["logs"][0]["topics"][1].as_str().unwrap().parse().unwrap();
    for worker in &workers {
        let deposit =
            IEngine::validatorDepositCall { validator_: worker.address(), amount_: U256::from(10u64) * ONE_DML };
        http.send_and_wait(&sign(worker, 0, engine, U256::ZERO, deposit.abi_encode().into(), 1_000_000, max_fee)).await;
    }
    let rounds = 4;
    let lifecycle = lifecycles(&http, &workers, engine, model, rounds).await;
    check_lifecycles_succeeded(&http, &workers, engine, workers.len() * rounds).await;
    node.shutdown().await;

    // Persistent: every block one fsynced redb commit.
    let data_dir = tempfile::tempdir().unwrap();
    let node = start(genesis, Some(data_dir.path().to_path_buf())).await;
    let http = Http { url: node.http_url(), client: reqwest::Client::new() };
    let _warm_up = sequential(&http, &sequential_sender, max_fee).await;
    let persistent_seq = sequential(&http, &sequential_sender, max_fee).await;
    let persistent_conc = concurrent_http(&http, &senders, max_fee).await;
    node.shutdown().await;

    let hardhat = start_hardhat(&senders, &sequential_sender).await;
    let (hh_seq, hh_conc) = match &hardhat {
        Some(hardhat) => {
            let http = Http { url: hardhat.url.clone(), client: reqwest::Client::new() };
            let _warm_up = sequential(&http, &sequential_sender, max_fee).await;
            (
                Some(sequential(&http, &sequential_sender, max_fee).await),
                Some(concurrent_http(&http, &senders, max_fee).await),
            )
        }
        None => (None, None),
    };
    drop(hardhat);

    println!();
    println!("dml-chain over JSON-RPC; reference: hardhat node (in memory), measured in this run");
    println!(
        "| {:<44} | {:>9} | {:>7} | {:>7} | {:>9} | {:>7} | {:>7} |",
        "workload", "per sec", "p50 ms", "p99 ms", "hardhat/s", "hh p50", "ratio"
    );
    println!("|{}|", "-".repeat(114));
    print_row(&format!("ETH transfers, sequential, HTTP ({SEQUENTIAL})"), &seq, hh_seq.as_ref());
    print_row(&format!("ETH transfers, {SENDERS} senders at once, HTTP"), &conc, hh_conc.as_ref());
    print_row(&format!("ETH transfers, {SENDERS} senders, one WebSocket"), &ws, None);
    print_row(&format!("task lifecycles, {LIFECYCLE_WORKERS} workers x {rounds} (4 tx each)"), &lifecycle, None);
    print_row("persistent (redb, fsync): sequential, HTTP", &persistent_seq, hh_seq.as_ref());
    print_row(&format!("persistent (redb, fsync): {SENDERS} senders"), &persistent_conc, hh_conc.as_ref());
    if hh_seq.is_none() {
        println!(
            "(hardhat not installed: run `npm ci` in crates/dml-chain/benches/hardhat to add the reference columns)"
        );
    }
}
