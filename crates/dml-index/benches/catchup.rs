//! The indexer's speed on a dev chain of N tasks (default 10,000):
//! catching up from an empty database (blocks/s and events/s, beside only
//! fetching the same headers and logs over the same JSON-RPC in the same run)
//! and the read API's p50/p99 latency per route.
//!
//!     cargo bench -p dml-index --bench catchup [-- TASKS]

use std::time::{Duration, Instant};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{chain::dev_signers, NodeConfig, DEV_MNEMONIC};
use dml_primitives::{IEngine, ONE_DML};
use futures_util::{stream, StreamExt};
use serde_json::Value;

const SENDERS: u32 = 8;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

async fn send(provider: &impl Provider, engine: Address, call: Vec<u8>) -> alloy_rpc_types_eth::TransactionReceipt {
    let request = TransactionRequest::default().with_to(engine).with_input(Bytes::from(call));
    provider.send_transaction(request).await.unwrap().get_receipt().await.unwrap()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let tasks: u64 =
        std::env::args().skip(1).find(|a| !a.starts_with('-')).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let node = dml_chain::spawn(NodeConfig { rpc_address: "127.0.0.1:0".parse().unwrap(), ..NodeConfig::default() })
        .await
        .expect("node starts");
    let url = node.http_url();
    let signers = dev_signers(DEV_MNEMONIC, SENDERS + 1).unwrap();
    let providers: Vec<_> = signers
        .iter()
        .map(|s| ProviderBuilder::new().wallet(EthereumWallet::from(s.clone())).connect_http(url.parse().unwrap()))
        .collect();
    let contracts: Value = providers[0].raw_request("dml_getContracts".into(), ()).await.unwrap();
    let engine: Address = contracts["engine"].as_str().unwrap().parse().unwrap();
    let template = br#"{"name":"bench","input":{"prompt":{"type":"string"}},"output":"text"}"#.to_vec();
    let register =
        IEngine::registerModelCall { addr_: Address::repeat_byte(0x3d), fee_: U256::ZERO, template_: template.into() };
    let receipt = send(&providers[0], engine, register.abi_encode()).await;
    let model = IEngine::ModelRegistered::decode_log_data(receipt.inner.logs()[0].data()).unwrap().id;

    eprintln!("building a chain of {tasks} tasks from {SENDERS} accounts…");
    let started = Instant::now();
    let per_sender = tasks.div_ceil(SENDERS as u64);
    let jobs = (1..=SENDERS as usize).map(|i| {
        let provider = &providers[i];
        let owner = signers[i].address();
        async move {
            for n in 0..per_sender {
                let input = format!(r#"{{"prompt":"task {n} of {i}"}}"#).into_bytes();
                let call = IEngine::submitTaskCall {
                    version_: 0,
                    owner_: owner,
                    model_: model,
                    fee_: ONE_DML / U256::from(1000),
                    input_: input.into(),
                };
                send(provider, engine, call.abi_encode()).await;
            }
        }
    });
    futures_util::future::join_all(jobs).await;
    let head = providers[0].get_block_number().await.unwrap();
    eprintln!("  {} blocks in {:.1} s", head + 1, started.elapsed().as_secs_f64());

    // Reference: the same headers and logs, fetched only.
    let reader = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let started = Instant::now();
    let mut logs = 0usize;
    for from in (0..=head).step_by(500) {
        let to = (from + 499).min(head);
        let headers: Vec<_> = stream::iter(from..=to)
            .map(|n| {
                let reader = &reader;
                async move { reader.get_block_by_number(BlockNumberOrTag::Number(n)).await }
            })
            .buffered(16)
            .collect()
            .await;
        assert!(headers.iter().all(|h| h.as_ref().is_ok_and(Option::is_some)));
        logs += reader.get_logs(&Filter::new().address(engine).from_block(from).to_block(to)).await.unwrap().len();
    }
    let fetch_only = started.elapsed();

    let dir = tempfile::tempdir().unwrap();
    let mut config = dml_index::IndexConfig::new(url.clone());
    config.db = Some(dir.path().join("bench.sqlite"));
    config.poll_interval = Duration::from_millis(5);
    let started = Instant::now();
    let index = dml_index::spawn(config).await.unwrap();
    while index.health.lock().unwrap().indexed_block != Some(head) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let catch_up = started.elapsed();
    let blocks = (head + 1) as f64;

    println!("indexer catch-up, {tasks} tasks, {} blocks, {logs} engine events", head + 1);
    println!("| | seconds | blocks/s | events/s | ratio |");
    println!("|---|---|---|---|---|");
    for (name, took) in [("fetch only (reference)", fetch_only), ("dml-index to SQLite", catch_up)] {
        let s = took.as_secs_f64();
        println!(
            "| {name} | {s:.2} | {:.0} | {:.0} | {:.2} |",
            blocks / s,
            logs as f64 / s,
            fetch_only.as_secs_f64() / s
        );
    }

    let task = {
        let (_, page) = get(&index.url(), "/api/v1/tasks?limit=1").await;
        page["items"][0]["id"].as_str().unwrap().to_string()
    };
    let solver = format!("{:#x}", signers[1].address());
    println!();
    println!("API latency, 300 sequential requests each, ms");
    println!("| route | p50 | p99 |");
    println!("|---|---|---|");
    for route in [
        "/health".to_string(),
        "/api/v1/stats".into(),
        "/api/v1/tasks?limit=50".into(),
        format!("/api/v1/tasks/{task}"),
        "/api/v1/models".into(),
        format!("/api/v1/solvers/{solver}"),
        "/api/v1/events?limit=50".into(),
        format!("/api/v1/search?q={task}"),
    ] {
        let mut times = Vec::with_capacity(300);
        for _ in 0..300 {
            let started = Instant::now();
            let (status, _) = get(&index.url(), &route).await;
            times.push(started.elapsed());
            assert_eq!(status, 200, "{route}");
        }
        times.sort();
        println!("| `{route}` | {:.2} | {:.2} |", percentile(&times, 0.5), percentile(&times, 0.99));
    }
    drop(index);
    node.shutdown().await;
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}{path}")).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}
