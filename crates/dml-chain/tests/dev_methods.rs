//! Dev controls and node modes: `evm_snapshot`/`evm_revert`,
//! `evm_setNextBlockTimestamp`, `evm_mine`, historical state by block tag,
//! `newHeads` and `logs` subscriptions over WebSocket, interval mining with
//! `--block-time`, and a clean restart from `--data-dir`.

mod support;

use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use dml_primitives::{IDmlToken, SolCall, SolEvent};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_revert_time_and_history() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0);
    let bob = Address::repeat_byte(0xb1);

    let snapshot = raw.result("evm_snapshot", json!([])).await;
    let before = qty(&raw.result("eth_blockNumber", json!([])).await);
    let hash = raw
        .result(
            "eth_sendRawTransaction",
            json!([sign_1559(&alice, 0, bob, U256::from(5), Bytes::new(), 21_000, 31337)]),
        )
        .await;
    let receipt = raw.receipt(hash.as_str().unwrap()).await;
    let mined_in = qty(&receipt["blockNumber"]);
    assert_eq!(raw.result("eth_getBalance", json!([bob, "latest"])).await, "0x5");
    // History: the balance before the transfer's block.
    assert_eq!(raw.result("eth_getBalance", json!([bob, format!("{:#x}", mined_in - 1)])).await, "0x0");

    assert_eq!(raw.result("evm_revert", json!([snapshot])).await, true);
    assert_eq!(qty(&raw.result("eth_blockNumber", json!([])).await), before);
    assert_eq!(raw.result("eth_getBalance", json!([bob, "latest"])).await, "0x0");
    assert!(raw.result("eth_getTransactionReceipt", json!([hash])).await.is_null(), "the reverted tx is gone");
    assert_eq!(raw.result("eth_getTransactionCount", json!([alice.address(), "latest"])).await, "0x0");
    // A snapshot is used up by reverting to it.
    assert_eq!(raw.result("evm_revert", json!([snapshot])).await, false);

    // Time: the next block gets exactly the requested timestamp; earlier is refused.
    let head = raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    let target = qty(&head["timestamp"]) as u64 + 1000;
    raw.result("evm_setNextBlockTimestamp", json!([target])).await;
    // `evm_mine` answers "0x0", as anvil and hardhat do: the block is the new head.
    assert_eq!(raw.result("evm_mine", json!([])).await, "0x0");
    let block = raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(qty(&block["timestamp"]) as u64, target);
    let refused = raw.call("evm_setNextBlockTimestamp", json!([target - 10])).await;
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    raw.result("evm_increaseTime", json!([3600])).await;
    // `evm_mine` answers "0x0", as anvil and hardhat do: the block is the new head.
    assert_eq!(raw.result("evm_mine", json!([])).await, "0x0");
    let block = raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    assert!(qty(&block["timestamp"]) as u64 >= target + 3600);
    node.shutdown().await;
}

