//! Runs the real `dml` binary: `dml devnet`, `dml solver`, `dml task …` on
//! loopback ports, and reads the chain through plain JSON-RPC.
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use dml_solver::chain::ChainClient;
use serde_json::Value;

pub const DML: &str = env!("CARGO_BIN_EXE_dml");

/// Whether the built-in model weights are here; under `CI=true` their
/// absence fails the test instead of skipping it.
pub fn weights_present() -> bool {
    let dir = dml_models::builtin::default_weights_dir();
    let present = ["textgenrnn", "all-MiniLM-L6-v2", "fashion-diffusion"].iter().all(|m| dir.join(m).exists());
    if !present {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("model weights missing in {} (run bash scripts/setup/models.sh)", dir.display());
        }
        eprintln!("skipping: model weights missing in {} (bash scripts/setup/models.sh)", dir.display());
    }
    present
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped.
pub struct Proc {
    pub child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "process did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A running `dml devnet` and what it printed.
pub struct Devnet {
    pub proc: Proc,
    pub info: Value,
    pub dir: tempfile::TempDir,
}

impl Drop for Devnet {
    /// On a failing test, prints the tail of every log in the network's
    /// directory (the devnet's and each `dml solver`'s).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut logs: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        logs.retain(|p| p.extension().is_some_and(|e| e == "log"));
        logs.sort();
        for path in logs {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("==== {} (last 60 lines)", path.display());
            for line in &lines[lines.len().saturating_sub(60)..] {
                eprintln!("{line}");
            }
        }
    }
}

impl Devnet {
    /// Starts `dml devnet --json` with these extra arguments on free ports.
    pub fn start(extra: &[&str]) -> Devnet {
        let dir = tempfile::tempdir().unwrap();
        let ports = [free_port(), free_port(), free_port()];
        let mut args: Vec<String> = vec![
            "devnet".into(),
            "--json".into(),
            "--data-dir".into(),
            dir.path().join("devnet").display().to_string(),
            "--rpc-port".into(),
            ports[0].to_string(),
            "--api-port".into(),
            ports[1].to_string(),
            "--gateway-port".into(),
            ports[2].to_string(),
            "--metrics-port".into(),
            "0".into(),
            "--indexer-port".into(),
            "0".into(),
            "--app-port".into(),
            "0".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let (proc, stdout) = spawn_devnet(dir.path(), &args);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let log = std::fs::read_to_string(dir.path().join("devnet.log")).unwrap_or_default();
            panic!("devnet printed no JSON ({e}): {line:?}\n{log}")
        });
        Devnet { proc, info, dir }
    }

    pub fn rpc_url(&self) -> String {
        self.info["rpc_url"].as_str().unwrap().to_string()
    }

    pub fn str(&self, key: &str) -> String {
        self.info[key].as_str().unwrap().to_string()
    }

    pub fn key(&self, account: usize) -> String {
        self.info["accounts"][account]["private_key"].as_str().unwrap().to_string()
    }

    pub fn address(&self, account: usize) -> Address {
        self.info["accounts"][account]["address"].as_str().unwrap().parse().unwrap()
    }

    pub fn model_id(&self, name: &str) -> B256 {
        let models = self.info["models"].as_array().unwrap();
        let model = models.iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no model {name}"));
        model["id"].as_str().unwrap().parse().unwrap()
    }

    pub fn solvers(&self) -> Vec<(Address, bool)> {
        self.info["solvers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["address"].as_str().unwrap().parse().unwrap(), s["malicious"].as_bool().unwrap()))
            .collect()
    }

    /// A client signing as dev account `account`.
    pub async fn client(&self, account: usize) -> ChainClient {
        let signer: PrivateKeySigner = self.key(account).parse().unwrap();
        ChainClient::connect(&self.rpc_url(), signer, None).await.unwrap()
    }

    /// The devnet's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("devnet.log")).unwrap_or_default()
    }

    /// Runs `dml ARGS…` against this network, as dev account `account`.
    pub fn dml(&self, account: usize, args: &[&str]) -> Output {
        Command::new(DML)
            .args(args)
            .args(["--rpc-url", &self.rpc_url(), "--api-url", &self.str("api_url")])
            .args(["--gateway-url", &self.str("gateway_url"), "--dev-account", &account.to_string()])
            .env_remove("DML_CONFIG")
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }
}

