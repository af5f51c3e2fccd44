//! Shared fixtures of the client tests and bench: a real `dml node` and
//! `dml content serve` on free loopback ports, the `dml` binary run in an
//! isolated home, and a test-played solver (pin, commit, reveal) over alloy.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use dml_content::{AddOptions, ContentClient};
use dml_primitives::IEngine;
use serde_json::Value;

pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Seconds of every engine window in the tests' genesis.
pub const WINDOW: u64 = 30;

pub fn dml_binary() -> &'static str {
    env!("CARGO_BIN_EXE_dml")
}

pub fn dev_key(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::<English>::try_from_phrase_nth(DEV_MNEMONIC, index).unwrap()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the first stdout line of a server process (its JSON "ready" line).
pub fn ready_line(child: &mut Child) -> Value {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("server prints a line");
    serde_json::from_str(line.trim()).unwrap_or_else(|error| panic!("ready line {line:?}: {error}"))
}

/// A dev chain and a content server, each its own `dml` process.
pub struct Network {
    _node: Guard,
    _content: Guard,
    pub rpc_url: String,
    pub api_url: String,
    pub gateway_url: String,
    pub dir: tempfile::TempDir,
    pub engine: Address,
}

impl Network {
    pub fn start() -> Network {
        Network::start_with_genesis("")
    }

    /// Starts the network with `extra` appended to the genesis file (TOML
    /// tables after the `[engine]` one, e.g. `[[models]]` or `[liquidity]`).
    pub fn start_with_genesis(extra: &str) -> Network {
        let dir = tempfile::tempdir().unwrap();
        let genesis = dir.path().join("genesis.toml");
        std::fs::write(
            &genesis,
            format!(
                "[engine]\nmin_claim_solution_time = {WINDOW}\nmin_retraction_wait_time = {WINDOW}\n\
                 min_contestation_vote_period_time = {WINDOW}\nexit_validator_min_unlock_time = {WINDOW}\n{extra}"
            ),
        )
        .unwrap();
        let mut node = Command::new(dml_binary())
            .args(["node", "--rpc-port", "0", "--json", "--genesis"])
            .arg(&genesis)
            .env_remove("DML_DATA_DIR")
            .env_remove("DML_RPC_PORT")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dml node starts");
        let node_info = ready_line(&mut node);
        let node = Guard(node);
        let (api_port, gateway_port) = (free_port(), free_port());
        let mut content = Command::new(dml_binary())
            .args(["content", "serve", "--json", "--api-port", &api_port.to_string()])
            .args(["--gateway-port", &gateway_port.to_string(), "--data-dir"])
            .arg(dir.path().join("content"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dml content serve starts");
        let content_info = ready_line(&mut content);
        let content = Guard(content);
        Network {
            _node: node,
            _content: content,
            rpc_url: node_info["rpc_url"].as_str().unwrap().to_owned(),
            api_url: content_info["api"].as_str().unwrap().trim_end_matches('/').to_owned(),
            gateway_url: content_info["gateway"].as_str().unwrap().trim_end_matches('/').to_owned(),
            engine: node_info["engine"].as_str().unwrap().parse().unwrap(),
            dir,
        }
    }

    pub fn keystore_dir(&self) -> PathBuf {
        self.dir.path().join("keystore")
    }

    /// `dml ARGS` with this network's URLs and an isolated home and keystore.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = isolated_command(self.dir.path());
        command
            .args(args)
            .env("DML_RPC_URL", &self.rpc_url)
            .env("DML_API_URL", &self.api_url)
            .env("DML_GATEWAY_URL", &self.gateway_url)
            .env("DML_KEYSTORE_DIR", self.keystore_dir());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("dml runs")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        expect_ok(self.run(args), args)
    }

    /// Runs and expects success with JSON on stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--json");
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{args:?} printed non-JSON {stdout:?}: {error}"))
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        expect_failure(self.run(args), args)
    }

    pub fn provider(&self, key: u32) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(dev_key(key)))
            .connect_http(self.rpc_url.parse().unwrap())
            .erased()
    }

    pub async fn nonce(&self, address: Address) -> u64 {
        self.provider(0).get_transaction_count(address).await.unwrap()
    }

    pub async fn advance_time(&self, seconds: u64) {
        let provider = self.provider(0);
        let _: Value = provider.raw_request("evm_increaseTime".into(), (seconds,)).await.unwrap();
        let _: Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    }

    pub async fn send(&self, key: u32, call: impl SolCall) {
        let provider = self.provider(key);
        let request = TransactionRequest::default().with_to(self.engine).with_input(Bytes::from(call.abi_encode()));
        let receipt = provider.send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        assert!(receipt.status(), "engine call by dev key {key} reverted");
    }

    pub async fn view<C: SolCall>(&self, call: C) -> C::Return {
        let request = TransactionRequest::default().with_to(self.engine).with_input(Bytes::from(call.abi_encode()));
        C::abi_decode_returns(&self.provider(0).call(request).await.unwrap()).unwrap()
    }

    /// Plays an honest-looking solver: pins `output`, commits, then reveals.
    pub async fn solve(&self, solver_key: u32, task: B256, output: &[u8]) -> String {
        let content = ContentClient::new(self.api_url.clone());
        let added = content.add_bytes("output", output.to_vec(), &AddOptions::default()).await.unwrap();
        let cid = Bytes::from(added.cid.to_bytes());
        let solver = dev_key(solver_key).address();
        let commitment = keccak256((solver, task, cid.clone()).abi_encode_params());
        self.send(solver_key, IEngine::signalCommitmentCall { commitment_: commitment }).await;
        self.send(solver_key, IEngine::submitSolutionCall { taskid_: task, cid_: cid }).await;
        added.cid.to_string()
    }

    /// Waits for the next TaskSubmitted and returns the task id and its input bytes (from calldata).
    pub async fn next_task(&self, after_block: u64) -> (B256, Vec<u8>) {
        let provider = self.provider(0);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let filter = Filter::new()
                .address(self.engine)
                .event_signature(IEngine::TaskSubmitted::SIGNATURE_HASH)
                .from_block(after_block);
            if let Some(log) = provider.get_logs(&filter).await.unwrap().first() {
                let id = IEngine::TaskSubmitted::decode_log_data(log.data()).unwrap().id;
                let tx: Value = provider
                    .raw_request("eth_getTransactionByHash".into(), (log.transaction_hash.unwrap(),))
                    .await
                    .unwrap();
                let input: Bytes = serde_json::from_value(tx["input"].clone()).unwrap();
                let call = IEngine::submitTaskCall::abi_decode(&input).unwrap();
                return (id, call.input_.to_vec());
            }
            assert!(Instant::now() < deadline, "no TaskSubmitted within a minute");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn head(&self) -> u64 {
        self.provider(0).get_block_number().await.unwrap()
    }
}