async fn next_text(
    socket: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message in time");
        if let Some(Ok(Message::Text(text))) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_subscriptions_follow_new_blocks_and_logs() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let token = node.shared().chain().contracts().token;
    let (mut socket, _) = tokio_tungstenite::connect_async(node.ws_url()).await.unwrap();
    let subscribe = |id: u64, params: Value| {
        json!({ "jsonrpc": "2.0", "id": id, "method": "eth_subscribe", "params": params }).to_string()
    };
    socket.send(Message::Text(subscribe(1, json!(["newHeads"])).into())).await.unwrap();
    let heads = next_text(&mut socket).await["result"].as_str().unwrap().to_string();
    let filter = json!({ "address": token, "topics": [IDmlToken::Transfer::SIGNATURE_HASH] });
    socket.send(Message::Text(subscribe(2, json!(["logs", filter])).into())).await.unwrap();
    let logs = next_text(&mut socket).await["result"].as_str().unwrap().to_string();
    assert_ne!(heads, logs);

    // An ordinary call over the same socket.
    socket
        .send(Message::Text(json!({"jsonrpc":"2.0","id":3,"method":"eth_chainId","params":[]}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_text(&mut socket).await["result"], "0x7a69");

    let alice = dev_key(0);
    let transfer = IDmlToken::transferCall { to: Address::repeat_byte(0xcc), amount: U256::from(7) };
    let tx = sign_1559(&alice, 0, token, U256::ZERO, transfer.abi_encode().into(), 200_000, 31337);
    let hash = raw.result("eth_sendRawTransaction", json!([tx])).await;
    let receipt = raw.receipt(hash.as_str().unwrap()).await;

    let mut saw_head = false;
    let mut saw_log = false;
    while !(saw_head && saw_log) {
        let notification = next_text(&mut socket).await;
        assert_eq!(notification["method"], "eth_subscription");
        let params = &notification["params"];
        if params["subscription"] == heads.as_str() {
            assert_eq!(params["result"]["number"], receipt["blockNumber"]);
            assert_eq!(params["result"]["hash"], receipt["blockHash"]);
            saw_head = true;
        } else if params["subscription"] == logs.as_str() {
            assert_eq!(params["result"]["transactionHash"], hash);
            assert_eq!(params["result"]["logIndex"], "0x0");
            saw_log = true;
        }
    }
    socket
        .send(Message::Text(
            json!({"jsonrpc":"2.0","id":4,"method":"eth_unsubscribe","params":[heads]}).to_string().into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_text(&mut socket).await["result"], true);
    // Subscriptions need a socket: over HTTP they are refused.
    let refused = raw.call("eth_subscribe", json!(["newHeads"])).await;
    assert_eq!(refused["error"]["code"], -32601);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_time_mines_on_an_interval_with_many_transactions_per_block() {
    let node = start_node_with(|config| config.block_time = Some(Duration::from_millis(500))).await;
    let raw = RawClient::new(&node.http_url());
    let start = qty(&raw.result("eth_blockNumber", json!([])).await);
    // Ten transactions from ten senders, signed first, then sent at once in one batch.
    let keys = dml_chain::chain::dev_signers(dml_chain::DEV_MNEMONIC, 10).unwrap();
    let batch: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(id, key)| {
            let tx = sign_1559(key, 0, Address::repeat_byte(0xdd), U256::from(1), Bytes::new(), 21_000, 31337);
            json!({ "jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [tx] })
        })
        .collect();
    let (_, answers) = raw.post(Value::Array(batch).to_string()).await;
    let hashes: Vec<Value> = answers.as_array().unwrap().iter().map(|answer| answer["result"].clone()).collect();
    let mut blocks = std::collections::BTreeSet::new();
    for hash in &hashes {
        blocks.insert(qty(&raw.receipt(hash.as_str().unwrap()).await["blockNumber"]));
    }
    assert!(blocks.len() <= 2, "ten transactions landed in at most two interval blocks: {blocks:?}");
    // Empty blocks keep coming on the interval.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let now = qty(&raw.result("eth_blockNumber", json!([])).await);
    assert!(now >= start + 3, "blocks mined on the interval: {start} -> {now}");
    // Receipts of one block carry increasing indices and cumulative gas.
    let last_block = *blocks.iter().next_back().unwrap();
    let block = raw.result("eth_getBlockByNumber", json!([format!("{last_block:#x}"), true])).await;
    let txs = block["transactions"].as_array().unwrap();
    let mut cumulative = 0;
    for (index, tx) in txs.iter().enumerate() {
        assert_eq!(qty(&tx["transactionIndex"]), index as u128);
        let receipt = raw.result("eth_getTransactionReceipt", json!([tx["hash"]])).await;
        cumulative += qty(&receipt["gasUsed"]);
        assert_eq!(qty(&receipt["cumulativeGasUsed"]), cumulative);
    }
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_restart_keeps_blocks_state_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let node = start_node_with(|config| config.data_dir = Some(path.clone())).await;
    let raw = RawClient::new(&node.http_url());
    let token = node.shared().chain().contracts().token;
    let transfer = IDmlToken::transferCall { to: Address::repeat_byte(0xee), amount: U256::from(99) };
    let tx = sign_1559(&dev_key(0), 0, token, U256::ZERO, transfer.abi_encode().into(), 200_000, 31337);
    let hash = raw.result("eth_sendRawTransaction", json!([tx])).await;
    let receipt = raw.receipt(hash.as_str().unwrap()).await;
    raw.result("evm_increaseTime", json!([5000])).await;
    let head = raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    node.shutdown().await;

    let node = start_node_with(|config| config.data_dir = Some(path.clone())).await;
    let raw = RawClient::new(&node.http_url());
    assert_eq!(raw.result("eth_getBlockByNumber", json!(["latest", false])).await["hash"], head["hash"]);
    assert_eq!(raw.result("eth_getTransactionReceipt", json!([hash])).await, receipt);
    let balance = IDmlToken::balanceOfCall { account: Address::repeat_byte(0xee) };
    let output = raw.result("eth_call", json!([{ "to": token, "data": Bytes::from(balance.abi_encode()) }])).await;
    assert_eq!(U256::from_str_radix(output.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(), U256::from(99));
    assert_eq!(raw.result("eth_getTransactionCount", json!([dev_key(0).address(), "latest"])).await, "0x1");
    // The time offset survived: the next block is at least 5000 s ahead of the clock.
    // `evm_mine` answers "0x0", as anvil and hardhat do: the block is the new head.
    assert_eq!(raw.result("evm_mine", json!([])).await, "0x0");
    let block = raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    assert!(qty(&block["timestamp"]) as u64 >= dml_chain::chain::unix_now() + 4990);
    node.shutdown().await;
}
