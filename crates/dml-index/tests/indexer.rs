//! The indexer against the real dev chain on loopback: a task's life as the
//! API shows it (checked against direct JSON-RPC reads), pagination and bad
//! requests, a re-org rolled back, a restart that resumes without gaps or
//! duplicates, and a node that goes down and comes back.

use std::time::{Duration, Instant};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{chain::dev_signers, GenesisConfig, NodeConfig, NodeHandle, DEV_MNEMONIC};
use dml_index::{IndexConfig, IndexHandle, Store};
use dml_primitives::{IEngine, ONE_DML};
use serde_json::{json, Value};

const WINDOW: u64 = 60;

async fn start_node(data_dir: Option<std::path::PathBuf>, address: &str) -> NodeHandle {
    let mut genesis = GenesisConfig::default();
    genesis.engine.min_claim_solution_time = WINDOW;
    genesis.engine.min_retraction_wait_time = WINDOW;
    genesis.engine.min_contestation_vote_period_time = WINDOW;
    let config = NodeConfig { rpc_address: address.parse().unwrap(), genesis, data_dir, ..NodeConfig::default() };
    dml_chain::spawn(config).await.expect("node starts")
}

fn key(index: u32) -> alloy_signer_local::PrivateKeySigner {
    dev_signers(DEV_MNEMONIC, index + 1).unwrap().pop().unwrap()
}

/// A signing client for dev account `index`, and direct reads.
struct Actor {
    provider: alloy_provider::DynProvider,
    address: Address,
}

impl Actor {
    fn new(node: &NodeHandle, index: u32) -> Actor {
        let signer = key(index);
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(node.http_url().parse().unwrap())
            .erased();
        Actor { provider, address }
    }

    async fn send(&self, to: Address, call: impl SolCall) -> alloy_rpc_types_eth::TransactionReceipt {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
        let receipt = self.provider.send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        assert!(receipt.status(), "{receipt:?}");
        receipt
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
        C::abi_decode_returns(&self.provider.call(request).await.expect("view")).unwrap()
    }
}

async fn engine_of(node: &NodeHandle) -> Address {
    let provider = ProviderBuilder::new().connect_http(node.http_url().parse().unwrap());
    let contracts: Value = provider.raw_request("dml_getContracts".into(), ()).await.unwrap();
    contracts["engine"].as_str().unwrap().parse().unwrap()
}

async fn rpc(node_url: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let response: Value = reqwest::Client::new().post(node_url).json(&body).send().await.unwrap().json().await.unwrap();
    response["result"].clone()
}

