//! The tracing and proof methods on the real node: `debug_traceTransaction`,
//! `debug_traceCall`, `debug_traceBlockBy*` with the call, prestate and
//! struct-log tracers, `trace_transaction`, `eth_createAccessList` and
//! `eth_getProof`, over plain transfers, hand-assembled EVM contracts and
//! the native engine and token (precompiles), every transaction signed and
//! mined, every answer read back over JSON-RPC.

mod support;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_trie::{proof::verify_proof, Nibbles, TrieAccount};
use dml_chain::NodeHandle;
use dml_primitives::{IDmlToken, IEngine, SolCall, SolEvent, ONE_DML};
use serde_json::{json, Value};
use support::*;

/// Gas for transactions sent without an estimate (so that failing ones are mined).
const GAS: u64 = 1_000_000;

/// A contract whose runtime is `runtime`: the init code copies it out and returns it.
fn creation_code(runtime: &[u8]) -> Vec<u8> {
    let length = u8::try_from(runtime.len()).expect("a short runtime");
    // PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN
    let mut code = vec![0x60, length, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// With calldata: stores its first word at slot 0, reads slot 1 and stops.
/// Without: reverts with `Error("nope")`.
const STORE_OR_REVERT: [u8; 54] = [
    0x36, // CALLDATASIZE
    0x15, // ISZERO
    0x60, 0x10, // PUSH1 16
    0x57, // JUMPI
    0x60, 0x00, // PUSH1 0
    0x35, // CALLDATALOAD
    0x60, 0x00, // PUSH1 0
    0x55, // SSTORE
    0x60, 0x01, // PUSH1 1
    0x54, // SLOAD
    0x50, // POP
    0x00, // STOP
    0x5b, // JUMPDEST (16)
    0x63, 0x08, 0xc3, 0x79, 0xa0, // PUSH4 Error(string)
    0x60, 0xe0, 0x1b, // PUSH1 224 SHL
    0x60, 0x00, 0x52, // PUSH1 0 MSTORE
    0x60, 0x20, 0x60, 0x04, 0x52, // MSTORE(4, 32)
    0x60, 0x04, 0x60, 0x24, 0x52, // MSTORE(36, 4)
    0x63, b'n', b'o', b'p', b'e', // PUSH4 "nope"
    0x60, 0xe0, 0x1b, // PUSH1 224 SHL
    0x60, 0x44, 0x52, // MSTORE(68, …)
    0x60, 0x64, 0x60, 0x00, 0xfd, // REVERT(0, 100)
];

/// The opcodes `STORE_OR_REVERT` runs with calldata, in order.
const STORE_OPCODES: [&str; 12] = [
    "CALLDATASIZE",
    "ISZERO",
    "PUSH1",
    "JUMPI",
    "PUSH1",
    "CALLDATALOAD",
    "PUSH1",
    "SSTORE",
    "PUSH1",
    "SLOAD",
    "POP",
    "STOP",
];

/// Forwards its calldata to `target` with all its gas and returns (or
/// reverts with) what the call returned.
fn forwarder(target: Address) -> Vec<u8> {
    let mut code = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // CALLDATACOPY(0, 0, CALLDATASIZE)
        0x60, 0x00, 0x60, 0x00, // retSize 0, retOffset 0
        0x36, 0x60, 0x00, 0x60, 0x00, // argsSize CALLDATASIZE, argsOffset 0, value 0
        0x73, // PUSH20 target
    ];
    code.extend_from_slice(target.as_slice());
    code.extend_from_slice(&[
        0x5a, 0xf1, // GAS CALL
        0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, // RETURNDATACOPY(0, 0, RETURNDATASIZE)
        0x60, 0x33, 0x57, // PUSH1 51 JUMPI
        0x3d, 0x60, 0x00, 0xfd, // REVERT(0, RETURNDATASIZE)
        0x5b, 0x3d, 0x60, 0x00, 0xf3, // JUMPDEST (51) RETURN(0, RETURNDATASIZE)
    ]);
    assert_eq!(code[51], 0x5b);
    code
}

struct Net {
    _node: NodeHandle,
    raw: RawClient,
    chain_id: u64,
    engine: Address,
    token: Address,
}

impl Net {
    async fn start() -> Self {
        let node = start_node().await;
        let raw = RawClient::new(&node.http_url());
        let chain_id = qty(&raw.result("eth_chainId", json!([])).await) as u64;
        let contracts = raw.result("dml_getContracts", json!([])).await;
        let engine = contracts["engine"].as_str().unwrap().parse().unwrap();
        let token = contracts["token"].as_str().unwrap().parse().unwrap();
        Self { _node: node, raw, chain_id, engine, token }
    }

    async fn nonce(&self, key: u32) -> u64 {
        let address = dev_key(key).address();
        qty(&self.raw.result("eth_getTransactionCount", json!([address, "pending"])).await) as u64
    }

    /// Sends a signed transaction and returns its hash (without waiting for it).
    async fn submit(&self, key: u32, to: Option<Address>, value: U256, input: Vec<u8>) -> String {
        let nonce = self.nonce(key).await;
        let raw = match to {
            Some(to) => sign_1559(&dev_key(key), nonce, to, value, input.into(), GAS, self.chain_id),
            None => sign_create(&dev_key(key), nonce, input.into(), self.chain_id),
        };
        self.raw.result("eth_sendRawTransaction", json!([raw])).await.as_str().unwrap().to_string()
    }

    /// Sends a signed transaction and waits for its receipt.
    async fn send(&self, key: u32, to: Option<Address>, value: U256, input: Vec<u8>) -> (String, Value) {
        let hash = self.submit(key, to, value, input).await;
        let receipt = self.raw.receipt(&hash).await;
        (hash, receipt)
    }

    async fn deploy(&self, runtime: &[u8]) -> Address {
        let (_, receipt) = self.send(0, None, U256::ZERO, creation_code(runtime)).await;
        assert_eq!(receipt["status"], "0x1", "deploys: {receipt}");
        receipt["contractAddress"].as_str().unwrap().parse().unwrap()
    }

    async fn trace(&self, hash: &str, options: Value) -> Value {
        self.raw.result("debug_traceTransaction", json!([hash, options])).await
    }

    async fn head(&self) -> u64 {
        qty(&self.raw.result("eth_blockNumber", json!([])).await) as u64
    }
}

/// Signs a contract creation (EIP-1559).
fn sign_create(signer: &alloy_signer_local::PrivateKeySigner, nonce: u64, code: Bytes, chain_id: u64) -> Bytes {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_network::TxSignerSync;
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: GAS,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: alloy_primitives::TxKind::Create,
        value: U256::ZERO,
        access_list: Default::default(),
        input: code,
    };
    let signature = signer.sign_transaction_sync(&mut tx).unwrap();
    tx.into_signed(signature).encoded_2718().into()
}

