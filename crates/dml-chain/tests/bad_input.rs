//! Bad input over JSON-RPC: each case gets a clear, standard error and the
//! node keeps serving (checked after every case).

mod support;

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, U256};
use dml_primitives::{IDmlToken, SolCall};
use serde_json::{json, Value};
use support::*;

async fn still_serving(raw: &RawClient) {
    let number = raw.result("eth_blockNumber", json!([])).await;
    assert!(number.as_str().unwrap().starts_with("0x"));
}

fn error_of(response: &Value) -> (i64, String) {
    let error = &response["error"];
    assert!(error.is_object(), "expected an error, got {response}");
    (error["code"].as_i64().unwrap(), error["message"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_standard_errors() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());

    // Malformed JSON: parse error, id null.
    let (status, response) = raw.post("{\"jsonrpc\":\"2.0\",\"method\":").await;
    assert_eq!(status, 200);
    assert_eq!(error_of(&response).0, -32700);
    assert_eq!(response["id"], Value::Null);
    still_serving(&raw).await;

    // Not a request object; missing method.
    assert_eq!(error_of(&raw.post("42").await.1).0, -32600);
    assert_eq!(error_of(&raw.post(r#"{"jsonrpc":"2.0","id":1}"#).await.1).0, -32600);

    // Unknown method.
    let (code, message) = error_of(&raw.call("eth_mineGold", json!([])).await);
    assert_eq!(code, -32601);
    assert!(message.contains("eth_mineGold"));

    // Bad params: not an address, missing, too many, object instead of array.
    assert_eq!(error_of(&raw.call("eth_getBalance", json!(["0xzz", "latest"])).await).0, -32602);
    assert_eq!(error_of(&raw.call("eth_getBalance", json!([])).await).0, -32602);
    assert_eq!(error_of(&raw.call("eth_blockNumber", json!({"a": 1})).await).0, -32602);
    assert_eq!(error_of(&raw.call("eth_getCode", json!([Address::ZERO, "latest", 3])).await).0, -32602);
    // A block that does not exist.
    assert_eq!(error_of(&raw.call("eth_getBalance", json!([Address::ZERO, "0xffff"])).await).0, -32001);
    still_serving(&raw).await;

    // Batches: answers in order with their ids; notifications get no answer.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 7, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": "x", "method": "nope", "params": [] },
        { "jsonrpc": "2.0", "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": 9, "method": "net_version" },
    ]);
    let (_, response) = raw.post(batch.to_string()).await;
    let answers = response.as_array().expect("batch answer");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["id"], 7);
    assert_eq!(answers[0]["result"], "0x7a69");
    assert_eq!(answers[1]["id"], "x");
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(answers[2]["result"], "31337");
    assert_eq!(error_of(&raw.post("[]").await.1).0, -32600);

    // An oversized body: 413 with a JSON-RPC error, nothing else lost.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{{"data":"0x{}"}}]}}"#,
        "ab".repeat(3 * 1024 * 1024)
    );
    // Sent on its own connection: the node answers 413 without reading the
    // rest of the body and drops that connection, which a pooled client
    // could otherwise try to reuse.
    let (status, response) = RawClient::new(&raw.url).post(huge).await;
    assert_eq!(status, 413);
    assert_eq!(error_of(&response).0, -32600);
    still_serving(&raw).await;
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_are_refused_with_reasons() {
    let node = start_node().await;
    let raw = RawClient::new(&node.http_url());
    let alice = dev_key(0);
    let bob = Address::repeat_byte(0xbb);
    let send = |tx: Bytes| {
        let raw = raw.clone();
        async move { raw.call("eth_sendRawTransaction", json!([tx])).await }
    };

    // Not a transaction at all.
    let (code, message) = error_of(&send(Bytes::from_static(b"\x02\xff\x00")).await);
    assert_eq!(code, -32000);
    assert!(message.contains("invalid transaction encoding"), "{message}");

    // Wrong chain id.
    let other_chain = sign_1559(&alice, 0, bob, U256::from(1), Bytes::new(), 21_000, 1);
    let (_, message) = error_of(&send(other_chain).await);
    assert!(message.contains("invalid chain id: expected 31337, got 1"), "{message}");

    // A signature that recovers to nobody.
    let tx = TxEip1559 {
        chain_id: 31337,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1,
        to: bob.into(),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let forged = tx.into_signed(Signature::new(U256::ZERO, U256::from(1), false)).encoded_2718();
    let (_, message) = error_of(&send(forged.into()).await);
    assert!(message.contains("invalid sender"), "{message}");
    still_serving(&raw).await;

    // Insufficient funds: a key with no ETH.
    let pauper = alloy_signer_local::PrivateKeySigner::random();
    let (_, message) = error_of(&send(sign_1559(&pauper, 0, bob, U256::from(1), Bytes::new(), 21_000, 31337)).await);
    assert!(message.contains("insufficient funds"), "{message}");

    // Intrinsic gas too low.
    let (_, message) = error_of(&send(sign_1559(&alice, 0, bob, U256::from(1), Bytes::new(), 20_000, 31337)).await);
    assert!(message.contains("intrinsic gas too low"), "{message}");

    // A nonce gap waits in the pool, then both are mined once it fills.
    let second = raw
        .result(
            "eth_sendRawTransaction",
            json!([sign_1559(&alice, 1, bob, U256::from(2), Bytes::new(), 21_000, 31337)]),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(raw.result("eth_getTransactionReceipt", json!([second])).await.is_null(), "gapped tx is not mined");
    let pending = raw.result("eth_getTransactionByHash", json!([second])).await;
    assert!(pending["blockNumber"].is_null(), "gapped tx is visible as pending");
    assert_eq!(raw.result("eth_getTransactionCount", json!([alice.address(), "pending"])).await, "0x0");
    let first_tx = sign_1559(&alice, 0, bob, U256::from(1), Bytes::new(), 21_000, 31337);
    let first = raw.result("eth_sendRawTransaction", json!([first_tx.clone()])).await;
    let first_receipt = raw.receipt(first.as_str().unwrap()).await;
    let second_receipt = raw.receipt(second.as_str().unwrap()).await;
    assert!(qty(&second_receipt["blockNumber"]) >= qty(&first_receipt["blockNumber"]));
    assert_eq!(raw.result("eth_getBalance", json!([bob, "latest"])).await, "0x3");

    // Replays: the same bytes again, and another tx with a used nonce.
    let (_, message) = error_of(&send(first_tx).await);
    assert!(message.contains("already known"), "{message}");
    let (_, message) = error_of(&send(sign_1559(&alice, 0, bob, U256::from(9), Bytes::new(), 21_000, 31337)).await);
    assert!(message.contains("nonce too low: next nonce 2, tx nonce 0"), "{message}");
    still_serving(&raw).await;

    // Out of gas: an eth_call with too little gas fails; a mined tx with too
    // little gas for the token's storage work is included with status 0.
    let token = node.shared().chain().contracts().token;
    let transfer = IDmlToken::transferCall { to: bob, amount: U256::from(1) };
    let data = Bytes::from(transfer.abi_encode());
    let response =
        raw.call("eth_call", json!([{ "from": alice.address(), "to": token, "data": data, "gas": "0x6400" }])).await;
    let (code, message) = error_of(&response);
    assert_eq!(code, -32000);
    assert!(message.contains("out of gas"), "{message}");
    let starved = raw
        .result("eth_sendRawTransaction", json!([sign_1559(&alice, 2, token, U256::ZERO, data, 25_000, 31337)]))
        .await;
    let receipt = raw.receipt(starved.as_str().unwrap()).await;
    assert_eq!(receipt["status"], "0x0");
    assert_eq!(qty(&receipt["gasUsed"]), 25_000, "out of gas spends the whole limit");
    still_serving(&raw).await;
    node.shutdown().await;
}
