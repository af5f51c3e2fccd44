//! End-to-end bench of the network on this machine, through the real
//! binaries: `dml devnet` with N solvers, tasks sent over JSON-RPC.
//!
//! * latency: one task at a time, from sending `submitTask` to the solution
//!   being visible to the requester (`solutions(task)` non-empty), less the
//!   model's own run time (measured in this process on the same input);
//! * throughput: a burst of tasks (`bulkSubmitTask`s of 50), from sending them to
//!   the last solution, as tasks per second; next to the model alone.
//!
//! The model is textgenrnn asked for one character: a trivial run, so the
//! figures are the network's overhead. Needs the weights
//! (`bash scripts/setup/models.sh`).
//!
//!   cargo bench -p dml-cli --bench network [-- --solvers 3 --tasks 30 --burst 200]

#[path = "../tests/devnet_support/mod.rs"]
mod devnet_support;

use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256};
use devnet_support::*;
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use dml_models::template::builtin_template;
use dml_primitives::{task_seed, IEngine};

const INPUT: &str = r#"{"prompt":"bench","max_length":1,"temperature":0}"#;
/// Tasks per `bulkSubmitTask`: well under the 2^24 gas a transaction may use.
const BULK_TASKS_PER_TX: usize = 50;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !weights_present() {
        return;
    }
    let solvers = arg("--solvers", 3);
    let tasks = arg("--tasks", 30);
    let burst = arg("--burst", 200);

    // The model alone, in this process.
    let template = builtin_template("textgenrnn").unwrap().template;
    let model = BuiltinModel::load("textgenrnn", &default_weights_dir(), 1).unwrap();
    let mut model_ms = Vec::new();
    for i in 0..200u64 {
        let input = template.hydrate(INPUT.as_bytes(), i).unwrap();
        let started = Instant::now();
        model.run(&input).unwrap();
        model_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    model_ms.sort_by(f64::total_cmp);
    let model_p50 = percentile(&model_ms, 0.5);

    let mut net = Devnet::start(&["--solvers", &solvers.to_string(), "--claim-window", "2"]);
    let owner = net.client(9).await;
    let model_id = net.model_id("textgenrnn");
    // Let the solvers stake first.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Latency, one task at a time.
    let mut overhead_ms = Vec::new();
    for i in 0..tasks {
        let input = format!(r#"{{"prompt":"bench {i}","max_length":1,"temperature":0}}"#);
        let started = Instant::now();
        let (task, _) = submit_task(&owner, model_id, U256::ZERO, input.as_bytes()).await;
        wait_solved(&owner, &[task]).await;
        let total = started.elapsed().as_secs_f64() * 1e3;
        let seeded = template
            .hydrate(format!(r#"{{"prompt":"bench {i}","max_length":1,"temperature":0}}"#).as_bytes(), task_seed(task))
            .unwrap();
        let run_started = Instant::now();
        model.run(&seeded).unwrap();
        overhead_ms.push(total - run_started.elapsed().as_secs_f64() * 1e3);
    }
    overhead_ms.sort_by(f64::total_cmp);

    // Throughput: a burst of tasks, in as few `bulkSubmitTask` transactions
    // as the per-transaction gas cap (2^24 since Osaka) allows.
    let started = Instant::now();
    let ids = bulk_submit_tasks(&owner, model_id, U256::ZERO, INPUT.as_bytes(), burst, BULK_TASKS_PER_TX).await;
    assert_eq!(ids.len(), burst);
    wait_solved(&owner, &ids).await;
    let burst_secs = started.elapsed().as_secs_f64();
    let network_tps = burst as f64 / burst_secs;
    let model_tps = 1e3 / model_p50;

    println!();
    println!("network bench: {solvers} solvers, textgenrnn max_length 1 (model alone p50 {model_p50:.2} ms)");
    println!("| measure | value | ratio to baseline |");
    println!("|---|---:|---:|");
    println!(
        "| latency overhead p50 (submit → solution visible, less model time) | {:.1} ms | {:.0}× the model run |",
        percentile(&overhead_ms, 0.5),
        percentile(&overhead_ms, 0.5) / model_p50
    );
    println!(
        "| latency overhead p99 | {:.1} ms | {:.0}× the model run |",
        percentile(&overhead_ms, 0.99),
        percentile(&overhead_ms, 0.99) / model_p50
    );
    println!("| sustained tasks/s ({burst} tasks, {burst_secs:.1} s) | {network_tps:.1} | {:.3}× the model alone ({model_tps:.0}/s) |", network_tps / model_tps);
    net.proc.terminate();
}

/// Polls until every task has a solution.
async fn wait_solved(client: &dml_solver::chain::ChainClient, tasks: &[B256]) {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut pending: Vec<B256> = tasks.to_vec();
    while !pending.is_empty() {
        assert!(Instant::now() < deadline, "{} tasks never solved", pending.len());
        let mut still = Vec::new();
        for task in pending {
            if client.view(IEngine::solutionsCall { taskid: task }).await.unwrap().validator.is_zero() {
                still.push(task);
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}