/// Spawns `dml ARGS…` (a `devnet` command line) with its stdout piped and its
/// log in `dir/devnet.log`.
pub fn spawn_devnet(dir: &Path, args: &[String]) -> (Proc, ChildStdout) {
    let mut child = Command::new(DML)
        .args(args)
        .env("RUST_LOG", "info,dml_solver=debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(dir.join("devnet.log")).unwrap()))
        .spawn()
        .expect("spawn dml devnet");
    let stdout = child.stdout.take().unwrap();
    (Proc { child }, stdout)
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// DML balance plus stake: what staking moves between leaves unchanged.
/// Both are read at one block, so a deposit landing between the two reads
/// cannot count twice or not at all.
pub async fn holdings(client: &ChainClient, who: Address) -> U256 {
    use alloy_eips::BlockNumberOrTag;
    let block = BlockNumberOrTag::Number(client.block_number().await.unwrap());
    let balance =
        client.view_in(client.token(), dml_primitives::IDmlToken::balanceOfCall { account: who }, block).await.unwrap();
    let validator =
        client.view_in(client.engine(), dml_primitives::IEngine::validatorsCall { addr: who }, block).await.unwrap();
    balance + validator.staked
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts `dml solver` as its own process.
pub fn start_solver(devnet: &Devnet, account: usize, data_dir: &Path, extra: &[&str], failpoint: Option<&str>) -> Proc {
    let log: PathBuf = data_dir.with_extension(format!("{}.log", failpoint.unwrap_or("run")));
    let mut command = Command::new(DML);
    command
        .args(["solver", "--rpc-url", &devnet.rpc_url(), "--ws-url", &devnet.str("ws_url")])
        .args(["--api-url", &devnet.str("api_url"), "--data-dir", &data_dir.display().to_string()])
        .args(extra)
        .env("DML_PRIVATE_KEY", devnet.key(account))
        .env("RUST_LOG", "info,dml_solver=debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap()));
    match failpoint {
        Some(point) => command.env(dml_solver::FAILPOINT_ENV, point),
        None => command.env_remove(dml_solver::FAILPOINT_ENV),
    };
    Proc { child: command.spawn().expect("spawn dml solver") }
}

/// Sends `submitTask` from `owner` (who owns the task) and returns the task
/// id, read from the `TaskSubmitted` log of the receipt's block, and that block.
pub async fn submit_task(owner: &ChainClient, model: B256, fee: U256, input: &[u8]) -> (B256, u64) {
    use alloy_sol_types::SolEvent;
    let receipt = owner
        .send_and_wait(
            dml_primitives::IEngine::submitTaskCall {
                version_: 0,
                owner_: owner.address(),
                model_: model,
                fee_: fee,
                input_: alloy_primitives::Bytes::copy_from_slice(input),
            },
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let task = owner
        .logs(receipt.block, receipt.block)
        .await
        .unwrap()
        .iter()
        .find_map(|l| dml_primitives::IEngine::TaskSubmitted::decode_log_data(l.data()).ok())
        .expect("TaskSubmitted")
        .id;
    (task, receipt.block)
}

/// Sends `bulkSubmitTask`s of at most `per_tx` tasks each (a transaction may
/// use at most 2^24 gas since Osaka) until `n` tasks with `input` exist, and
/// returns their ids in order.
pub async fn bulk_submit_tasks(
    owner: &ChainClient,
    model: B256,
    fee: U256,
    input: &[u8],
    n: usize,
    per_tx: usize,
) -> Vec<B256> {
    use alloy_sol_types::SolEvent;
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let count = (n - ids.len()).min(per_tx);
        let receipt = owner
            .send_and_wait(
                dml_primitives::IEngine::bulkSubmitTaskCall {
                    version_: 0,
                    owner_: owner.address(),
                    model_: model,
                    fee_: fee,
                    input_: alloy_primitives::Bytes::copy_from_slice(input),
                    n_: U256::from(count),
                },
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        let before = ids.len();
        ids.extend(
            owner
                .logs(receipt.block, receipt.block)
                .await
                .unwrap()
                .iter()
                .filter_map(|l| dml_primitives::IEngine::TaskSubmitted::decode_log_data(l.data()).ok())
                .map(|e| e.id),
        );
        assert_eq!(ids.len() - before, count, "one TaskSubmitted per task of the bulk call");
    }
    ids
}