fn call_tracer() -> Value {
    json!({ "tracer": "callTracer" })
}

fn address_of(value: &Value) -> Address {
    value.as_str().unwrap_or_else(|| panic!("not an address: {value}")).parse().unwrap()
}

fn lower(address: Address) -> String {
    format!("{address:?}")
}

/// An account entry of a prestate result, keyed case-insensitively.
fn entry(accounts: &Value, address: Address) -> Option<&Value> {
    accounts.as_object().unwrap().iter().find(|(key, _)| key.to_lowercase() == lower(address)).map(|(_, v)| v)
}

fn word(value: u64) -> Vec<u8> {
    B256::from(U256::from(value)).to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_is_traced_by_the_call_prestate_and_struct_log_tracers() {
    let net = Net::start().await;
    let sender = dev_key(0).address();
    let recipient = Address::repeat_byte(0x77);
    let value = U256::from(10u64).pow(U256::from(18));
    let balance_before = U256::from(qty(&net.raw.result("eth_getBalance", json!([sender, "latest"])).await));
    let (hash, receipt) = net.send(0, Some(recipient), value, Vec::new()).await;

    let call = net.trace(&hash, call_tracer()).await;
    assert_eq!(call["type"], "CALL", "{call}");
    assert_eq!(address_of(&call["from"]), sender);
    assert_eq!(address_of(&call["to"]), recipient);
    assert_eq!(U256::from(qty(&call["value"])), value);
    assert_eq!(call["gasUsed"], receipt["gasUsed"]);
    assert_eq!(qty(&call["gasUsed"]), 21_000);
    assert_eq!(call["input"], "0x");
    assert!(call.get("calls").is_none() && call.get("error").is_none(), "{call}");

    let pre = net.trace(&hash, json!({ "tracer": "prestateTracer" })).await;
    let sender_pre = entry(&pre, sender).unwrap_or_else(|| panic!("sender in {pre}"));
    assert_eq!(U256::from(qty(&sender_pre["balance"])), balance_before);
    assert!(sender_pre.get("nonce").is_none(), "a zero nonce is left out: {sender_pre}");
    // As geth: an account that was empty before is left out.
    assert!(entry(&pre, recipient).is_none(), "{pre}");

    let diff = net.trace(&hash, json!({ "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } })).await;
    let post_sender = entry(&diff["post"], sender).unwrap();
    assert_eq!(post_sender["nonce"], 1, "{diff}");
    let post_recipient = entry(&diff["post"], recipient).unwrap_or_else(|| panic!("recipient in {diff}"));
    assert_eq!(U256::from(qty(&post_recipient["balance"])), value);
    assert!(U256::from(qty(&entry(&diff["pre"], sender).unwrap()["balance"])) == balance_before);

    let logs = net.trace(&hash, json!({})).await;
    assert_eq!(logs["failed"], false);
    assert_eq!(logs["gas"].as_u64(), Some(21_000), "{logs}");
    assert_eq!(logs["structLogs"], json!([]));

    // debug_traceBlockByNumber and …ByHash: the same trace, with the hash.
    let number = receipt["blockNumber"].clone();
    let block = net.raw.result("debug_traceBlockByNumber", json!([number, call_tracer()])).await;
    assert_eq!(block, json!([{ "txHash": hash, "result": call }]));
    let by_hash = net.raw.result("debug_traceBlockByHash", json!([receipt["blockHash"], call_tracer()])).await;
    assert_eq!(by_hash, block);
    assert_eq!(net.raw.result("debug_traceBlockByNumber", json!(["0x0", {}])).await, json!([]));

    // Parity style.
    let parity = net.raw.result("trace_transaction", json!([hash])).await;
    assert_eq!(parity[0]["action"]["callType"], "call", "{parity}");
    assert_eq!(parity[0]["transactionHash"], hash.as_str());
    assert_eq!(net.raw.result("trace_transaction", json!([B256::repeat_byte(9)])).await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_creation_struct_logs_and_a_revert_with_a_reason() {
    let net = Net::start().await;
    let nonce = net.nonce(0).await;
    let (hash, receipt) = net.send(0, None, U256::ZERO, creation_code(&STORE_OR_REVERT)).await;
    let contract = dev_key(0).address().create(nonce);
    assert_eq!(address_of(&receipt["contractAddress"]), contract);
    let create = net.trace(&hash, call_tracer()).await;
    assert_eq!(create["type"], "CREATE", "{create}");
    assert_eq!(address_of(&create["to"]), contract);
    assert_eq!(create["output"], Value::String(Bytes::from(STORE_OR_REVERT.to_vec()).to_string()));
    assert_eq!(create["gasUsed"], receipt["gasUsed"]);

    // A call that stores: the struct logger has its opcodes in order.
    let (hash, receipt) = net.send(0, Some(contract), U256::ZERO, word(42)).await;
    assert_eq!(receipt["status"], "0x1");
    let logs = net.trace(&hash, json!({ "enableMemory": true, "enableReturnData": true })).await;
    let steps = logs["structLogs"].as_array().unwrap();
    let ops: Vec<&str> = steps.iter().map(|step| step["op"].as_str().unwrap()).collect();
    assert_eq!(ops, STORE_OPCODES);
    assert_eq!(logs["gas"], json!(qty(&receipt["gasUsed"]) as u64));
    assert_eq!(steps[0]["pc"], 0);
    assert_eq!(steps[0]["depth"], 1);
    assert!(steps[0]["gas"].as_u64().unwrap() > steps[1]["gas"].as_u64().unwrap());
    assert_eq!(steps[0]["gasCost"], 2);
    // SSTORE sees the value and slot on the stack and records the slot it wrote.
    let sstore = &steps[7];
    assert_eq!(sstore["stack"].as_array().unwrap().len(), 2, "{sstore}");
    let stored = sstore["storage"].as_object().expect("storage at SSTORE");
    assert_eq!(stored.values().next().unwrap().as_str().unwrap(), B256::from(U256::from(42u64)).to_string());
    // The options drop the stack and storage.
    let bare = net.trace(&hash, json!({ "disableStack": true, "disableStorage": true })).await;
    let bare_steps = bare["structLogs"].as_array().unwrap();
    assert_eq!(bare_steps.len(), STORE_OPCODES.len());
    assert!(bare_steps.iter().all(|step| step.get("stack").is_none() && step.get("storage").is_none()), "{bare}");

    // No calldata: a revert with Error("nope").
    let (hash, receipt) = net.send(0, Some(contract), U256::ZERO, Vec::new()).await;
    assert_eq!(receipt["status"], "0x0");
    let call = net.trace(&hash, call_tracer()).await;
    assert_eq!(call["error"], "execution reverted", "{call}");
    assert_eq!(call["revertReason"], "nope");
    assert_eq!(call["gasUsed"], receipt["gasUsed"]);
    let logs = net.trace(&hash, json!({})).await;
    assert_eq!(logs["failed"], true);
    assert_eq!(logs["structLogs"].as_array().unwrap().last().unwrap()["op"], "REVERT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_into_the_token_and_the_engine_are_call_frames() {
    let net = Net::start().await;
    let sender = dev_key(0).address();
    let recipient = Address::repeat_byte(0x55);
    let transfer = IDmlToken::transferCall { to: recipient, amount: ONE_DML }.abi_encode();
    let (hash, receipt) = net.send(0, Some(net.token), U256::ZERO, transfer.clone()).await;
    assert_eq!(receipt["status"], "0x1");

    // The token is the top-level frame: its input, output, gas and (withLog) its event.
    let call = net.trace(&hash, json!({ "tracer": "callTracer", "tracerConfig": { "withLog": true } })).await;
    assert_eq!(address_of(&call["to"]), net.token, "{call}");
    assert_eq!(call["input"], Value::String(Bytes::from(transfer.clone()).to_string()));
    assert_eq!(call["output"], Value::String(Bytes::from(word(1)).to_string()));
    assert_eq!(call["gasUsed"], receipt["gasUsed"]);
    assert!(qty(&call["gasUsed"]) > 21_000);
    let log = &call["logs"][0];
    assert_eq!(address_of(&log["address"]), net.token, "{call}");
    assert_eq!(log["topics"][0], Value::String(IDmlToken::Transfer::SIGNATURE_HASH.to_string()));

    // The prestate tracer lists the token's storage the transfer read.
    let pre = net.trace(&hash, json!({ "tracer": "prestateTracer" })).await;
    let token = entry(&pre, net.token).unwrap_or_else(|| panic!("the token in {pre}"));
    assert!(!token["storage"].as_object().expect("token storage").is_empty(), "{token}");
    let diff = net.trace(&hash, json!({ "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } })).await;
    let pre_slots = entry(&diff["pre"], net.token).unwrap()["storage"].as_object().unwrap().clone();
    let post_slots = entry(&diff["post"], net.token).unwrap()["storage"].as_object().unwrap().clone();
    assert!(!post_slots.is_empty(), "{diff}");
    assert!(post_slots.iter().any(|(slot, value)| pre_slots.get(slot) != Some(value)), "{diff}");

    // From an EVM contract the token is a nested frame: a view answers,
    // and a transfer of DML the contract does not have reverts with the
    // token's reason, in the nested frame and the top one.
    let proxy = net.deploy(&forwarder(net.token)).await;
    let view = IDmlToken::balanceOfCall { account: sender }.abi_encode();
    let traced = net
        .raw
        .result(
            "debug_traceCall",
            json!([{ "from": sender, "to": proxy, "data": Bytes::from(view.clone()) }, "latest", call_tracer()]),
        )
        .await;
    let inner = &traced["calls"][0];
    assert_eq!(inner["type"], "CALL", "{traced}");
    assert_eq!(address_of(&inner["from"]), proxy);
    assert_eq!(address_of(&inner["to"]), net.token);
    assert_eq!(inner["input"], Value::String(Bytes::from(view).to_string()));
    assert_eq!(inner["output"], traced["output"]);
    assert!(qty(&inner["gasUsed"]) > 0);
    let (hash, receipt) = net.send(0, Some(proxy), U256::ZERO, transfer).await;
    assert_eq!(receipt["status"], "0x0");
    let call = net.trace(&hash, call_tracer()).await;
    let inner = &call["calls"][0];
    assert_eq!(address_of(&inner["to"]), net.token, "{call}");
    assert_eq!(inner["error"], "execution reverted");
    assert_eq!(inner["revertReason"], "ERC20: transfer amount exceeds balance");
    assert_eq!(call["revertReason"], inner["revertReason"]);

    // A reverted engine call: the reason the receipt gives.
    let delegate = IEngine::delegateStakeCall { solver_: sender, amount_: U256::ZERO }.abi_encode();
    let (hash, receipt) = net.send(0, Some(net.engine), U256::ZERO, delegate).await;
    assert_eq!(receipt["status"], "0x0");
    let call = net.trace(&hash, call_tracer()).await;
    assert_eq!(address_of(&call["to"]), net.engine, "{call}");
    assert_eq!(call["error"], "execution reverted");
    assert!(call["revertReason"].as_str().is_some_and(|reason| !reason.is_empty()), "{call}");
    assert_eq!(call["revertReason"], receipt["revertReason"]);
    assert_eq!(call["output"], receipt["revertData"]);
    assert_eq!(call["gasUsed"], receipt["gasUsed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_is_traced_after_the_earlier_ones_of_its_block() {
    let net = Net::start().await;
    let contract = net.deploy(&STORE_OR_REVERT).await;
    net.raw.result("evm_setAutomine", json!([false])).await;
    // A state edit made before the block's transactions is replayed too.
    let edited = B256::from(U256::from(0x99u64));
    net.raw.result("anvil_setStorageAt", json!([contract, B256::from(U256::from(1u64)), edited])).await;
    let first = net.submit(0, Some(contract), U256::ZERO, word(7)).await;
    let second = net.submit(1, Some(contract), U256::ZERO, word(8)).await;
    net.raw.result("evm_mine", json!([])).await;
    let first_receipt = net.raw.receipt(&first).await;
    let second_receipt = net.raw.receipt(&second).await;
    assert_eq!(first_receipt["blockNumber"], second_receipt["blockNumber"]);

    // The second sees the first's write as its prestate.
    let pre = net.trace(&second, json!({ "tracer": "prestateTracer" })).await;
    let slots = &entry(&pre, contract).unwrap()["storage"];
    assert_eq!(slots[B256::ZERO.to_string()], Value::String(B256::from(U256::from(7u64)).to_string()), "{pre}");
    let one = B256::from(U256::from(1u64)).to_string();
    assert_eq!(slots[&one], Value::String(edited.to_string()), "{pre}");
    let call = net.trace(&second, call_tracer()).await;
    assert_eq!(call["gasUsed"], second_receipt["gasUsed"]);
    // debug_traceCall with txIndex: the state between the two.
    let options = json!({ "tracer": "prestateTracer", "txIndex": "0x1" });
    let between = net
        .raw
        .result(
            "debug_traceCall",
            json!([{ "to": contract, "data": Bytes::from(word(1)) }, first_receipt["blockNumber"], options]),
        )
        .await;
    assert_eq!(entry(&between, contract).unwrap()["storage"], pre_slots_of(&pre, contract), "{between}");
    let options = json!({ "tracer": "prestateTracer", "txIndex": "0x2" });
    let answer =
        net.raw.call("debug_traceCall", json!([{ "to": contract }, first_receipt["blockNumber"], options])).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    let block = net.raw.result("debug_traceBlockByNumber", json!([first_receipt["blockNumber"], call_tracer()])).await;
    assert_eq!(block.as_array().unwrap().len(), 2);
    assert_eq!(block[1]["result"], call);
    assert_eq!(block[0]["txHash"], first.as_str());
    assert_eq!(block[0]["result"]["gasUsed"], first_receipt["gasUsed"]);
}

fn pre_slots_of(prestate: &Value, address: Address) -> Value {
    entry(prestate, address).unwrap()["storage"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_call_runs_on_the_state_of_the_block_asked() {
    let net = Net::start().await;
    let contract = net.deploy(&STORE_OR_REVERT).await;
    let (_, receipt) = net.send(0, Some(contract), U256::ZERO, word(1)).await;
    let old = receipt["blockNumber"].clone();
    net.send(0, Some(contract), U256::ZERO, word(2)).await;
    let sender = dev_key(0).address();
    let call = json!({ "from": sender, "to": contract, "data": Bytes::from(word(3)) });
    let prestate = json!({ "tracer": "prestateTracer" });
    let slot = B256::ZERO.to_string();
    let at_old = net.raw.result("debug_traceCall", json!([call, old, prestate])).await;
    assert_eq!(
        entry(&at_old, contract).unwrap()["storage"][&slot],
        Value::String(B256::from(U256::from(1u64)).to_string()),
        "{at_old}"
    );
    let at_latest = net.raw.result("debug_traceCall", json!([call, "latest", prestate])).await;
    assert_eq!(
        entry(&at_latest, contract).unwrap()["storage"][&slot],
        Value::String(B256::from(U256::from(2u64)).to_string())
    );
    // A state override shows in the trace.
    let overridden = json!({ "tracer": "prestateTracer", "stateOverrides": { lower(contract): { "stateDiff": { slot.clone(): B256::from(U256::from(9u64)) } } } });
    let at_override = net.raw.result("debug_traceCall", json!([call, "latest", overridden])).await;
    assert_eq!(
        entry(&at_override, contract).unwrap()["storage"][&slot],
        Value::String(B256::from(U256::from(9u64)).to_string())
    );
    // The default tracer on a reverting call: failed, with the revert data as the return value.
    let revert = json!({ "from": sender, "to": contract });
    let logs = net.raw.result("debug_traceCall", json!([revert, "latest", {}])).await;
    assert_eq!(logs["failed"], true, "{logs}");
    assert!(logs["returnValue"].as_str().unwrap().trim_start_matches("0x").starts_with("08c379a0"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_transactions_blocks_and_tracers_are_errors_and_the_node_serves_on() {
    let net = Net::start().await;
    let missing = B256::repeat_byte(0xab);
    let answer = net.raw.call("debug_traceTransaction", json!([missing, {}])).await;
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert_eq!(answer["error"]["message"], "transaction not found");
    let answer = net.raw.call("debug_traceBlockByNumber", json!(["0x999", {}])).await;
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    let answer = net.raw.call("debug_traceBlockByHash", json!([missing, {}])).await;
    assert_eq!(answer["error"]["code"], -32001, "{answer}");

    let (hash, _) = net.send(0, Some(Address::repeat_byte(1)), U256::from(1u64), Vec::new()).await;
    let answer = net.raw.call("debug_traceTransaction", json!([hash, { "tracer": "noSuchTracer" }])).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("unsupported tracer"), "{answer}");
    let answer = net
        .raw
        .call(
            "debug_traceTransaction",
            json!([hash, { "tracer": "callTracer", "tracerConfig": { "onlyTopCall": "yes" } }]),
        )
        .await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    let answer =
        net.raw.call("debug_traceCall", json!([{ "to": Address::ZERO }, "latest", { "tracer": "bogus" }])).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    // onlyTopCall keeps the top frame only.
    let call = net.trace(&hash, json!({ "tracer": "callTracer", "tracerConfig": { "onlyTopCall": true } })).await;
    assert!(call.get("calls").is_none());

    assert_eq!(net.head().await, 1);
    assert!(!net.trace(&hash, call_tracer()).await.is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_access_list_names_the_slots_a_call_touches() {
    let net = Net::start().await;
    let contract = net.deploy(&STORE_OR_REVERT).await;
    let sender = dev_key(0).address();
    let call = json!({ "from": sender, "to": contract, "data": Bytes::from(word(5)) });
    let result = net.raw.result("eth_createAccessList", json!([call, "latest"])).await;
    let slots = json!([B256::ZERO, B256::from(U256::from(1u64))]);
    assert_eq!(result["accessList"], json!([{ "address": contract, "storageKeys": slots }]), "{result}");
    assert!(result.get("error").is_none());
    let plain = qty(&net.raw.result("eth_estimateGas", json!([call])).await);
    assert!(qty(&result["gasUsed"]) > 21_000 && qty(&result["gasUsed"]) <= plain + 5_000, "{result} vs {plain}");

    // Through a forwarder: the callee is listed, with its slots; the sender and the forwarder are not.
    let proxy = net.deploy(&forwarder(contract)).await;
    let call = json!({ "from": sender, "to": proxy, "data": Bytes::from(word(5)) });
    let result = net.raw.result("eth_createAccessList", json!([call])).await;
    assert_eq!(result["accessList"], json!([{ "address": contract, "storageKeys": slots }]), "{result}");

    // The token is a precompile: never listed.
    let to_token = json!({ "from": sender, "to": forwarder_to_token(&net).await, "data": Bytes::from(IDmlToken::balanceOfCall { account: sender }.abi_encode()) });
    let result = net.raw.result("eth_createAccessList", json!([to_token])).await;
    assert_eq!(result["accessList"], json!([]), "{result}");

    // A reverting call: the list so far and the error.
    let revert = json!({ "from": sender, "to": contract });
    let result = net.raw.result("eth_createAccessList", json!([revert])).await;
    assert_eq!(result["error"], "execution reverted", "{result}");
}

async fn forwarder_to_token(net: &Net) -> Address {
    net.deploy(&forwarder(net.token)).await
}

/// Checks an `eth_getProof` answer against a state root; returns the storage hash.
fn verify_account(proof: &Value, state_root: B256) -> B256 {
    let address = address_of(&proof["address"]);
    let nodes: Vec<Bytes> = serde_json::from_value(proof["accountProof"].clone()).unwrap();
    let storage_hash: B256 = proof["storageHash"].as_str().unwrap().parse().unwrap();
    let code_hash: B256 = proof["codeHash"].as_str().unwrap().parse().unwrap();
    let account = TrieAccount {
        nonce: qty(&proof["nonce"]) as u64,
        balance: U256::from(qty(&proof["balance"])),
        storage_root: storage_hash,
        code_hash,
    };
    let empty = account.nonce == 0
        && account.balance.is_zero()
        && code_hash == alloy_trie::KECCAK_EMPTY
        && storage_hash == alloy_trie::EMPTY_ROOT_HASH;
    let expected = (!empty).then(|| alloy_rlp::encode(account));
    verify_proof(state_root, Nibbles::unpack(keccak256(address)), expected, &nodes)
        .unwrap_or_else(|error| panic!("account proof of {address}: {error:?}"));
    for slot in proof["storageProof"].as_array().unwrap() {
        let key: B256 = slot["key"].as_str().unwrap().parse().unwrap();
        let value = U256::from_str_radix(slot["value"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        let nodes: Vec<Bytes> = serde_json::from_value(slot["proof"].clone()).unwrap();
        let expected = (!value.is_zero()).then(|| alloy_rlp::encode(value));
        verify_proof(storage_hash, Nibbles::unpack(keccak256(key)), expected, &nodes)
            .unwrap_or_else(|error| panic!("storage proof of {address} slot {key}: {error:?}"));
    }
    storage_hash
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_proof_verifies_against_the_state_root() {
    let net = Net::start().await;
    let sender = dev_key(0).address();
    let (hash, _) = net
        .send(
            0,
            Some(net.token),
            U256::ZERO,
            IDmlToken::transferCall { to: Address::repeat_byte(3), amount: ONE_DML }.abi_encode(),
        )
        .await;
    let block = net.raw.result("eth_getBlockByNumber", json!(["latest", false])).await;
    let root: B256 = block["stateRoot"].as_str().unwrap().parse().unwrap();

    // An EOA.
    let proof = net.raw.result("eth_getProof", json!([sender, [], "latest"])).await;
    assert_eq!(proof["nonce"], "0x1");
    assert_eq!(proof["balance"], net.raw.result("eth_getBalance", json!([sender, "latest"])).await);
    assert_eq!(verify_account(&proof, root), alloy_trie::EMPTY_ROOT_HASH);

    // The token with the slots the transfer wrote, and one never written.
    let diff = net.trace(&hash, json!({ "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } })).await;
    let mut keys: Vec<String> =
        entry(&diff["post"], net.token).unwrap()["storage"].as_object().unwrap().keys().cloned().collect();
    keys.push(B256::repeat_byte(0xee).to_string());
    let proof = net.raw.result("eth_getProof", json!([net.token, keys, "latest"])).await;
    assert_ne!(verify_account(&proof, root), alloy_trie::EMPTY_ROOT_HASH);
    let slots = proof["storageProof"].as_array().unwrap();
    assert_eq!(slots.len(), keys.len());
    for (slot, key) in slots.iter().zip(&keys) {
        assert_eq!(&slot["key"], key);
        let stored = net.raw.result("eth_getStorageAt", json!([net.token, key, "latest"])).await;
        let stored = U256::from_str_radix(stored.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        assert_eq!(U256::from_str_radix(slot["value"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap(), stored);
    }
    assert!(!slots[0]["proof"].as_array().unwrap().is_empty());
    assert_eq!(slots.last().unwrap()["value"], "0x0");

    // A missing account: an exclusion proof, empty values.
    let nobody = Address::repeat_byte(0xd0);
    let proof = net.raw.result("eth_getProof", json!([nobody, [B256::ZERO], "latest"])).await;
    assert_eq!(proof["balance"], "0x0");
    assert_eq!(proof["codeHash"], Value::String(alloy_trie::KECCAK_EMPTY.to_string()));
    assert_eq!(proof["storageHash"], Value::String(alloy_trie::EMPTY_ROOT_HASH.to_string()));
    assert_eq!(proof["storageProof"][0]["proof"], json!([]));
    verify_account(&proof, root);

    // An older block: its own root and its own values.
    let genesis = net.raw.result("eth_getBlockByNumber", json!(["0x0", false])).await;
    let genesis_root: B256 = genesis["stateRoot"].as_str().unwrap().parse().unwrap();
    let old = net.raw.result("eth_getProof", json!([sender, [], "0x0"])).await;
    assert_eq!(old["nonce"], "0x0");
    assert_eq!(old["balance"], net.raw.result("eth_getBalance", json!([sender, "0x0"])).await);
    verify_account(&old, genesis_root);

    // An edit not yet mined does not change the proof of the head's root.
    net.raw.result("anvil_setBalance", json!([sender, "0x1"])).await;
    let proof = net.raw.result("eth_getProof", json!([sender, [], "latest"])).await;
    verify_account(&proof, root);
    let answer = net.raw.call("eth_getProof", json!([sender, [], "0x999"])).await;
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
}
