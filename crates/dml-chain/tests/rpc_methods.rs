//! The JSON-RPC methods Ethereum tools use beyond the basics, on a real node
//! over HTTP: unlocked and impersonated senders, signatures, poll filters,
//! block reads, the pool, state edits, mining modes, dumps, reset and CORS.
//! Each bad-input case checks the error and that the node keeps serving.

mod support;

use std::time::Duration;

use alloy_primitives::{keccak256, Address, Bytes, Signature, B256, U256};
use dml_primitives::{IDmlToken, SolCall, SolEvent};
use serde_json::{json, Value};
use support::*;

fn hex_bytes(value: &Value) -> Vec<u8> {
    alloy_primitives::hex::decode(value.as_str().expect("hex string")).expect("hex")
}

async fn still_serving(raw: &RawClient) {
    assert!(raw.result("eth_blockNumber", json!([])).await.is_string());
}

async fn error_of(raw: &RawClient, method: &str, params: Value) -> (i64, String) {
    let response = raw.call(method, params).await;
    let error = response.get("error").unwrap_or_else(|| panic!("{method} should fail: {response}"));
    (error["code"].as_i64().unwrap(), error["message"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_transaction_from_dev_and_impersonated_accounts() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0).address();
    let whale = Address::repeat_byte(0x77);
    let bob = Address::repeat_byte(0xb0);

    // A dev account: nonce, gas and fees are filled in; it is signed by alice's key.
    let hash = raw.result("eth_sendTransaction", json!([{ "from": alice, "to": bob, "value": "0x10" }])).await;
    // Automine: the receipt exists when the hash comes back (no polling).
    let receipt = raw.result("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["gasUsed"], "0x5208");
    let tx = raw.result("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(tx["type"], "0x2");
    assert_eq!(tx["from"].as_str().unwrap().to_lowercase(), format!("{alice:#x}"));
    assert_eq!(raw.result("eth_getBalance", json!([bob, "latest"])).await, "0x10");

    // A legacy transaction when a gas price is given.
    let hash = raw
        .result("eth_sendTransaction", json!([{ "from": alice, "to": bob, "value": "0x1", "gasPrice": "0x77359400" }]))
        .await;
    raw.receipt(hash.as_str().unwrap()).await;
    assert_eq!(raw.result("eth_getTransactionByHash", json!([hash])).await["type"], "0x0");

    // Neither a dev account nor impersonated: refused, nothing sent.
    let (code, message) = error_of(&raw, "eth_sendTransaction", json!([{ "from": whale, "to": bob }])).await;
    assert_eq!(code, -32602, "anvil's code");
    assert!(message.starts_with("No Signer available"), "{message}");
    still_serving(&raw).await;

    // Impersonated: its transactions go in unsigned and run as its own.
    raw.result("anvil_setBalance", json!([whale, "0xde0b6b3a7640000"])).await;
    assert_eq!(raw.result("anvil_impersonateAccount", json!([whale])).await, Value::Null);
    let hash = raw.result("eth_sendTransaction", json!([{ "from": whale, "to": bob, "value": "0x5" }])).await;
    let receipt = raw.receipt(hash.as_str().unwrap()).await;
    assert_eq!(receipt["from"].as_str().unwrap().to_lowercase(), format!("{whale:#x}"));
    assert_eq!(raw.result("eth_getBalance", json!([bob, "latest"])).await, "0x16");
    raw.result("hardhat_stopImpersonatingAccount", json!([whale])).await;
    let (code, _) = error_of(&raw, "eth_sendTransaction", json!([{ "from": whale, "to": bob }])).await;
    assert_eq!(code, -32602);

    // Auto-impersonation: every account.
    raw.result("anvil_autoImpersonateAccount", json!([true])).await;
    let hash = raw.result("eth_sendTransaction", json!([{ "from": whale, "to": bob, "value": "0x1" }])).await;
    assert_eq!(raw.receipt(hash.as_str().unwrap()).await["status"], "0x1");

    // eth_fillTransaction (viem asks it first): filled for any sender, no key needed.
    let filled = raw.result("eth_fillTransaction", json!([{ "from": whale, "to": bob, "value": "0x1" }])).await;
    assert_eq!(filled["tx"]["gas"], "0x5208");
    assert_eq!(filled["tx"]["type"], "0x2");
    assert_eq!(filled["tx"]["nonce"], raw.result("eth_getTransactionCount", json!([whale, "pending"])).await);
    assert!(filled["raw"].as_str().unwrap().starts_with("0x02"), "the unsigned EIP-1559 encoding");

    // eth_signTransaction: a signed transaction that eth_sendRawTransaction accepts.
    let signed = raw.result("eth_signTransaction", json!([{ "from": alice, "to": bob, "value": "0x2" }])).await;
    let hash = raw.result("eth_sendRawTransaction", json!([signed])).await;
    assert_eq!(raw.receipt(hash.as_str().unwrap()).await["status"], "0x1");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_accounts_sign_messages_and_typed_data() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0).address();
    let message = b"hello dml";

    let recover = |signature: &[u8], digest: B256| {
        Signature::try_from(signature).expect("65 bytes").recover_address_from_prehash(&digest).unwrap()
    };
    let personal = alloy_primitives::eip191_hash_message(message);
    let by_personal = hex_bytes(&raw.result("personal_sign", json!([Bytes::from_static(message), alice])).await);
    assert_eq!(recover(&by_personal, personal), alice);
    let by_eth_sign = hex_bytes(&raw.result("eth_sign", json!([alice, Bytes::from_static(message)])).await);
    assert_eq!(by_eth_sign, by_personal, "eth_sign and personal_sign are the same EIP-191 signature");

    let typed = json!({
        "types": {
            "EIP712Domain": [
                { "name": "name", "type": "string" },
                { "name": "chainId", "type": "uint256" }
            ],
            "Mail": [{ "name": "to", "type": "address" }, { "name": "contents", "type": "string" }]
        },
        "primaryType": "Mail",
        "domain": { "name": "Test", "chainId": 31337 },
        "message": { "to": "0x00000000000000000000000000000000000000b0", "contents": "hi" }
    });
    let data: alloy_dyn_abi::TypedData = serde_json::from_value(typed.clone()).unwrap();
    let digest = data.eip712_signing_hash().unwrap();
    let signature = hex_bytes(&raw.result("eth_signTypedData_v4", json!([alice, typed])).await);
    assert_eq!(recover(&signature, digest), alice);
    // Wallets also send the typed data as a JSON string.
    let as_string = hex_bytes(&raw.result("eth_signTypedData_v4", json!([alice, typed.to_string()])).await);
    assert_eq!(as_string, signature);

    let stranger = Address::repeat_byte(0x99);
    let (code, message) = error_of(&raw, "personal_sign", json!(["0x00", stranger])).await;
    assert_eq!(code, -32602, "{message}");
    let (code, _) = error_of(&raw, "eth_signTypedData_v4", json!([alice, { "types": 5 }])).await;
    assert_eq!(code, -32602);
    still_serving(&raw).await;
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_filters_report_blocks_transactions_and_logs_once() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0);
    let bob = Address::repeat_byte(0xb0);
    let token = dml_engine::ContractAddresses::default().token;

    let blocks = raw.result("eth_newBlockFilter", json!([])).await;
    let pending = raw.result("eth_newPendingTransactionFilter", json!([])).await;
    let transfers = raw
        .result("eth_newFilter", json!([{ "address": token, "topics": [IDmlToken::Transfer::SIGNATURE_HASH] }]))
        .await;
    assert_eq!(raw.result("eth_getFilterChanges", json!([blocks])).await, json!([]));

    let transfer = IDmlToken::transferCall { to: bob, amount: U256::from(3) }.abi_encode();
    let hash = raw
        .result(
            "eth_sendRawTransaction",
            json!([sign_1559(&alice, 0, token, U256::ZERO, transfer.into(), 200_000, 31337)]),
        )
        .await;
    let receipt = raw.receipt(hash.as_str().unwrap()).await;

    let new_blocks = raw.result("eth_getFilterChanges", json!([blocks])).await;
    assert_eq!(new_blocks, json!([receipt["blockHash"]]));
    assert_eq!(raw.result("eth_getFilterChanges", json!([blocks])).await, json!([]), "reported once");
    assert_eq!(raw.result("eth_getFilterChanges", json!([pending])).await, json!([hash]));
    let logs = raw.result("eth_getFilterChanges", json!([transfers])).await;
    assert_eq!(logs.as_array().unwrap().len(), 1);
    assert_eq!(logs[0]["transactionHash"], hash);
    assert_eq!(raw.result("eth_getFilterChanges", json!([transfers])).await, json!([]));
    // getFilterLogs answers the whole range again.
    let all = raw.result("eth_getFilterLogs", json!([transfers])).await;
    assert_eq!(all.as_array().unwrap().len(), 1);

    // Uninstalled and never-created filters: anvil's "filter not found", and the node serves on.
    assert_eq!(raw.result("eth_uninstallFilter", json!([blocks])).await, true);
    assert_eq!(raw.result("eth_uninstallFilter", json!([blocks])).await, false);
    for id in [blocks.clone(), json!("0x1234")] {
        let (code, message) = error_of(&raw, "eth_getFilterChanges", json!([id])).await;
        assert_eq!((code, message.as_str()), (-32000, "filter not found"));
    }
    let (code, _) = error_of(&raw, "eth_getFilterLogs", json!([pending])).await;
    assert_eq!(code, -32000, "a pending-transaction filter has no logs");
    still_serving(&raw).await;
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_reads_by_number_hash_and_index() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0);
    let bob = Address::repeat_byte(0xb0);
    let hash = raw
        .result(
            "eth_sendRawTransaction",
            json!([sign_1559(&alice, 0, bob, U256::from(1), Bytes::new(), 21_000, 31337)]),
        )
        .await;
    let receipt = raw.receipt(hash.as_str().unwrap()).await;
    let (number, block_hash) = (receipt["blockNumber"].clone(), receipt["blockHash"].clone());

    assert_eq!(raw.result("eth_getBlockTransactionCountByNumber", json!([number])).await, "0x1");
    assert_eq!(raw.result("eth_getBlockTransactionCountByHash", json!([block_hash])).await, "0x1");
    assert_eq!(raw.result("eth_getUncleCountByBlockNumber", json!([number])).await, "0x0");
    assert_eq!(raw.result("eth_getUncleCountByBlockHash", json!([block_hash])).await, "0x0");
    assert_eq!(raw.result("eth_getUncleByBlockNumberAndIndex", json!([number, "0x0"])).await, Value::Null);
    let by_index = raw.result("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x0"])).await;
    assert_eq!(by_index["hash"], hash);
    let by_hash_index = raw.result("eth_getTransactionByBlockHashAndIndex", json!([block_hash, "0x0"])).await;
    assert_eq!(by_hash_index, by_index);
    assert_eq!(raw.result("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x1"])).await, Value::Null);
    let receipts = raw.result("eth_getBlockReceipts", json!([number])).await;
    assert_eq!(receipts, json!([receipt]));
    assert_eq!(raw.result("eth_getBlockReceipts", json!([block_hash])).await, receipts);
    // Blocks that do not exist: null, as geth and anvil answer.
    let unknown = B256::repeat_byte(0xab);
    assert_eq!(raw.result("eth_getBlockReceipts", json!(["0xffff"])).await, Value::Null);
    assert_eq!(raw.result("eth_getBlockTransactionCountByHash", json!([unknown])).await, Value::Null);
    assert_eq!(raw.result("eth_getUncleCountByBlockHash", json!([unknown])).await, Value::Null);
    assert_eq!(raw.result("eth_blobBaseFee", json!([])).await, "0x1");
    assert_eq!(raw.result("web3_sha3", json!(["0x68656c6c6f"])).await, json!(keccak256(b"hello")));
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_mining_the_pool_and_dropping_transactions() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0);
    let bob = Address::repeat_byte(0xb0);

    raw.result("evm_setAutomine", json!([false])).await;
    assert_eq!(raw.result("anvil_getAutomine", json!([])).await, false);
    let head = qty(&raw.result("eth_blockNumber", json!([])).await);
    let send = |nonce: u64| sign_1559(&alice, nonce, bob, U256::from(1), Bytes::new(), 21_000, 31337);
    let first = raw.result("eth_sendRawTransaction", json!([send(0)])).await;
    let second = raw.result("eth_sendRawTransaction", json!([send(1)])).await;
    let gapped = raw.result("eth_sendRawTransaction", json!([send(5)])).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(qty(&raw.result("eth_blockNumber", json!([])).await), head, "nothing mined without automine");

    assert_eq!(raw.result("txpool_status", json!([])).await, json!({ "pending": "0x2", "queued": "0x1" }));
    let content = raw.result("txpool_content", json!([])).await;
    let sender = alice.address().to_checksum(None);
    assert_eq!(content["pending"][&sender]["0"]["hash"], first);
    assert_eq!(content["pending"][&sender]["1"]["hash"], second);
    assert_eq!(content["queued"][&sender]["5"]["hash"], gapped);
    let inspect = raw.result("txpool_inspect", json!([])).await;
    let line = inspect["pending"][&sender]["0"].as_str().unwrap();
    assert!(line.ends_with(": 1 wei + 21000 gas × 100000000000 wei"), "{line}");
    assert_eq!(raw.result("eth_pendingTransactions", json!([])).await.as_array().unwrap().len(), 3);

    assert_eq!(raw.result("anvil_dropTransaction", json!([gapped])).await, gapped);
    assert_eq!(raw.result("anvil_dropTransaction", json!([gapped])).await, Value::Null);
    assert_eq!(raw.result("hardhat_dropTransaction", json!([gapped])).await, false);

    // anvil_mine: two blocks ten seconds apart; both pooled transactions go into the first.
    raw.result("anvil_mine", json!(["0x2", "0xa"])).await;
    assert_eq!(qty(&raw.result("eth_blockNumber", json!([])).await), head + 2);
    let receipt = raw.receipt(second.as_str().unwrap()).await;
    assert_eq!(qty(&receipt["blockNumber"]), u128::from(head as u64 + 1));
    let first_block = raw.result("eth_getBlockByNumber", json!([format!("{:#x}", head + 1), false])).await;
    let second_block = raw.result("eth_getBlockByNumber", json!([format!("{:#x}", head + 2), false])).await;
    assert_eq!(qty(&second_block["timestamp"]) - qty(&first_block["timestamp"]), 10);
    assert_eq!(raw.result("txpool_status", json!([])).await, json!({ "pending": "0x0", "queued": "0x0" }));

    // Interval mining: blocks come without transactions; 0 brings automine back.
    raw.result("evm_setIntervalMining", json!([1])).await;
    let before = qty(&raw.result("eth_blockNumber", json!([])).await);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(qty(&raw.result("eth_blockNumber", json!([])).await) >= before + 2);
    raw.result("evm_setIntervalMining", json!([0])).await;
    assert_eq!(raw.result("anvil_getAutomine", json!([])).await, true);
    let hash = raw.result("eth_sendRawTransaction", json!([send(2)])).await;
    assert_eq!(raw.receipt(hash.as_str().unwrap()).await["status"], "0x1");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_edits_dumps_and_reset() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let account = Address::repeat_byte(0x42);
    let head = raw.result("eth_blockNumber", json!([])).await;

    raw.result("anvil_setBalance", json!([account, "0x64"])).await;
    raw.result("hardhat_setNonce", json!([account, "0x7"])).await;
    // Code that returns storage slot 0: PUSH0 SLOAD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN.
    let code = Bytes::from_static(&[0x5f, 0x54, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
    raw.result("anvil_setCode", json!([account, code])).await;
    assert_eq!(raw.result("anvil_setStorageAt", json!([account, "0x0", B256::from(U256::from(9))])).await, true);
    assert_eq!(raw.result("eth_getBalance", json!([account, "latest"])).await, "0x64");
    assert_eq!(raw.result("eth_getTransactionCount", json!([account, "latest"])).await, "0x7");
    assert_eq!(raw.result("eth_getCode", json!([account, "latest"])).await, json!(code));
    let output = raw.result("eth_call", json!([{ "to": account }])).await;
    assert_eq!(output, json!(B256::from(U256::from(9))));
    // The edits belong to the next block: the head before them does not show them.
    assert_eq!(raw.result("eth_getBalance", json!([account, head])).await, "0x64");
    raw.result("evm_mine", json!([])).await;
    assert_eq!(raw.result("eth_getBalance", json!([account, head])).await, "0x0");

    let dump = raw.result("anvil_dumpState", json!([])).await;
    assert!(dump.as_str().unwrap().starts_with("0x1f8b"), "gzip, as anvil's");
    raw.result("anvil_reset", json!([])).await;
    assert_eq!(raw.result("eth_blockNumber", json!([])).await, "0x0");
    assert_eq!(raw.result("eth_getCode", json!([account, "latest"])).await, "0x");
    assert_eq!(raw.result("anvil_loadState", json!([dump])).await, true);
    assert_eq!(raw.result("eth_call", json!([{ "to": account }])).await, output);
    assert_eq!(raw.result("eth_getBalance", json!([account, "latest"])).await, "0x64");

    // Bad input: bytes that are not a dump; forking; the node serves on.
    let (code, message) = error_of(&raw, "anvil_loadState", json!(["0x1f8b0000"])).await;
    assert_eq!(code, -32602);
    assert!(message.starts_with("Failed to decode state dump"), "{message}");
    let (code, _) = error_of(&raw, "anvil_loadState", json!(["0x7b7d"])).await;
    assert_eq!(code, -32602, "`{{}}` has no accounts");
    let (code, _) = error_of(&raw, "anvil_reset", json!([{ "forking": { "jsonRpcUrl": "http://x" } }])).await;
    assert_eq!(code, -32602);
    let (code, _) =
        error_of(&raw, "anvil_setStorageAt", json!([account, "0x0", format!("0x{}", "1".repeat(66))])).await;
    assert_eq!(code, -32602);
    still_serving(&raw).await;

    let info = raw.result("anvil_nodeInfo", json!([])).await;
    assert_eq!(info["currentBlockNumber"], "0x0");
    assert_eq!(info["environment"]["chainId"], 31337);
    assert_eq!(raw.result("hardhat_metadata", json!([])).await["chainId"], 31337);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_origin_may_call_the_rpc() {
    let node = start_node().await;
    let client = reqwest::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, node.http_url())
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-methods"].to_str().unwrap().to_owned();
    assert!(allowed.contains("POST"), "{allowed}");
    let response = client
        .post(node.http_url())
        .header("Origin", "http://localhost:5173")
        .header("Content-Type", "application/json")
        .body(json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    node.shutdown().await;
}
