//! `dml index` killed with SIGKILL while blocks arrive, again and again:
//! each restart resumes where the last whole batch ended, and the database
//! at the end equals a fresh index of the same chain, row for row.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use dml_chain::{chain::dev_signers, NodeConfig, DEV_MNEMONIC};
use dml_primitives::IDmlToken;
use serde_json::Value;

const DML: &str = env!("CARGO_BIN_EXE_dml");

/// Starts `dml index` on a free port; returns it and its API URL.
fn start_index(rpc_url: &str, db: &Path) -> (Child, String) {
    let mut child = Command::new(DML)
        .args(["index", "--rpc-url", rpc_url, "--listen", "127.0.0.1:0", "--batch-blocks", "3", "--json", "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("dml index starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("reads the banner");
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    (child, info["api_url"].as_str().unwrap().to_string())
}

async fn indexed_block(api: &str) -> Option<u64> {
    let health: Value = reqwest::get(format!("{api}/health")).await.ok()?.json().await.ok()?;
    health["indexedBlock"].as_u64()
}

async fn chain_head(provider: &impl Provider) -> u64 {
    provider.get_block_number().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_blocks_arrive_then_restart_equals_a_fresh_index() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig { rpc_address: "127.0.0.1:0".parse().unwrap(), ..NodeConfig::default() };
    let node = dml_chain::spawn(config).await.expect("node starts");
    let rpc_url = node.http_url();
    let signer = dev_signers(DEV_MNEMONIC, 6).unwrap().pop().unwrap();
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(rpc_url.parse().unwrap());
    let contracts: Value = provider.raw_request("dml_getContracts".into(), ()).await.unwrap();
    let token: Address = contracts["token"].as_str().unwrap().parse().unwrap();

    // A writer sending DML transfers (one block and one Transfer event each)
    // for as long as the test runs.
    let writer = {
        let provider = provider.clone();
        tokio::spawn(async move {
            for n in 0u64.. {
                let call = IDmlToken::transferCall { to: Address::repeat_byte(0x77), amount: U256::from(n + 1) };
                let request = TransactionRequest::default().with_to(token).with_input(Bytes::from(call.abi_encode()));
                let pending = provider.send_transaction(request).await.expect("accepted");
                pending.get_receipt().await.expect("mined");
            }
        })
    };

    let db = dir.path().join("killed.sqlite");
    let mut last_seen = 0;
    for round in 0..4 {
        let (mut child, api) = start_index(&rpc_url, &db);
        // Let it index past where the previous run stopped, then kill it mid-stream.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if indexed_block(&api).await.is_some_and(|b| b > last_seen + 5) {
                break;
            }
            assert!(Instant::now() < deadline, "round {round}: no progress past {last_seen}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        last_seen = indexed_block(&api).await.unwrap_or(last_seen);
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }
    writer.abort();
    let _ = writer.await;
    let head = chain_head(&provider).await;

    // Resume to the head, then compare with a fresh index of the same chain.
    let catch_up = |db: std::path::PathBuf| {
        let rpc_url = rpc_url.clone();
        async move {
            let (mut child, api) = start_index(&rpc_url, &db);
            let deadline = Instant::now() + Duration::from_secs(60);
            while indexed_block(&api).await != Some(head) {
                assert!(Instant::now() < deadline, "{} did not reach block {head}", db.display());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            child.kill().unwrap();
            child.wait().unwrap();
        }
    };
    catch_up(db.clone()).await;
    let fresh = dir.path().join("fresh.sqlite");
    catch_up(fresh.clone()).await;
    let resumed = dml_index::Store::open(&db).unwrap().dump().unwrap();
    let reference = dml_index::Store::open(&fresh).unwrap().dump().unwrap();
    assert_eq!(resumed.0, reference.0, "block rows differ");
    assert_eq!(resumed.0.len() as u64, head + 1, "every block from 0 to the head, once");
    let as_json = |events: &[dml_index::store::StoredEvent]| serde_json::to_value(events).unwrap();
    assert_eq!(as_json(&resumed.1), as_json(&reference.1), "event rows differ");
    assert!(resumed.1.iter().filter(|e| e.name == "Transfer").count() as u64 >= last_seen / 2);
    node.shutdown().await;
}
