//! What the Stylus contracts cost, next to the dev chain: each program's
//! size (raw and brotli, against Stylus's 24 KB limit), and per call kind the
//! host work the wasm does under the harness (storage loads, slots flushed,
//! logs, calls to the other contract) beside the gas the dev chain charges
//! for the same successful calls, with the time each world took (the dev
//! chain is the baseline of the time ratio).
//!
//! `cargo bench -p dml-stylus --bench stylus_report` after `scripts/stylus-build.sh`
//! (or `scripts/stylus-build.sh report`).

#[path = "../tests/equivalence/mod.rs"]
mod equivalence;

use std::{collections::BTreeMap, time::Duration};

use equivalence::{generator::Generator, Harness, Pair, Tools};

const STYLUS_LIMIT_BYTES: u64 = 24 * 1024;

#[derive(Default)]
struct Row {
    calls: u64,
    gas: u64,
    loads: u64,
    stores: u64,
    logs: u64,
    bridge_calls: u64,
    delegate_calls: u64,
    wasm_time: Duration,
    chain_time: Duration,
}

fn main() {
    let tools = match Tools::find() {
        Ok(tools) => tools,
        Err(missing) => {
            eprintln!("stylus_report: {missing}");
            std::process::exit(2);
        }
    };
    let mut harness = Harness::start(tools);
    println!("## Program size\n");
    println!("| contract | wasm bytes | brotli bytes | of the 24 KB limit |");
    println!("|---|---:|---:|---:|");
    for (name, path) in harness.programs() {
        let (raw, compressed) = harness.size(&path);
        println!("| {name} | {raw} | {compressed} | {:.0} % |", 100.0 * compressed as f64 / STYLUS_LIMIT_BYTES as f64);
    }

    let mut rows: BTreeMap<&'static str, Row> = BTreeMap::new();
    let (sequences, calls) = (8u64, 150usize);
    for seed in 0..sequences {
        let mut pair = Pair::new(harness);
        let addresses = pair.chain.signers.iter().map(|s| s.address()).collect();
        let mut generator = Generator::new(0xbe7c_0000 + seed, addresses);
        let mut pending = generator.setup().into_iter();
        for _ in 0..calls {
            let call = pending.next().unwrap_or_else(|| generator.next_call());
            let started = std::time::Instant::now();
            let step = pair.step(call.sender, call.contract, &call.data, call.seconds);
            let chain_time = started.elapsed().saturating_sub(step.wasm_time);
            assert_eq!(step.wasm, step.chain, "{}: the worlds differ", call.kind);
            if !step.chain.ok {
                continue;
            }
            let logs: Vec<_> = step.chain.logs.iter().map(|l| (l.topics.clone(), l.data.clone())).collect();
            generator.observe(&call, &step.chain.output, &logs);
            let row = rows.entry(call.kind).or_default();
            row.calls += 1;
            row.gas += step.gas;
            row.loads += step.counts.storage_loads;
            row.stores += step.counts.storage_stores;
            row.logs += step.counts.logs;
            row.bridge_calls += step.counts.calls + step.counts.static_calls;
            row.delegate_calls += step.counts.delegate_calls;
            row.wasm_time += step.wasm_time;
            row.chain_time += chain_time;
        }
        harness = pair.harness;
    }

    println!("\n## Successful calls by kind (means per call)\n");
    println!("| call | n | dev-chain gas | wasm SLOADs | wasm slots flushed | logs | router→facet delegate calls | engine→token calls | wasm µs | dev-chain µs | wasm / dev chain |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, row) in &rows {
        let n = row.calls as f64;
        let wasm_us = row.wasm_time.as_secs_f64() * 1e6 / n;
        let chain_us = row.chain_time.as_secs_f64() * 1e6 / n;
        println!(
            "| {kind} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {wasm_us:.0} | {chain_us:.0} | {:.2} |",
            row.calls,
            row.gas as f64 / n,
            row.loads as f64 / n,
            row.stores as f64 / n,
            row.logs as f64 / n,
            row.delegate_calls as f64 / n,
            row.bridge_calls as f64 / n,
            wasm_us / chain_us
        );
    }
    println!("\nwasm µs: the harness round trip (JSON over a pipe, Python host functions, wasmtime); dev-chain µs: eth_call preview + signing + one mined block.");
}
