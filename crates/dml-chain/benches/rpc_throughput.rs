//! End-to-end throughput of the dev chain over JSON-RPC, against anvil and
//! hardhat's node measured in the same run with the same client.
//!
//! `cargo bench -p dml-chain --bench rpc_throughput` starts each node in turn
//! as its own process — anvil (npm `@foundry-rs/anvil-linux-amd64`, pinned in
//! `benches/clients`), hardhat's node (`benches/hardhat`), `dml-chain` in
//! memory and `dml-chain --data-dir` (every block fsynced to the journal) —
//! and points one load generator at it: `benches/clients/load.mjs`, a single
//! viem client (Node.js, viem's http transport over keep-alive `node:http`
//! connections). It signs every transaction it can before the clock starts,
//! sends each with viem's `sendRawTransaction`, then asks for the receipt at
//! once with `eth_getTransactionReceipt` and again every 1 ms until it is
//! there: the same flow for every node. Workloads:
//!
//! - ETH transfers from one sender, each sent once the last one's receipt is in;
//! - ETH transfers from [`SENDERS`] senders at once, one each;
//! - the same two with a Solidity ERC-20 (`benches/clients/BenchToken.sol`)
//!   deployed on each node;
//! - engine task lifecycles (submitTask, signalCommitment, submitSolution,
//!   claimSolution), on the dev chain only: the engine exists only there.
//!
//! It prints one table (transactions per second and p50/p99 from send to
//! receipt, per node and workload, with the dev chain's ratio to the faster
//! reference) and the RPC calls each transaction took (2 when the receipt is
//! there when `eth_sendRawTransaction` returns). The npm packages are
//! installed with `npm ci` when missing (npm's cache in `$DML_CACHE/npm`);
//! without anvil or hardhat the table has our columns only, and says so.
//!
//! Environment: `DML_BENCH_NODES` (comma-separated subset of
//! `anvil,hardhat,dml,dml-disk`), `DML_BENCH_SEQUENTIAL`, `DML_BENCH_SENDERS`,
//! `DML_BENCH_WAIT` (`poll`, or `viem` for viem's `waitForTransactionReceipt`),
//! `DML_BENCH_POLL_MS`, `DML_BENCH_CONC_POLL_MS`, `DML_BENCH_SOCKETS` (most
//! connections the client keeps open; default [`MAX_SOCKETS`]),
//! `DML_BENCH_NO_TOKEN=1`,
//! `DML_BENCH_NO_INSTALL=1`, `DML_BENCH_DML_BIN` (another `dml-chain` build to
//! measure, e.g. one from another branch).

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{hex, U256};
use alloy_signer_local::PrivateKeySigner;
use dml_chain::config::Allocation;
use dml_primitives::ONE_DML;
use serde_json::{json, Value};

/// Sequential transfers per workload (after a warm-up of [`WARMUP`]).
const SEQUENTIAL: usize = 500;
/// Unmeasured sequential transfers first (JIT, connections, caches).
const WARMUP: usize = 100;
/// Senders of the concurrent workloads, one transaction each.
const SENDERS: usize = 1000;
/// Workers of the lifecycle workload, all at once.
const LIFECYCLE_WORKERS: usize = 50;
/// Lifecycles per worker.
const ROUNDS: usize = 4;
/// Most HTTP connections the client keeps open to a node at once (requests
/// beyond it queue for a free one), as a connection pool does. One connection
/// per sender (1,000 on 2 cores) measured the client's TCP set-up more than
/// the nodes: every node landed at 450-790 tx/s.
const MAX_SOCKETS: usize = 64;
/// Milliseconds between receipt polls of one transaction while many wait at once.
const CONCURRENT_POLL_MS: usize = 1;

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn key_hex(signer: &PrivateKeySigner) -> String {
    format!("0x{}", hex::encode(signer.to_bytes()))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches")
}

/// Runs `npm ci` in `dir` unless its `node_modules` matches the lockfile.
fn npm_install(dir: &Path) -> Result<(), String> {
    let stamp = dir.join("node_modules/.installed-lock");
    let lock = std::fs::read(dir.join("package-lock.json")).map_err(|e| format!("no package-lock.json: {e}"))?;
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    if std::env::var_os("DML_BENCH_NO_INSTALL").is_some() {
        return Err("not installed (DML_BENCH_NO_INSTALL is set)".into());
    }
    let cache = std::env::var_os("npm_config_cache").map(PathBuf::from).unwrap_or_else(|| {
        let dml_cache = std::env::var_os("DML_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache/dml")
        });
        dml_cache.join("npm")
    });
    eprintln!("rpc_throughput: npm ci in {}", dir.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
        .env("npm_config_cache", cache)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !status.success() {
        return Err(format!("npm ci failed ({status})"));
    }
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}

