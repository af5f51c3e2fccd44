//! Shared helpers for the node's integration tests: start a node on
//! loopback, send raw JSON-RPC, sign transactions with the dev keys.
#![allow(dead_code)]

use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256, U256};
use dml_chain::{chain::dev_signers, GenesisConfig, NodeConfig, NodeHandle, DEV_MNEMONIC};
use serde_json::{json, Value};

/// Seconds before a solution can be claimed, in the tests' genesis.
pub const CLAIM_WINDOW: u64 = 60;

/// A genesis with short engine windows.
pub fn test_genesis() -> GenesisConfig {
    let mut genesis = GenesisConfig::default();
    genesis.engine.min_claim_solution_time = CLAIM_WINDOW;
    genesis.engine.min_retraction_wait_time = CLAIM_WINDOW;
    genesis.engine.min_contestation_vote_period_time = CLAIM_WINDOW;
    genesis
}

/// Starts an in-memory node on a free loopback port.
pub async fn start_node() -> NodeHandle {
    start_node_with(|_| {}).await
}

/// Starts a node after letting `adjust` change its configuration.
pub async fn start_node_with(adjust: impl FnOnce(&mut NodeConfig)) -> NodeHandle {
    let mut config =
        NodeConfig { rpc_address: "127.0.0.1:0".parse().unwrap(), genesis: test_genesis(), ..NodeConfig::default() };
    adjust(&mut config);
    dml_chain::spawn(config).await.expect("node starts")
}

/// The i-th dev key.
pub fn dev_key(index: u32) -> alloy_signer_local::PrivateKeySigner {
    dev_signers(DEV_MNEMONIC, index + 1).unwrap().pop().unwrap()
}

/// A raw JSON-RPC client over HTTP.
#[derive(Clone)]
pub struct RawClient {
    pub url: String,
    pub http: reqwest::Client,
}

impl RawClient {
    pub fn new(url: &str) -> Self {
        Self { url: url.into(), http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap() }
    }

    /// Posts a body and returns the HTTP status and the JSON response.
    pub async fn post(&self, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("node answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Calls a method; returns the whole response object.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        self.post(body.to_string()).await.1
    }

    /// Calls a method and returns its result, panicking on an error.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Waits for a receipt.
    pub async fn receipt(&self, hash: &str) -> Value {
        for _ in 0..2000 {
            let receipt = self.result("eth_getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return receipt;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("no receipt for {hash}");
    }
}

/// Parses a hex quantity.
pub fn qty(value: &Value) -> u128 {
    u128::from_str_radix(value.as_str().expect("quantity string").trim_start_matches("0x"), 16).unwrap()
}

/// Signs an EIP-1559 transaction.
pub fn sign_1559(
    signer: &alloy_signer_local::PrivateKeySigner,
    nonce: u64,
    to: Address,
    value: U256,
    input: Bytes,
    gas_limit: u64,
    chain_id: u64,
) -> Bytes {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_network::TxSignerSync;
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: to.into(),
        value,
        access_list: Default::default(),
        input,
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    tx.into_signed(signature).encoded_2718().into()
}

/// A CIDv0 multihash for a made-up output.
pub fn output_cid(tag: u8) -> Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[tag; 32]);
    Bytes::from(bytes)
}

/// Topic `index` of the first log of a receipt emitted with `topic0`.
pub fn log_topic(receipt: &Value, topic0: B256, index: usize) -> B256 {
    let logs = receipt["logs"].as_array().expect("logs");
    let log = logs
        .iter()
        .find(|log| log["topics"][0].as_str() == Some(&topic0.to_string()))
        .unwrap_or_else(|| panic!("no log with topic {topic0} in {receipt}"));
    log["topics"][index].as_str().unwrap().parse().unwrap()
}
