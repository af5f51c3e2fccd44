//! Crash safety: the node binary runs with `--data-dir` under a stream of
//! transactions and is killed with SIGKILL at random moments, several times.
//! After each restart every transaction that had returned a receipt is still
//! there, in the same block; at the end, replaying every stored block from
//! genesis arrives at the head's state root.

mod support;

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, Bytes, U256};
use serde_json::{json, Value};
use support::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_binary(data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dml-chain"))
        .args(["--rpc-port", &port.to_string(), "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the node binary starts")
}

async fn wait_ready(raw: &RawClient) {
    for _ in 0..600 {
        if let Ok(response) = raw
            .http
            .post(&raw.url)
            .header("content-type", "application/json")
            .body(json!({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}).to_string())
            .send()
            .await
        {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the node did not come up");
}

fn pseudo_random_millis(low: u64, high: u64) -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    low + nanos % (high - low)
}

/// Sends transfers from dev account `index` one after another, recording
/// (hash, block hash) of each that returned a receipt, until the node dies.
async fn stream_transfers(raw: RawClient, index: u32, acknowledged: Arc<Mutex<Vec<(String, String)>>>) {
    let signer = dev_key(index);
    let to = Address::repeat_byte(0x70 + index as u8);
    loop {
        let Ok(response) = raw
            .http
            .post(&raw.url)
            .header("content-type", "application/json")
            .body(json!({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":[signer.address(),"pending"]}).to_string())
            .send()
            .await
        else {
            return;
        };
        let Ok(value) = response.json::<Value>().await else { return };
        let nonce = qty(&value["result"]) as u64;
        let tx = sign_1559(&signer, nonce, to, U256::from(1), Bytes::new(), 21_000, 31337);
        let Ok(response) = raw
            .http
            .post(&raw.url)
            .header("content-type", "application/json")
            .body(json!({"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":[tx]}).to_string())
            .send()
            .await
        else {
            return;
        };
        let Ok(value) = response.json::<Value>().await else { return };
        let Some(hash) = value["result"].as_str().map(str::to_string) else { continue };
        loop {
            let Ok(response) = raw
                .http
                .post(&raw.url)
                .header("content-type", "application/json")
                .body(json!({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":[hash]}).to_string())
                .send()
                .await
            else {
                return;
            };
            let Ok(value) = response.json::<Value>().await else { return };
            if let Some(block_hash) = value["result"]["blockHash"].as_str() {
                acknowledged.lock().unwrap().push((hash.clone(), block_hash.to_string()));
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_dash_nine_loses_no_acknowledged_transaction() {
    let data_dir = tempfile::tempdir().unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        let port = free_port();
        let mut child = start_binary(data_dir.path(), port);
        let raw = RawClient::new(&format!("http://127.0.0.1:{port}"));
        wait_ready(&raw).await;

        // Everything acknowledged before is still there, in the same block.
        let known: Vec<(String, String)> = acknowledged.lock().unwrap().clone();
        for (hash, block_hash) in &known {
            let receipt = raw.result("eth_getTransactionReceipt", json!([hash])).await;
            assert_eq!(receipt["blockHash"].as_str(), Some(block_hash.as_str()), "round {round}: {hash} lost or moved");
        }

        let streams: Vec<_> =
            (0..4).map(|index| tokio::spawn(stream_transfers(raw.clone(), index, acknowledged.clone()))).collect();
        // Kill at a random moment once the restarted node has acknowledged
        // something, so every round crashes a node that is writing blocks.
        // A loaded machine may need a while for the first block; a node that
        // acknowledges nothing in a minute is hung, and that fails here.
        let started = std::time::Instant::now();
        while acknowledged.lock().unwrap().len() == known.len() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "round {round}: the restarted node acknowledged no transaction in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        eprintln!("round {round}: first acknowledgement after {} ms", started.elapsed().as_millis());
        tokio::time::sleep(Duration::from_millis(pseudo_random_millis(0, 600))).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        for stream in streams {
            let _ = tokio::time::timeout(Duration::from_secs(30), stream).await;
        }
        let count = acknowledged.lock().unwrap().len();
        assert!(count > known.len(), "round {round}: the stream made progress ({count} acknowledged)");
    }

    // Reopen once more to check the last round, then replay from genesis.
    let port = free_port();
    let mut child = start_binary(data_dir.path(), port);
    let raw = RawClient::new(&format!("http://127.0.0.1:{port}"));
    wait_ready(&raw).await;
    let all: Vec<(String, String)> = acknowledged.lock().unwrap().clone();
    for (hash, block_hash) in &all {
        let receipt = raw.result("eth_getTransactionReceipt", json!([hash])).await;
        assert_eq!(receipt["blockHash"].as_str(), Some(block_hash.as_str()), "{hash} lost after the last kill");
    }
    eprintln!("{} acknowledged transactions survived {ROUNDS} kills", all.len());
    let head = raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let chain = dml_chain::Chain::open(&dml_chain::GenesisConfig::default(), Some(data_dir.path())).unwrap();
    assert_eq!(chain.head().hash.to_string(), head["hash"].as_str().unwrap());
    let replayed = chain.replay_state_root(&dml_chain::GenesisConfig::default()).expect("replay agrees block by block");
    assert_eq!(replayed, chain.head().header.state_root);
}