async fn get(index: &IndexHandle, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", index.url())).await.expect("api answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Waits until the index has the chain's head.
async fn caught_up(index: &IndexHandle, node_url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let head = u64::from_str_radix(
            rpc(node_url, "eth_blockNumber", json!([])).await.as_str().unwrap().trim_start_matches("0x"),
            16,
        )
        .unwrap();
        let (_, health) = get(index, "/health").await;
        if health["indexedBlock"] == json!(head) && health["chainHead"] == json!(head) {
            return;
        }
        assert!(Instant::now() < deadline, "index stuck at {health} with the chain at {head}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn index(node: &NodeHandle, db: Option<std::path::PathBuf>) -> IndexHandle {
    let mut config = IndexConfig::new(node.http_url());
    config.db = db;
    config.poll_interval = Duration::from_millis(50);
    config.batch_blocks = 7; // several batches even on short chains
    dml_index::spawn(config).await.expect("indexer starts")
}

/// Registers a model and stakes two solvers; returns the model id.
async fn set_up(node: &NodeHandle, engine: Address) -> B256 {
    let owner = Actor::new(node, 0);
    let template = br#"{"name":"echo","input":{"prompt":{"type":"string"}},"output":"text"}"#.to_vec();
    let register =
        IEngine::registerModelCall { addr_: Address::repeat_byte(0x3d), fee_: U256::ZERO, template_: template.into() };
    let receipt = owner.send(engine, register).await;
    let model = IEngine::ModelRegistered::decode_log_data(receipt.inner.logs()[0].data()).unwrap().id;
    for solver in [1, 2] {
        let actor = Actor::new(node, solver);
        let amount = U256::from(10u64) * ONE_DML;
        actor.send(engine, IEngine::validatorDepositCall { validator_: actor.address, amount_: amount }).await;
    }
    model
}

async fn submit(node: &NodeHandle, engine: Address, model: B256, prompt: &str) -> B256 {
    let user = Actor::new(node, 3);
    let input = format!(r#"{{"prompt":"{prompt}"}}"#).into_bytes();
    let call = IEngine::submitTaskCall {
        version_: 0,
        owner_: user.address,
        model_: model,
        fee_: ONE_DML,
        input_: input.into(),
    };
    let receipt = user.send(engine, call).await;
    receipt.inner.logs().iter().find_map(|l| IEngine::TaskSubmitted::decode_log_data(l.data()).ok()).unwrap().id
}

async fn solve(node: &NodeHandle, engine: Address, solver: u32, task: B256, tag: u8) {
    let actor = Actor::new(node, solver);
    let mut cid = vec![0x12, 0x20];
    cid.extend_from_slice(&[tag; 32]);
    let cid = Bytes::from(cid);
    let commitment = actor
        .view(engine, IEngine::generateCommitmentCall { sender_: actor.address, taskid_: task, cid_: cid.clone() })
        .await;
    actor.send(engine, IEngine::signalCommitmentCall { commitment_: commitment }).await;
    actor.send(engine, IEngine::submitSolutionCall { taskid_: task, cid_: cid }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_shows_what_the_chain_says() {
    let node = start_node(None, "127.0.0.1:0").await;
    let url = node.http_url();
    let engine = engine_of(&node).await;
    let model = set_up(&node, engine).await;
    let claimed = submit(&node, engine, model, "one").await;
    let contested = submit(&node, engine, model, "two").await;
    let open = submit(&node, engine, model, "three").await;
    solve(&node, engine, 1, claimed, 0x41).await;
    solve(&node, engine, 1, contested, 0x42).await;
    let contester = Actor::new(&node, 2);
    contester.send(engine, IEngine::submitContestationCall { taskid_: contested }).await;
    rpc(&url, "evm_increaseTime", json!([WINDOW + 1])).await;
    Actor::new(&node, 1).send(engine, IEngine::claimSolutionCall { taskid_: claimed }).await;

    let index = index(&node, None).await;
    caught_up(&index, &url).await;

    // Tasks, newest first, with their status.
    let (status, tasks) = get(&index, "/api/v1/tasks").await;
    assert_eq!(status, 200, "{tasks}");
    let listed: Vec<(String, String)> = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t["status"].as_str().unwrap().to_string()))
        .collect();
    let hex = |id: B256| format!("{id:#x}");
    assert_eq!(
        listed,
        vec![(hex(open), "submitted".into()), (hex(contested), "contested".into()), (hex(claimed), "claimed".into())]
    );

    // One task against the chain's own record of it.
    let (_, task) = get(&index, &format!("/api/v1/tasks/{}", hex(claimed))).await;
    let reader = Actor::new(&node, 4);
    let on_chain = reader.view(engine, IEngine::tasksCall { taskid: claimed }).await;
    assert_eq!(task["task"]["owner"], json!(format!("{:#x}", on_chain.owner)));
    assert_eq!(task["task"]["model"], json!(hex(on_chain.model)));
    assert_eq!(task["task"]["fee"], json!(on_chain.fee.to_string()));
    let solution = reader.view(engine, IEngine::solutionsCall { taskid: claimed }).await;
    assert_eq!(task["task"]["solver"], json!(format!("{:#x}", solution.validator)));
    let names: Vec<&str> = task["timeline"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names.first(), Some(&"TaskSubmitted"));
    assert!(names.contains(&"SolutionSubmitted") && names.contains(&"SolutionClaimed"), "{names:?}");

    // The model and the solvers.
    let (_, m) = get(&index, &format!("/api/v1/models/{}", hex(model))).await;
    assert_eq!((m["tasks"].as_u64(), m["solved"].as_u64()), (Some(3), Some(2)), "{m}");
    assert!(m["medianSolveSeconds"].is_u64(), "{m}");
    let (_, solver) = get(&index, &format!("/api/v1/solvers/{:#x}", key(1).address())).await;
    let staked = reader.view(engine, IEngine::validatorsCall { addr: key(1).address() }).await.staked;
    assert_eq!(solver["staked"], json!(staked.to_string()), "{solver}");
    assert_eq!((solver["tasksSolved"].as_u64(), solver["claimed"].as_u64()), (Some(2), Some(1)));

    // Emission equals the RewardsMinted logs read straight from the node.
    let logs = reader
        .provider
        .get_logs(&Filter::new().address(engine).event_signature(IEngine::RewardsMinted::SIGNATURE_HASH).from_block(0))
        .await
        .unwrap();
    let minted = logs
        .iter()
        .map(|l| IEngine::RewardsMinted::decode_log_data(l.data()).unwrap())
        .fold(U256::ZERO, |a, e| a + e.solver + e.treasury + e.liquidity);
    let (_, stats) = get(&index, "/api/v1/stats").await;
    assert_eq!(stats["emitted"], json!(minted.to_string()), "{stats}");
    assert_eq!((stats["tasks"].as_u64(), stats["contestations"].as_u64()), (Some(3), Some(1)));

    // The contestation and its votes.
    let (_, c) = get(&index, &format!("/api/v1/contestations/{}", hex(contested))).await;
    assert_eq!(c["contester"], json!(format!("{:#x}", contester.address)), "{c}");
    assert_eq!(c["solver"], json!(format!("{:#x}", key(1).address())));

    // Search finds each kind; upper-case input is the same id.
    for (query, kind) in [
        (hex(claimed).to_uppercase().replace("0X", "0x"), "task"),
        (hex(model), "model"),
        (format!("{:#x}", key(1).address()), "solver"),
        (format!("{:#x}", key(3).address()), "address"),
    ] {
        let (_, hits) = get(&index, &format!("/api/v1/search?q={query}")).await;
        assert!(hits.as_array().unwrap().iter().any(|h| h["kind"] == kind), "{query}: {hits}");
    }
    // And by CID: a solution's output, a task's input and a model's
    // template, as the engine stores them (CIDv0, base58btc).
    let model_cid = reader.view(engine, IEngine::modelsCall { model }).await.cid;
    let base58 = |bytes: &[u8]| dml_index::events::cid_string(bytes);
    for (cid, kind, id, which) in [
        (base58(&solution.cid), "task", hex(claimed), "output"),
        (base58(&on_chain.cid), "task", hex(claimed), "input"),
        (base58(&model_cid), "model", hex(model), "template"),
    ] {
        assert!(cid.starts_with("Qm") && cid.len() == 46, "{cid}");
        let (_, hits) = get(&index, &format!("/api/v1/search?q={cid}")).await;
        assert!(hits.as_array().unwrap().contains(&json!({ "kind": kind, "id": id, "cid": which })), "{cid}: {hits}");
    }
    let (_, none) = get(&index, "/api/v1/search?q=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG").await;
    assert_eq!(none, json!([]), "an unknown CID finds nothing");

    // Pages: two, then one, no overlap, no cursor at the end.
    let (_, first) = get(&index, "/api/v1/tasks?limit=2").await;
    let next = first["next"].as_str().expect("a next cursor").to_string();
    let (_, second) = get(&index, &format!("/api/v1/tasks?limit=2&before={next}")).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], json!(hex(claimed)));

    // Bad requests are refused in words; unknown ids are 404.
    for (path, code) in [
        ("/api/v1/tasks/0x1234", 400),
        ("/api/v1/tasks?limit=0", 400),
        ("/api/v1/tasks?before=soon", 400),
        ("/api/v1/solvers/not-an-address", 400),
        (&format!("/api/v1/tasks/{:#x}", B256::repeat_byte(7)), 404),
    ] {
        let (status, body) = get(&index, path).await;
        assert_eq!(status, code, "{path}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{path}: {body}");
    }
    drop(index);
    node.shutdown().await;
}

/// Every row of an index, for comparing two.
fn dump(path: &std::path::Path) -> (Vec<dml_index::store::BlockRow>, Vec<Value>) {
    let (blocks, events) = Store::open(path).unwrap().dump().unwrap();
    (blocks, events.into_iter().map(|e| serde_json::to_value(e).unwrap()).collect())
}

async fn fresh_dump(
    node: &NodeHandle,
    dir: &std::path::Path,
    name: &str,
) -> (Vec<dml_index::store::BlockRow>, Vec<Value>) {
    let path = dir.join(name);
    let fresh = index(node, Some(path.clone())).await;
    caught_up(&fresh, &node.http_url()).await;
    drop(fresh);
    dump(&path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_is_rolled_back_and_the_index_equals_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(None, "127.0.0.1:0").await;
    let url = node.http_url();
    let engine = engine_of(&node).await;
    let model = set_up(&node, engine).await;
    let path = dir.path().join("followed.sqlite");
    let followed = index(&node, Some(path.clone())).await;

    let snapshot = rpc(&url, "evm_snapshot", json!([])).await;
    let doomed = submit(&node, engine, model, "on the old fork").await;
    rpc(&url, "anvil_mine", json!(["0x5"])).await;
    caught_up(&followed, &url).await;
    let (status, _) = get(&followed, &format!("/api/v1/tasks/{doomed:#x}")).await;
    assert_eq!(status, 200);

    // The fork: back to the snapshot, then a longer, different chain.
    assert_eq!(rpc(&url, "evm_revert", json!([snapshot])).await, json!(true));
    let kept = submit(&node, engine, model, "on the new fork").await;
    rpc(&url, "anvil_mine", json!(["0x9"])).await;
    caught_up(&followed, &url).await;

    let (status, _) = get(&followed, &format!("/api/v1/tasks/{doomed:#x}")).await;
    assert_eq!(status, 404, "the old fork's task is gone");
    let (status, _) = get(&followed, &format!("/api/v1/tasks/{kept:#x}")).await;
    assert_eq!(status, 200);
    let (_, health) = get(&followed, "/health").await;
    assert!(health["reorgs"].as_u64().unwrap() >= 1, "{health}");
    drop(followed);
    assert_eq!(dump(&path), fresh_dump(&node, dir.path(), "fresh.sqlite").await);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_blocks_arrive_resumes_without_gaps_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(None, "127.0.0.1:0").await;
    let url = node.http_url();
    let engine = engine_of(&node).await;
    let model = set_up(&node, engine).await;
    let path = dir.path().join("restarted.sqlite");
    for round in 0..4 {
        let indexer = index(&node, Some(path.clone())).await;
        for n in 0..3 {
            submit(&node, engine, model, &format!("round {round} task {n}")).await;
        }
        // Stopped mid-stream: the follower is aborted wherever it is.
        drop(indexer);
    }
    let resumed = index(&node, Some(path.clone())).await;
    caught_up(&resumed, &url).await;
    let (_, stats) = get(&resumed, "/api/v1/stats").await;
    assert_eq!(stats["tasks"].as_u64(), Some(12), "{stats}");
    drop(resumed);
    assert_eq!(dump(&path), fresh_dump(&node, dir.path(), "fresh.sqlite").await);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_goes_down_is_retried_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(Some(dir.path().join("chain")), "127.0.0.1:0").await;
    let address = node.http_url().trim_start_matches("http://").to_string();
    let engine = engine_of(&node).await;
    set_up(&node, engine).await;
    let indexer = index(&node, None).await;
    caught_up(&indexer, &node.http_url()).await;
    node.shutdown().await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        let (status, health) = get(&indexer, "/health").await;
        if health["status"] == "degraded" && health["consecutiveErrors"].as_u64() >= Some(2) {
            assert_eq!(status, 200);
            break health;
        }
        assert!(Instant::now() < deadline, "no error reported: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(health["lastError"].as_str().is_some_and(|e| e.contains("rpc")), "{health}");

    // The node comes back on the same port with the same chain: indexing goes on.
    let node = start_node(Some(dir.path().join("chain")), &address).await;
    Actor::new(&node, 3)
        .send(engine, IEngine::validatorDepositCall { validator_: key(3).address(), amount_: ONE_DML })
        .await;
    caught_up(&indexer, &node.http_url()).await;
    let (_, health) = get(&indexer, "/health").await;
    assert_eq!(health["status"], "ok", "{health}");
    drop(indexer);
    node.shutdown().await;
}
