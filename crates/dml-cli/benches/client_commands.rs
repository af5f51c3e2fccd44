//! What the client commands cost on top of the JSON-RPC calls they make,
//! through the real `dml` binary against a real `dml node` and content server
//! on loopback. Each row is timed `--reps` times; the ratio is its median over
//! the median of the baseline named beside it, measured in the same run.
//!
//! * `dml --version`: process start alone;
//! * `dml balance`: start, connect, find the contracts, four views —
//!   against one in-process `eth_blockNumber` round trip;
//! * `dml balance --account`: the same with the signer a keystore (reads
//!   take its declared address; nothing is decrypted);
//! * `dml task submit --model ID|NAME`: resolve, validate, check, send and
//!   wait for the receipt — against an in-process alloy `submitTask` with
//!   receipt; by NAME with 1 and with 50 registered models (the name is
//!   resolved by scanning `ModelRegistered` logs and registering calldata).
//!
//!   cargo bench -p dml-cli --bench client_commands [-- --reps 20]

#[path = "../tests/client_support/mod.rs"]
mod client_support;

use std::time::{Duration, Instant};

use alloy_network::TransactionBuilder;
use alloy_primitives::Bytes;
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use client_support::*;
use dml_primitives::IEngine;

fn reps() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == "--reps").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(20)
}

struct Row {
    name: String,
    baseline: Option<&'static str>,
    samples: Vec<Duration>,
}

impl Row {
    fn quantile(&self, q: f64) -> f64 {
        let mut ms: Vec<f64> = self.samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        ms[(((ms.len() - 1) as f64) * q).round() as usize]
    }
}

fn time_command(net: &Network, args: &[&str], env: &[(&str, &str)], reps: usize) -> Vec<Duration> {
    (0..reps)
        .map(|_| {
            let mut command = net.command(args);
            for (key, value) in env {
                command.env(key, value);
            }
            let started = Instant::now();
            let output = command.output().expect("dml runs");
            let elapsed = started.elapsed();
            expect_ok(output, args);
            elapsed
        })
        .collect()
}

fn template_named(name: &str) -> Vec<u8> {
    let mut template: serde_json::Value = serde_json::from_slice(&textgenrnn_template()).unwrap();
    template["name"] = name.into();
    serde_json::to_vec(&template).unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let reps = reps();
    let net = Network::start();
    let provider = net.provider(0);
    let mut rows: Vec<Row> = Vec::new();

    let model = register(&net, &textgenrnn_template(), "0");
    let model_id = model.to_string();

    let mut rpc = Vec::new();
    for _ in 0..reps {
        let started = Instant::now();
        provider.get_block_number().await.unwrap();
        rpc.push(started.elapsed());
    }
    rows.push(Row { name: "eth_blockNumber (alloy, in process)".into(), baseline: None, samples: rpc });

    let mut submit = Vec::new();
    for _ in 0..reps {
        let call = IEngine::submitTaskCall {
            version_: 0,
            owner_: dev_key(0).address(),
            model_: model,
            fee_: Default::default(),
            input_: Bytes::from_static(b"{}"),
        };
        let request = TransactionRequest::default().with_to(net.engine).with_input(Bytes::from(call.abi_encode()));
        let started = Instant::now();
        let receipt = provider.send_transaction(request).await.unwrap().get_receipt().await.unwrap();
        submit.push(started.elapsed());
        assert!(receipt.status());
    }
    rows.push(Row { name: "submitTask + receipt (alloy, in process)".into(), baseline: None, samples: submit });

    let process = time_command(&net, &["--version"], &[], reps);
    rows.push(Row { name: "dml --version".into(), baseline: Some("eth_blockNumber"), samples: process });
    let balance = time_command(&net, &["balance", "--dev-account", "0", "--json"], &[], reps);
    rows.push(Row { name: "dml balance".into(), baseline: Some("eth_blockNumber"), samples: balance });
    let key = alloy_primitives::hex::encode(dev_key(3).to_bytes());
    net.command(&["wallet", "import", "ops", "--private-key", &key]).env("DML_PASSWORD", "pw").output().unwrap();
    let keystore = time_command(&net, &["balance", "--account", "ops", "--json"], &[("DML_PASSWORD", "pw")], reps);
    rows.push(Row {
        name: "dml balance --account (keystore, read only)".into(),
        baseline: Some("eth_blockNumber"),
        samples: keystore,
    });

    let submit_args = |model: &str| -> Vec<String> {
        ["task", "submit", "--model", model, "--input", "{}", "--dev-account", "0"].map(String::from).to_vec()
    };
    let by_id: Vec<String> = submit_args(&model_id);
    let by_id: Vec<&str> = by_id.iter().map(String::as_str).collect();
    let samples = time_command(&net, &by_id, &[], reps);
    rows.push(Row { name: "dml task submit --model ID".into(), baseline: Some("submitTask"), samples });
    let by_name: Vec<String> = submit_args("textgenrnn");
    let by_name: Vec<&str> = by_name.iter().map(String::as_str).collect();
    let samples = time_command(&net, &by_name, &[], reps);
    rows.push(Row { name: "dml task submit --model NAME (1 model)".into(), baseline: Some("submitTask"), samples });

    for index in 0..49 {
        let template = template_named(&format!("bench-model-{index}"));
        let call = IEngine::registerModelCall {
            addr_: dev_key(0).address(),
            fee_: Default::default(),
            template_: Bytes::from(template),
        };
        net.send(0, call).await;
    }
    let samples = time_command(&net, &by_name, &[], reps);
    rows.push(Row { name: "dml task submit --model NAME (50 models)".into(), baseline: Some("submitTask"), samples });

    println!("client command latency, {reps} runs each (ms; ratio = median / baseline median)");
    println!("{:<44} {:>9} {:>9} {:>9}  baseline", "operation", "median", "p90", "ratio");
    let median_of = |prefix: &str, rows: &[Row]| {
        rows.iter().find(|row| row.name.starts_with(prefix)).map(|row| row.quantile(0.5)).unwrap()
    };
    for row in &rows {
        let (ratio, baseline) = match row.baseline {
            Some(prefix) => (format!("{:.1}x", row.quantile(0.5) / median_of(prefix, &rows)), prefix),
            None => ("1.0x".into(), "(is one)"),
        };
        println!("{:<44} {:>9.2} {:>9.2} {:>9}  {baseline}", row.name, row.quantile(0.5), row.quantile(0.9), ratio);
    }
}
