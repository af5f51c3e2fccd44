//! Shared helpers for the node's integration tests: start a node on
//! loopback, send raw JSON-RPC, sign transactions with the dev keys.
#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

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

/// The size of each write the raw clients below make: Python's `http.client`
/// and many other clients send a body in pieces like this.
pub const WRITE_PIECE: usize = 64 * 1024;

/// How long a raw client waits for the node's answer before the test fails.
const RAW_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// How a raw client frames the request body.
#[derive(Clone, Copy, Debug)]
pub enum Framing {
    /// `Content-Length` up front: the node knows the size before reading.
    ContentLength,
    /// `Transfer-Encoding: chunked`: the node learns the size only by reading.
    Chunked,
}

/// An HTTP response read off a raw connection to its end (the node closed it).
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// `(name in lower case, value)`.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` if it is not JSON).
    pub body: Value,
}

impl RawResponse {
    /// Parses a whole HTTP/1.1 response; `None` if `bytes` is not one.
    pub fn parse(bytes: &[u8]) -> Option<RawResponse> {
        let text = std::str::from_utf8(bytes).ok()?;
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Some(RawResponse { status, headers, body: serde_json::from_str(body).unwrap_or(Value::Null) })
    }

    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

fn request_head(addr: SocketAddr, framing: Framing, length: usize) -> String {
    let framing = match framing {
        Framing::ContentLength => format!("Content-Length: {length}"),
        Framing::Chunked => "Transfer-Encoding: chunked".to_string(),
    };
    format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n")
}

async fn read_to_close(reader: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(RAW_READ_TIMEOUT, reader.read_to_end(&mut bytes)).await;
    read.expect("the node answers and closes the connection").expect("the answer reads cleanly");
    bytes
}

/// Posts `body` the way most HTTP clients do: the request head, then the
/// body in [`WRITE_PIECE`] writes, and only once it is all written the
/// answer, read until the node closes the connection. Panics if a write
/// fails: that is the node closing on a client still sending a body it
/// should have drained (the `BrokenPipe` this guards against).
pub async fn post_in_pieces(addr: SocketAddr, body: &[u8], framing: Framing) -> RawResponse {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request_head(addr, framing, body.len()).as_bytes()).await.expect("head written");
    for (index, piece) in body.chunks(WRITE_PIECE).enumerate() {
        let written = match framing {
            Framing::ContentLength => stream.write_all(piece).await,
            Framing::Chunked => {
                stream.write_all(&[format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat()).await
            }
        };
        if let Err(error) = written {
            panic!("write of piece {index} ({} of {} bytes sent) failed: {error}", index * WRITE_PIECE, body.len());
        }
    }
    if let Framing::Chunked = framing {
        stream.write_all(b"0\r\n\r\n").await.expect("last chunk written");
    }
    let bytes = read_to_close(&mut stream).await;
    RawResponse::parse(&bytes).unwrap_or_else(|| panic!("not an HTTP response: {:?}", String::from_utf8_lossy(&bytes)))
}

/// Sends a request head declaring a `declared`-byte body and the first bytes
/// of it (`sent`), then stops writing and reads the answer until the node
/// closes the connection.
pub async fn post_and_stall(addr: SocketAddr, declared: usize, sent: &[u8]) -> RawResponse {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request_head(addr, Framing::ContentLength, declared).as_bytes()).await.expect("head written");
    stream.write_all(sent).await.expect("first bytes written");
    let bytes = read_to_close(&mut stream).await;
    RawResponse::parse(&bytes).unwrap_or_else(|| panic!("not an HTTP response: {:?}", String::from_utf8_lossy(&bytes)))
}

/// What an upload that the node cut off came to.
#[derive(Debug)]
pub struct CutOff {
    /// Body bytes written before a write failed.
    pub written: usize,
    /// What the client read meanwhile (possibly nothing: a reset can come first).
    pub read: Vec<u8>,
}

/// Streams a chunked body of up to `max` bytes in [`WRITE_PIECE`] writes
/// while reading what the node sends back, and stops at the first failed
/// write. `None` if every write succeeded (the node read it all).
pub async fn stream_until_cut_off(addr: SocketAddr, max: usize) -> Option<CutOff> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
    let (mut reader, mut writer) = stream.into_split();
    let reading = tokio::spawn(async move {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes).await; // ends with EOF or a reset
        bytes
    });
    writer.write_all(request_head(addr, Framing::Chunked, 0).as_bytes()).await.expect("head written");
    let piece = [format!("{WRITE_PIECE:x}\r\n").as_bytes(), &[b' '; WRITE_PIECE], b"\r\n"].concat();
    let mut written = 0;
    while written < max {
        if writer.write_all(&piece).await.is_err() {
            let read = tokio::time::timeout(RAW_READ_TIMEOUT, reading).await.expect("the read side ends").unwrap();
            return Some(CutOff { written, read });
        }
        written += WRITE_PIECE;
    }
    reading.abort();
    None
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