/// One JSON-RPC call over a fresh HTTP/1.1 connection (start-up checks only).
fn rpc(url: &str, method: &str, params: Value) -> Option<Value> {
    let address = url.strip_prefix("http://")?;
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    // Not every server closes after `Connection: close`: read until the body is
    // one whole JSON object (chunked or not).
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream.read(&mut buffer).ok()?;
        if read == 0 {
            return None;
        }
        response.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&response);
        let Some((_, body)) = text.split_once("\r\n\r\n") else { continue };
        let (Some(start), Some(end)) = (body.find('{'), body.rfind('}')) else { continue };
        if let Ok(value) = serde_json::from_str::<Value>(&body[start..=end]) {
            return value.get("result").cloned();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A node under test; killed when dropped.
struct Node {
    child: Child,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until_serving(mut node: Node, name: &str) -> Result<Node, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if rpc(&node.url, "eth_chainId", json!([])).is_some() {
            return Ok(node);
        }
        if let Ok(Some(status)) = node.child.try_wait() {
            return Err(format!("{name} exited at start-up ({status})"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{name} did not answer within 120 s"))
}

fn start_anvil(clients: &Path) -> Result<Node, String> {
    let anvil = clients.join("node_modules/.bin/anvil");
    if !anvil.exists() {
        return Err("not installed (npm's @foundry-rs/anvil-linux-amd64 is for Linux x64 only)".into());
    }
    let port = free_port();
    let child = Command::new(anvil)
        .args(["--port", &port.to_string(), "--silent"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start anvil: {e}"))?;
    wait_until_serving(Node { child, url: format!("http://127.0.0.1:{port}") }, "anvil")
}

fn start_hardhat(dir: &Path) -> Result<Node, String> {
    if !dir.join("node_modules/hardhat").is_dir() {
        return Err("not installed".into());
    }
    // The default accounts; the bench's senders are funded with hardhat_setBalance.
    let config = "module.exports = { solidity: \"0.8.24\", networks: { hardhat: { chainId: 31337 } } };\n";
    std::fs::write(dir.join("hardhat.config.cjs"), config).map_err(|e| e.to_string())?;
    let port = free_port();
    let child = Command::new(dir.join("node_modules/.bin/hardhat"))
        .args(["--config", "hardhat.config.cjs", "node", "--port", &port.to_string()])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start hardhat: {e}"))?;
    wait_until_serving(Node { child, url: format!("http://127.0.0.1:{port}") }, "hardhat")
}

/// Starts the `dml-chain` binary (the same node as `dml node`) on a free port.
fn start_dml(genesis: &Path, data_dir: Option<&Path>, log: &Path) -> Result<Node, String> {
    let binary = std::env::var_os("DML_BENCH_DML_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_dml-chain").into());
    let mut command = Command::new(binary);
    command.args(["--rpc-port", "0", "--json", "--genesis"]).arg(genesis);
    if let Some(dir) = data_dir {
        command.arg("--data-dir").arg(dir);
    }
    let stderr = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start dml-chain: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).map_err(|e| e.to_string())?;
    let info: Value = serde_json::from_str(&line)
        .map_err(|e| format!("dml-chain start-up line {line:?}: {e}; log: {}", log.display()))?;
    let url = info["rpc_url"].as_str().ok_or("no rpc_url in the start-up line")?.to_string();
    wait_until_serving(Node { child, url }, "dml-chain")
}

struct Keys {
    sequential: PrivateKeySigner,
    senders: Vec<PrivateKeySigner>,
    workers: Vec<PrivateKeySigner>,
}

fn genesis(keys: &Keys) -> dml_chain::GenesisConfig {
    let mut genesis = dml_chain::GenesisConfig::default();
    genesis.engine.min_claim_solution_time = 0;
    // As much ether as the references' `*_setBalance` gives (1,000 ETH).
    for signer in std::iter::once(&keys.sequential).chain(&keys.senders) {
        genesis.allocations.push(Allocation { address: signer.address(), wei: eth(1000), dml: U256::ZERO });
    }
    for signer in &keys.workers {
        let dml = U256::from(100u64) * ONE_DML;
        genesis.allocations.push(Allocation { address: signer.address(), wei: eth(100), dml });
    }
    genesis
}

/// Runs the load generator against `url`; its JSON report.
fn run_client(clients: &Path, work: &Path, name: &str, url: &str, keys: &Keys, dml: bool) -> Result<Value, String> {
    let owner = dml_chain::chain::dev_signers(dml_chain::DEV_MNEMONIC, 1).map_err(|e| e.to_string())?.remove(0);
    let fund = match name {
        "anvil" => Value::from("anvil_setBalance"),
        "hardhat" => Value::from("hardhat_setBalance"),
        _ => Value::Null,
    };
    let plan = json!({
        "node": name,
        "url": url,
        "fund": fund,
        "sequential_key": key_hex(&keys.sequential),
        "sender_keys": keys.senders.iter().map(key_hex).collect::<Vec<_>>(),
        "sequential": env_usize("DML_BENCH_SEQUENTIAL", SEQUENTIAL),
        "warmup": WARMUP,
        "wait": std::env::var("DML_BENCH_WAIT").unwrap_or_else(|_| "poll".into()),
        "polling_interval_ms": env_usize("DML_BENCH_POLL_MS", 1),
        "concurrent_polling_interval_ms": env_usize("DML_BENCH_CONC_POLL_MS", CONCURRENT_POLL_MS),
        "token": std::env::var_os("DML_BENCH_NO_TOKEN").is_none(),
        "max_sockets": env_usize("DML_BENCH_SOCKETS", MAX_SOCKETS),
        "lifecycles": dml.then(|| json!({
            "owner_key": key_hex(&owner),
            "worker_keys": keys.workers.iter().map(key_hex).collect::<Vec<_>>(),
            "rounds": ROUNDS,
        })),
    });
    let plan_path = work.join(format!("plan-{name}.json"));
    std::fs::write(&plan_path, plan.to_string()).map_err(|e| e.to_string())?;
    let output = Command::new("node")
        .arg(clients.join("load.mjs"))
        .arg(&plan_path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !output.status.success() {
        return Err(format!("the load generator failed ({})", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().ok_or("the load generator printed nothing")?;
    serde_json::from_str(last).map_err(|e| format!("load generator output: {e}"))
}

/// One node's figures per workload.
type Figures = BTreeMap<String, Value>;

fn figures(report: &Value) -> Figures {
    report["results"]
        .as_array()
        .map(|rows| rows.iter().map(|row| (row["workload"].as_str().unwrap_or("?").to_string(), row.clone())).collect())
        .unwrap_or_default()
}

fn cell(row: Option<&Value>) -> String {
    match row {
        Some(row) => format!(
            "{:>6.0} {:>7.2} {:>7.2}",
            row["tx_per_s"].as_f64().unwrap_or(0.0),
            row["p50_ms"].as_f64().unwrap_or(0.0),
            row["p99_ms"].as_f64().unwrap_or(0.0)
        ),
        None => format!("{:>6} {:>7} {:>7}", "-", "-", "-"),
    }
}

fn ratio(ours: Option<&Value>, reference: Option<f64>) -> String {
    match (ours.and_then(|row| row["tx_per_s"].as_f64()), reference) {
        (Some(ours), Some(reference)) if reference > 0.0 => format!("{:.2}x", ours / reference),
        _ => "-".into(),
    }
}

fn print_table(nodes: &[(&str, Result<Figures, String>)]) {
    let workloads = [
        ("eth_sequential", format!("ETH transfers, sequential ({})", env_usize("DML_BENCH_SEQUENTIAL", SEQUENTIAL))),
        ("eth_concurrent", format!("ETH transfers, {} senders at once", env_usize("DML_BENCH_SENDERS", SENDERS))),
        ("token_sequential", "ERC-20 transfers, sequential".to_string()),
        ("token_concurrent", "ERC-20 transfers, all senders at once".to_string()),
        ("lifecycles", format!("task lifecycles, {LIFECYCLE_WORKERS} x {ROUNDS} (4 tx each)")),
    ];
    let get = |name: &str, workload: &str| {
        nodes.iter().find(|(n, _)| *n == name).and_then(|(_, f)| f.as_ref().ok()).and_then(|f| f.get(workload)).cloned()
    };
    let line = |cells: &[String]| println!("| {} |", cells.join(" | "));
    let node_columns = ["anvil", "hardhat", "dml node (memory)", "dml node (--data-dir)"];
    println!();
    println!("JSON-RPC throughput, one viem client: tx/s, p50 and p99 ms from send to receipt");
    let mut header = vec![format!("{:<38}", "workload")];
    header.extend(node_columns.iter().map(|name| format!("{name:^22}")));
    header.extend(["mem/best", "disk/bst", "disk/mem"].map(|name| format!("{name:>8}")));
    line(&header);
    let mut units = vec![" ".repeat(38)];
    units.extend(node_columns.iter().map(|_| format!("{:>6} {:>7} {:>7}", "tx/s", "p50", "p99")));
    units.extend([" "; 3].map(|_| " ".repeat(8)));
    line(&units);
    let rule: Vec<String> = units.iter().map(|cell| "-".repeat(cell.len())).collect();
    line(&rule);
    for (workload, label) in &workloads {
        let [anvil, hardhat, mem, disk] = ["anvil", "hardhat", "dml", "dml-disk"].map(|n| get(n, workload));
        if [&anvil, &hardhat, &mem, &disk].iter().all(|row| row.is_none()) {
            continue;
        }
        let best = [&anvil, &hardhat].iter().filter_map(|row| row.as_ref()?["tx_per_s"].as_f64()).reduce(f64::max);
        let mem_rate = mem.as_ref().and_then(|row| row["tx_per_s"].as_f64());
        let mut cells = vec![format!("{label:<38}")];
        cells.extend([&anvil, &hardhat, &mem, &disk].map(|row| cell(row.as_ref())));
        cells.extend(
            [ratio(mem.as_ref(), best), ratio(disk.as_ref(), best), ratio(disk.as_ref(), mem_rate)]
                .map(|ratio| format!("{ratio:>8}")),
        );
        line(&cells);
    }
    println!();
    println!("RPC calls per transaction (viem's flow; a receipt not there at the first ask costs more):");
    for (name, result) in nodes {
        match result {
            Ok(figures) => {
                for (workload, row) in figures {
                    // Set-up calls (a handful per run) round to nothing per transaction.
                    let calls: Vec<String> = row["calls_per_tx"]
                        .as_object()
                        .map(|calls| {
                            calls
                                .iter()
                                .filter_map(|(method, n)| Some((method, n.as_f64()?)))
                                .filter(|(_, n)| *n >= 0.005)
                                .map(|(method, n)| format!("{method} {n:.2}"))
                                .collect()
                        })
                        .unwrap_or_default();
                    let total: f64 = row["calls_per_tx"]
                        .as_object()
                        .map(|calls| calls.values().filter_map(Value::as_f64).sum())
                        .unwrap_or(0.0);
                    println!("  {name:<9} {workload:<17} {total:>5.2}: {}", calls.join(", "));
                }
            }
            Err(why) => println!("  {name:<9} not measured: {why}"),
        }
    }
    let missing: Vec<&str> = nodes
        .iter()
        .filter(|(name, result)| matches!(*name, "anvil" | "hardhat") && result.is_err())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        println!();
        println!(
            "note: no {} figures in this run, so no ratio against {}: the references install with `npm ci` in \
             crates/dml-chain/benches/clients (anvil, Linux x64) and crates/dml-chain/benches/hardhat",
            missing.join(" or "),
            if missing.len() == 2 { "them" } else { "it" },
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let bench = bench_dir();
    let clients = bench.join("clients");
    if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        println!("rpc_throughput: not run: the load generator is a viem client and needs Node.js 20+ (`node`)");
        return;
    }
    if let Err(why) = npm_install(&clients) {
        println!("rpc_throughput: not run: the load generator's packages (benches/clients): {why}");
        return;
    }
    let hardhat_dir = bench.join("hardhat");
    let hardhat_installed = npm_install(&hardhat_dir);

    let keys = Keys {
        sequential: PrivateKeySigner::random(),
        senders: (0..env_usize("DML_BENCH_SENDERS", SENDERS)).map(|_| PrivateKeySigner::random()).collect(),
        workers: (0..LIFECYCLE_WORKERS).map(|_| PrivateKeySigner::random()).collect(),
    };
    let work = tempfile::tempdir().expect("a temporary folder");
    let genesis_path = work.path().join("genesis.json");
    std::fs::write(&genesis_path, serde_json::to_vec(&genesis(&keys)).expect("genesis serialises")).unwrap();

    let selected = std::env::var("DML_BENCH_NODES").unwrap_or_else(|_| "anvil,hardhat,dml,dml-disk".into());
    let mut nodes: Vec<(&str, Result<Figures, String>)> = Vec::new();
    for name in ["anvil", "hardhat", "dml", "dml-disk"] {
        if !selected.split(',').any(|s| s.trim() == name) {
            continue;
        }
        let data_dir = work.path().join("data");
        let log = work.path().join(format!("{name}.log"));
        let started = match name {
            "anvil" => start_anvil(&clients),
            "hardhat" => hardhat_installed.clone().and_then(|()| start_hardhat(&hardhat_dir)),
            "dml" => start_dml(&genesis_path, None, &log),
            _ => start_dml(&genesis_path, Some(&data_dir), &log),
        };
        let result = started.and_then(|node| {
            eprintln!("rpc_throughput: {name} at {}", node.url);
            let report = run_client(&clients, work.path(), name, &node.url, &keys, name.starts_with("dml"));
            drop(node);
            report.map(|report| figures(&report))
        });
        if let Err(why) = &result {
            eprintln!("rpc_throughput: {name}: {why}");
        }
        nodes.push((name, result));
    }
    print_table(&nodes);
}