/// A `dml` command whose home, config dir and keystore are inside `dir`, with
/// no `DML_*` variables inherited from the caller's environment.
pub fn isolated_command(dir: &Path) -> Command {
    let mut command = Command::new(dml_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("DML_") {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("DML_KEYSTORE_DIR", dir.join("keystore"))
        .stdin(Stdio::null());
    command
}

pub fn expect_ok(output: Output, args: &[&str]) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dml {args:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}", output.status);
    stdout
}

pub fn expect_failure(output: Output, args: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "dml {args:?} should fail but succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!stderr.trim().is_empty(), "a failure explains itself");
    stderr
}

pub fn dml_units(text: &str) -> U256 {
    let whole: U256 = text.parse().unwrap();
    whole * U256::from(10u64).pow(U256::from(18))
}

pub fn textgenrnn_template() -> Vec<u8> {
    dml_models::template::builtin_template("textgenrnn").unwrap().bytes.to_vec()
}

/// A template whose output is a file (its runner is irrelevant to the client).
pub fn file_template() -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "name": "test-image",
        "version": 1,
        "runner": { "type": "builtin", "model": "textgenrnn" },
        "input": {
            "type": "object",
            "additionalProperties": false,
            "required": ["prompt"],
            "properties": { "prompt": { "type": "string", "maxLength": 100 } }
        },
        "output": { "type": "file", "media_type": "image/png" },
        "example": { "prompt": "a cat" }
    }))
    .unwrap()
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Registers a template with dev key 0 as signer; returns the model id.
pub fn register(net: &Network, template: &[u8], fee: &str) -> B256 {
    let file = write(net.dir.path(), &format!("template-{}.json", keccak256(template)), template);
    let stdout = net.ok(&["model", "register", "--template", &file, "--fee", fee, "--dev-account", "0"]);
    stdout.trim().parse().unwrap_or_else(|_| panic!("register printed {stdout:?}"))
}

/// A gateway that answers every request with the same wrong bytes (a real
/// HTTP server on loopback, one thread per connection). Returns its URL.
pub fn lying_gateway(body: &'static [u8]) -> String {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body);
            });
        }
    });
    url
}

/// Claims a solved task (as dev key `key`), asserting the engine accepts it.
pub async fn claim(net: &Network, key: u32, task: B256) {
    net.send(key, IEngine::claimSolutionCall { taskid_: task }).await;
}
