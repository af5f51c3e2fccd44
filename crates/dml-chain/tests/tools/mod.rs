//! Helpers of `tool_clients.rs`: where the scripts and Foundry's binaries
//! are, whether they are installed, a spawned `anvil` on a free port, and
//! running one script against a node's URLs.
#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

/// How long one script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);

/// How long anvil may take to answer after it is spawned.
const ANVIL_START_TIMEOUT: Duration = Duration::from_secs(30);

/// `crates/dml-chain/tests/js`.
pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// A binary npm installed under `tests/js/node_modules/.bin`.
pub fn npm_bin(name: &str) -> PathBuf {
    js_dir().join("node_modules/.bin").join(name)
}

fn runs(program: &Path, arg: &str) -> bool {
    std::process::Command::new(program).arg(arg).output().is_ok_and(|output| output.status.success())
}

/// Whether what `script` needs (node and the npm packages; cast for the
/// `.sh` scripts; anvil when `on_anvil`) is installed. Under `CI=true` a
/// missing piece fails the test; elsewhere the test skips with a message.
pub fn ready(script: &str, on_anvil: bool) -> bool {
    let mut missing = Vec::new();
    if !runs(Path::new("node"), "--version") {
        missing.push("node".to_string());
    }
    for package in ["viem", "ethers", "solc"] {
        if !js_dir().join("node_modules").join(package).is_dir() {
            missing.push(format!("the npm package {package}"));
        }
    }
    if script.ends_with(".sh") && !runs(&npm_bin("cast"), "--version") {
        missing.push("cast (@foundry-rs/cast-linux-amd64)".into());
    }
    if on_anvil && !runs(&npm_bin("anvil"), "--version") {
        missing.push("anvil (@foundry-rs/anvil-linux-amd64)".into());
    }
    if missing.is_empty() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|value| value == "true" || value == "1");
    assert!(!ci, "{} missing: run scripts/setup/chain.sh", missing.join(", "));
    eprintln!("skipping {script}: {} missing (run scripts/setup/chain.sh)", missing.join(", "));
    false
}

/// A spawned anvil, killed when dropped.
pub struct Anvil {
    child: tokio::process::Child,
    port: u16,
}

impl Anvil {
    /// Starts anvil on a free loopback port (anvil cannot take port 0) with
    /// its defaults: the `test … junk` mnemonic, chain id 31337, ten
    /// accounts of 10,000 ether; `--steps-tracing` so that
    /// `debug_traceTransaction` gives struct logs as geth does. Retries
    /// with another port if one is taken between the probe and the bind.
    pub async fn start() -> Anvil {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut child = tokio::process::Command::new(npm_bin("anvil"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--steps-tracing"])
                // anvil writes its cache under ~/.foundry: keep it in the target folder.
                .env("HOME", anvil_home())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("anvil starts");
            let deadline = Instant::now() + ANVIL_START_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        use tokio::io::AsyncReadExt;
                        let _ = pipe.read_to_string(&mut stderr).await;
                    }
                    last_error = format!("anvil exited with {status}: {stderr}");
                    break;
                }
                if answers(port).await {
                    return Anvil { child, port };
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = child.kill().await;
            if last_error.is_empty() {
                last_error = format!("anvil did not answer on port {port} within {ANVIL_START_TIMEOUT:?}");
            }
        }
        panic!("anvil did not start: {last_error}");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT` (anvil serves both on one port).
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Stops anvil.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A home folder for anvil (its `~/.foundry` cache), in the target folder.
fn anvil_home() -> PathBuf {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("anvil-home");
    std::fs::create_dir_all(&home).expect("anvil's home folder");
    home
}

async fn answers(port: u16) -> bool {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] });
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    match client.post(format!("http://127.0.0.1:{port}")).json(&body).send().await {
        Ok(response) => response.json::<Value>().await.is_ok_and(|value| value["result"] == "0x7a69"),
        Err(_) => false,
    }
}

/// Runs a script of `tests/js` (`node` for `.mjs`, `bash` for `.sh`) with
/// `DML_RPC_URL` and `DML_WS_URL`; asserts it succeeds and that its last
/// line is `{"ok":true,...}`, and returns that line. `target` names the
/// node in the failure message.
pub async fn run_script(script: &str, target: &str, http_url: &str, ws_url: &str) -> Value {
    let program = if script.ends_with(".sh") { "bash" } else { "node" };
    let child = tokio::process::Command::new(program)
        .arg(js_dir().join(script))
        .env("DML_RPC_URL", http_url)
        .env("DML_WS_URL", ws_url)
        .env("CAST", npm_bin("cast"))
        .current_dir(js_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the script starts");
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{script} against {target} did not finish within {SCRIPT_TIMEOUT:?}"))
        .expect("the script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} against {target} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    let last_line = stdout.lines().last().unwrap_or_default();
    let result: Value = serde_json::from_str(last_line)
        .unwrap_or_else(|error| panic!("{script} against {target}: the last line is not JSON ({error}):\n{stdout}"));
    assert_eq!(result["ok"], true, "{script} against {target}:\n{stdout}");
    eprintln!("{script} against {target}: {last_line}");
    result
}
