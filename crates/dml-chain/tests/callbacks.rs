//! Task callbacks on the real dev chain over JSON-RPC: a task submitted with
//! `submitTaskWithCallback` is solved by dev accounts acting as solvers
//! (commit, reveal, the claim window passed with `evm_increaseTime`), and the
//! engine calls `onTaskSolved` on the `TestTaskReceiver` fixture once the
//! solution is final: at the claim, or at the first settlement batch of a
//! contestation it survived. Checked here: the callee gets exactly its gas
//! limit whatever the claim's gas; the callback fee goes to the delivering
//! transaction's sender; a revert, running out of gas or reentering the
//! engine or the token fails the callback (`CallbackFailed` with the revert
//! data, cut to 256 bytes) but not the claim; a failed callback is retried by
//! its owner or its contract and by nobody else; a claim without the gas the
//! callback needs reverts and `eth_estimateGas` finds enough; a lost
//! contestation or a retraction cancels the callback and refunds its fee;
//! `TaskInput` carries the input whose CIDv0 the engine stored; and a genesis
//! with the examples enabled deploys them where `ExampleAddresses` says.

mod support;

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use dml_chain::{ExampleAddresses, GenesisModel, NodeConfig, NodeHandle};
use dml_governance::{IDmlCompetition, IDmlImageNFT, IDmlTaskChain, ITestTaskReceiver};
use dml_primitives::{IDmlTaskReceiver, IDmlToken, IEngine, SolCall, SolError, SolEvent, MAX_CALLBACK_GAS, ONE_DML};
use serde_json::json;
use support::*;

/// The callback gas of most tasks here: the fixture's record mode needs about 130,000.
const CALLBACK_GAS: u64 = 200_000;
/// Gas for transactions sent without an estimate (so that failing ones are mined).
const GAS: u64 = 3_000_000;
/// 1e18: the engine's percentages are fractions of it.
const WAD: u64 = 1_000_000_000_000_000_000;

const SOLVER: u32 = 1;
const CONTESTER: u32 = 2;
const VOTER: u32 = 3;
/// Submits the tasks with the fixture as callback.
const OWNER: u32 = 4;
/// Claims and finishes: the callback fee's recipient.
const CLAIMER: u32 = 5;
/// Neither owner nor callback.
const STRANGER: u32 = 6;

/// The fixture's modes (`TestTaskReceiver.MODE_…`).
const RECORD: u8 = 0;
const REVERT: u8 = 1;
const BURN_GAS: u8 = 2;
const REENTER_ENGINE: u8 = 3;
const REENTER_TOKEN: u8 = 4;

/// `callbacks(task).status`.
const PENDING: u8 = 1;
const DELIVERED: u8 = 2;
const FAILED: u8 = 3;
const CANCELLED: u8 = 4;

fn task_fee() -> U256 {
    ONE_DML
}

fn callback_fee() -> U256 {
    ONE_DML / U256::from(2u8)
}

fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

fn addr(key: u32) -> Address {
    dev_key(key).address()
}

/// A node whose genesis registers one model (no model fee, the full reward),
/// three staked validators, and the `TestTaskReceiver` fixture funded with DML.
struct Net {
    node: NodeHandle,
    raw: RawClient,
    engine: Address,
    token: Address,
    model: B256,
    receiver: Address,
}

impl Net {
    async fn start() -> Self {
        let net = Self::start_with(|_| {}).await;
        for validator in [SOLVER, CONTESTER, VOTER] {
            net.send(
                validator,
                net.engine,
                IEngine::validatorDepositCall { validator_: addr(validator), amount_: dml(100) },
            )
            .await;
        }
        let code = dml_governance::test_task_receiver_deploy_code(net.engine);
        let receiver = net.deploy(code).await;
        net.send(0, net.token, IDmlToken::transferCall { to: receiver, amount: dml(20) }).await;
        Self { receiver, ..net }
    }

    /// A node with the genesis model, adjusted by `adjust`; no validators, no fixture.
    async fn start_with(adjust: impl FnOnce(&mut NodeConfig)) -> Self {
        let node = start_node_with(|config| {
            config.genesis.models.push(GenesisModel {
                addr: None,
                fee: U256::ZERO,
                rate: ONE_DML,
                template: r#"{"name":"callback test model"}"#.into(),
            });
            adjust(config);
        })
        .await;
        let raw = RawClient::new(&node.http_url());
        let contracts = raw.result("dml_getContracts", json!([])).await;
        let engine: Address = contracts["engine"].as_str().unwrap().parse().unwrap();
        let token: Address = contracts["token"].as_str().unwrap().parse().unwrap();
        // The genesis model's id, from its registration (block 0's logs).
        let logs = raw
            .result(
                "eth_getLogs",
                json!([{ "fromBlock": "0x0", "toBlock": "0x0", "address": engine,
                         "topics": [IEngine::ModelRegistered::SIGNATURE_HASH] }]),
            )
            .await;
        let model = logs[0]["topics"][1].as_str().unwrap().parse().unwrap();
        Self { node, raw, engine, token, model, receiver: Address::ZERO }
    }

    fn provider(&self, key: u32) -> impl Provider + Clone {
        let wallet = EthereumWallet::from(dev_key(key));
        ProviderBuilder::new().wallet(wallet).connect_http(self.node.http_url().parse().unwrap())
    }

    async fn deploy(&self, code: impl Into<Bytes>) -> Address {
        let request = TransactionRequest::default().with_deploy_code(code.into());
        let receipt = self.provider(0).send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        assert!(receipt.status(), "the contract deploys");
        receipt.contract_address.expect("a created contract")
    }

    /// A transaction with its gas estimated; it must succeed.
    async fn send<C: SolCall>(&self, key: u32, to: Address, call: C) -> TransactionReceipt {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(call.abi_encode()));
        let receipt =
            self.provider(key).send_transaction(request).await.expect("accepted").get_receipt().await.unwrap();
        assert!(receipt.status(), "{} reverted: {receipt:?}", C::SIGNATURE);
        receipt
    }

    /// A transaction with a fixed gas limit, mined whether it succeeds or not.
    async fn send_with_gas(&self, key: u32, to: Address, data: Vec<u8>, gas: u64) -> TransactionReceipt {
        let request = TransactionRequest::default().with_to(to).with_input(Bytes::from(data)).with_gas_limit(gas);
        self.provider(key).send_transaction(request).await.expect("accepted").get_receipt().await.unwrap()
    }

    /// `eth_call` from dev account `key`: the return data, or why it failed
    /// (the `Error(string)` reason of a revert, else the node's message).
    async fn call(&self, key: u32, to: Address, data: Vec<u8>, gas: Option<u64>) -> Result<Bytes, String> {
        let mut request = TransactionRequest::default().with_from(addr(key)).with_to(to).with_input(Bytes::from(data));
        if let Some(gas) = gas {
            request = request.with_gas_limit(gas);
        }
        self.provider(key).call(request).await.map_err(|error| {
            match error.as_error_resp().and_then(|payload| payload.as_revert_data()) {
                Some(data) => match alloy_sol_types::Revert::abi_decode(&data) {
                    Ok(revert) => revert.reason,
                    Err(_) => format!("revert data {data}"),
                },
                None => error.to_string(),
            }
        })
    }

    /// The reason the node gives for refusing `call` from `key`.
    async fn refusal<C: SolCall>(&self, key: u32, to: Address, call: C) -> String {
        match self.call(key, to, call.abi_encode(), None).await {
            Ok(_) => panic!("{} succeeded", C::SIGNATURE),
            Err(reason) => reason,
        }
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let output = self.call(0, to, call.abi_encode(), None).await.expect("a view succeeds");
        C::abi_decode_returns(&output).expect("decodes")
    }

    async fn estimate(&self, key: u32, to: Address, data: Vec<u8>) -> u64 {
        let request = TransactionRequest::default().with_from(addr(key)).with_to(to).with_input(Bytes::from(data));
        self.provider(key).estimate_gas(request).await.expect("estimates")
    }

    async fn balance(&self, who: Address) -> U256 {
        self.view(self.token, IDmlToken::balanceOfCall { account: who }).await
    }

    async fn wait(&self, seconds: u64) {
        self.raw.result("evm_increaseTime", json!([seconds])).await;
        self.raw.result("evm_mine", json!([])).await;
    }

    async fn set_mode(&self, mode: u8) {
        self.send(0, self.receiver, ITestTaskReceiver::setModeCall { mode_: mode }).await;
    }

    /// `OWNER` submits a task calling back `callback` with `gas_limit`.
    async fn submit_to(&self, callback: Address, gas_limit: u64, input: &str) -> (B256, TransactionReceipt) {
        let call = IEngine::submitTaskWithCallbackCall {
            version_: 0,
            owner_: addr(OWNER),
            model_: self.model,
            fee_: task_fee(),
            input_: Bytes::from(input.as_bytes().to_vec()),
            callback_: callback,
            callbackGasLimit_: gas_limit,
            callbackFee_: callback_fee(),
        };
        let receipt = self.send(OWNER, self.engine, call).await;
        let submitted = events::<IEngine::TaskSubmitted>(&receipt, self.engine);
        assert_eq!(submitted.len(), 1);
        (submitted[0].id, receipt)
    }

    /// `OWNER` submits a task calling back the fixture with `gas_limit`.
    async fn submit(&self, gas_limit: u64, input: &str) -> B256 {
        self.submit_to(self.receiver, gas_limit, input).await.0
    }

    /// `SOLVER` commits in one block and reveals `cid` in the next.
    async fn solve(&self, task: B256, cid: Bytes) {
        let commitment = self
            .view(
                self.engine,
                IEngine::generateCommitmentCall { sender_: addr(SOLVER), taskid_: task, cid_: cid.clone() },
            )
            .await;
        self.send(SOLVER, self.engine, IEngine::signalCommitmentCall { commitment_: commitment }).await;
        self.send(SOLVER, self.engine, IEngine::submitSolutionCall { taskid_: task, cid_: cid }).await;
    }

    /// Past the claim window of every solution revealed so far.
    async fn wait_claim_window(&self) {
        self.wait(CLAIM_WINDOW + 1).await;
    }

    /// `CLAIMER` claims `task` with an estimated gas limit; it must succeed.
    async fn claim(&self, task: B256) -> TransactionReceipt {
        self.send(CLAIMER, self.engine, IEngine::claimSolutionCall { taskid_: task }).await
    }

    async fn callback(&self, task: B256) -> IEngine::callbacksReturn {
        self.view(self.engine, IEngine::callbacksCall { taskid: task }).await
    }

    async fn receiver_count(&self) -> U256 {
        self.view(self.receiver, ITestTaskReceiver::countCall {}).await
    }

    /// What the solver earns from a claim: its part of the fee and of the reward the claim minted.
    async fn solver_earnings(&self, claim: &TransactionReceipt) -> U256 {
        let pct = self.view(self.engine, IEngine::solutionFeePercentageCall {}).await;
        let minted = events::<IEngine::RewardsMinted>(claim, self.engine);
        let reward = minted.first().map_or(U256::ZERO, |minted| minted.solver);
        task_fee() * (U256::from(WAD) - pct) / U256::from(WAD) + reward
    }
}

/// The events `E` that `emitter` logged in `receipt`, in order.
fn events<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Vec<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter && log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_log_data(log.data()).expect("event decodes"))
        .collect()
}

/// Where the first event `E` of `emitter` is among the receipt's logs.
fn log_position<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> usize {
    let logs = receipt.inner.logs();
    logs.iter()
        .position(|log| log.address() == emitter && log.topics().first() == Some(&E::SIGNATURE_HASH))
        .unwrap_or_else(|| panic!("no {} in {logs:?}", E::SIGNATURE))
}

/// Creation code that deploys `runtime` as is.
fn deploy_runtime(runtime: &[u8]) -> Vec<u8> {
    let size = u8::try_from(runtime.len()).expect("a short runtime");
    // PUSH1 size PUSH1 12 PUSH1 0 CODECOPY PUSH1 size PUSH1 0 RETURN: 12 bytes, then the runtime.
    let mut code = vec![0x60, size, 0x60, 12, 0x60, 0x00, 0x39, 0x60, size, 0x60, 0x00, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// A callback that reverts with 512 bytes: its calldata, then zeros
/// (`CALLDATACOPY(0, 0, CALLDATASIZE) REVERT(0, 512)`).
const LONG_REVERT_RUNTIME: [u8; 12] = [0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x61, 0x02, 0x00, 0x60, 0x00, 0xfd];

/// A callee that calls `target` with `calldata` and bubbles its revert
/// (a Solidity high-level call): `CODECOPY` the calldata, `CALL` with all
/// the gas, then `STOP`, or `REVERT` with the return data.
fn forwarding_runtime(target: Address, calldata: &[u8]) -> Vec<u8> {
    let size = u8::try_from(calldata.len()).expect("short calldata");
    // The code before the calldata: 55 bytes; the JUMPDEST at 53.
    let mut code = vec![0x60, size, 0x60, 55, 0x60, 0x00, 0x39];
    code.extend([0x60, 0x00, 0x60, 0x00, 0x60, size, 0x60, 0x00, 0x60, 0x00, 0x73]);
    code.extend_from_slice(target.as_slice());
    code.extend([0x5a, 0xf1, 0x60, 53, 0x57]);
    code.extend([0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, 0x3d, 0x60, 0x00, 0xfd, 0x5b, 0x00]);
    assert_eq!(code.len(), 55);
    code.extend_from_slice(calldata);
    code
}

fn varint(mut value: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    while value >= 0x80 {
        bytes.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
    bytes
}

/// The dag-pb node `ipfs add` makes of a file of one chunk (under 256 KiB):
/// `PBNode { Data: UnixFS { Type: File, Data: content, filesize } }`
/// (the UnixFS spec's `unixfs.proto` and dag-pb's `merkledag.proto`).
fn unixfs_file_node(content: &[u8]) -> Vec<u8> {
    let mut unixfs = vec![0x08, 0x02, 0x12];
    unixfs.extend(varint(content.len()));
    unixfs.extend_from_slice(content);
    unixfs.push(0x18);
    unixfs.extend(varint(content.len()));
    let mut node = vec![0x0a];
    node.extend(varint(unixfs.len()));
    node.extend(unixfs);
    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_delivers_the_callback_with_its_gas_and_pays_the_fee_to_the_claimer() {
    let net = Net::start().await;
    let owner_before = net.balance(addr(OWNER)).await;
    let (task, submitted) = net.submit_to(net.receiver, CALLBACK_GAS, r#"{"prompt":"deliver me"}"#).await;
    let requested = events::<IEngine::CallbackRequested>(&submitted, net.engine);
    assert_eq!(requested.len(), 1);
    assert_eq!(
        (requested[0].task, requested[0].callback, requested[0].gasLimit, requested[0].fee),
        (task, net.receiver, CALLBACK_GAS, callback_fee())
    );
    assert_eq!(net.balance(addr(OWNER)).await, owner_before - task_fee() - callback_fee(), "both fees escrowed");
    let record = net.callback(task).await;
    assert_eq!(
        (record.callback, record.gasLimit, record.status, record.fee),
        (net.receiver, CALLBACK_GAS, PENDING, callback_fee())
    );

    let cid = output_cid(0xa1);
    net.solve(task, cid.clone()).await;
    // Revealed but contestable: not final, nothing to retry.
    assert_eq!(net.callback(task).await.status, PENDING);
    let retry = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    assert_eq!(net.refusal(OWNER, net.engine, retry.clone()).await, "solution is not final yet");
    assert_eq!(
        net.refusal(CLAIMER, net.engine, IEngine::claimSolutionCall { taskid_: task }).await,
        "not enough delay"
    );
    net.wait_claim_window().await;

    let (claimer_before, solver_before) = (net.balance(addr(CLAIMER)).await, net.balance(addr(SOLVER)).await);
    let claim = net.claim(task).await;
    assert_eq!(net.balance(addr(CLAIMER)).await - claimer_before, callback_fee(), "the claimer earns the callback fee");
    assert_eq!(
        net.balance(addr(SOLVER)).await - solver_before,
        net.solver_earnings(&claim).await,
        "the solver is paid"
    );

    // The callee got exactly its limit: `gasleft()` at its entry is the limit
    // less its dispatch (a few hundred gas), not 63/64 of what the claim had left.
    assert_eq!(net.receiver_count().await, U256::from(1u8));
    assert_eq!(net.view(net.receiver, ITestTaskReceiver::lastTaskCall {}).await, task);
    assert_eq!(net.view(net.receiver, ITestTaskReceiver::lastCidCall {}).await, cid);
    let gas_left = net.view(net.receiver, ITestTaskReceiver::lastGasLeftCall {}).await.to::<u64>();
    assert!(gas_left < CALLBACK_GAS && CALLBACK_GAS - gas_left < 1_000, "gasleft() at entry {gas_left}");

    let delivered = events::<IEngine::CallbackDelivered>(&claim, net.engine);
    assert_eq!(delivered.len(), 1);
    assert_eq!((delivered[0].task, delivered[0].callback), (task, net.receiver));
    let callee_gas = delivered[0].gasUsed.to::<u64>();
    assert!(callee_gas > 20_000 && callee_gas < CALLBACK_GAS, "the callee used {callee_gas}");
    let received = events::<ITestTaskReceiver::Received>(&claim, net.receiver);
    assert_eq!(received.len(), 1);
    assert_eq!((received[0].taskid, received[0].cid.clone()), (task, cid));
    // The claim's own events come first, the callee's in the middle, the delivery's last.
    let claimed_at = log_position::<IEngine::SolutionClaimed>(&claim, net.engine);
    let received_at = log_position::<ITestTaskReceiver::Received>(&claim, net.receiver);
    let delivered_at = log_position::<IEngine::CallbackDelivered>(&claim, net.engine);
    assert!(claimed_at < received_at && received_at < delivered_at, "{claimed_at} {received_at} {delivered_at}");
    assert!(claim.gas_used > callee_gas, "the claim's receipt includes the callee's gas");

    let record = net.callback(task).await;
    assert_eq!((record.status, record.fee), (DELIVERED, U256::ZERO), "delivered, the fee paid out");
    assert_eq!(net.refusal(OWNER, net.engine, retry).await, "callback already delivered");
    assert_eq!(net.refusal(CLAIMER, net.engine, IEngine::claimSolutionCall { taskid_: task }).await, "already claimed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_input_log_carries_the_input_whose_cid_the_engine_stored() {
    let net = Net::start().await;
    // Longer than 127 bytes, so that the node's lengths take two varint bytes.
    let mut input = br#"{"prompt":""#.to_vec();
    input.extend((0..600u32).map(|i| b'a' + (i % 26) as u8));
    input.extend_from_slice(br#""}"#);
    let input = String::from_utf8(input).unwrap();
    let (task, submitted) = net.submit_to(net.receiver, CALLBACK_GAS, &input).await;
    let logged = events::<IEngine::TaskInput>(&submitted, net.engine);
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].task, logged[0].input.as_ref()), (task, input.as_bytes()));

    // CIDv0 computed independently of the engine: the SHA-256 precompile over
    // the dag-pb node.
    let sha256 = Address::with_last_byte(2);
    let digest = net.call(0, sha256, unixfs_file_node(input.as_bytes()), None).await.expect("sha256");
    let expected = [&[0x12, 0x20][..], &digest[..]].concat();
    let stored = net.view(net.engine, IEngine::tasksCall { taskid: task }).await.cid;
    assert_eq!(stored.as_ref(), expected.as_slice());

    // A task a contract submitted: the transaction's calldata is the
    // contract's, the log still has the input.
    let contract_input = Bytes::from_static(br#"{"prompt":"from a contract"}"#);
    let call = ITestTaskReceiver::submitWithCallbackCall {
        model: net.model,
        fee: task_fee(),
        input: contract_input.clone(),
        gasLimit: CALLBACK_GAS,
        callbackFee: callback_fee(),
    };
    let receipt = net.send(STRANGER, net.receiver, call).await;
    let task = events::<ITestTaskReceiver::Submitted>(&receipt, net.receiver)[0].taskid;
    let logged = events::<IEngine::TaskInput>(&receipt, net.engine);
    assert_eq!((logged[0].task, logged[0].input.clone()), (task, contract_input.clone()));
    let digest = net.call(0, sha256, unixfs_file_node(&contract_input), None).await.expect("sha256");
    let stored = net.view(net.engine, IEngine::tasksCall { taskid: task }).await;
    assert_eq!(stored.cid.as_ref(), [&[0x12, 0x20][..], &digest[..]].concat().as_slice());
    assert_eq!(stored.owner, net.receiver);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reverting_callback_fails_the_claim_goes_through_and_only_its_owner_or_contract_retries() {
    let net = Net::start().await;
    net.set_mode(REVERT).await;
    // The fixture submits, so that it is both the owner and the callback.
    let call = ITestTaskReceiver::submitWithCallbackCall {
        model: net.model,
        fee: task_fee(),
        input: Bytes::from_static(br#"{"prompt":"refuse me"}"#),
        gasLimit: CALLBACK_GAS,
        callbackFee: callback_fee(),
    };
    let receiver_before = net.balance(net.receiver).await;
    let receipt = net.send(STRANGER, net.receiver, call).await;
    let task = events::<ITestTaskReceiver::Submitted>(&receipt, net.receiver)[0].taskid;
    assert_eq!(net.balance(net.receiver).await, receiver_before - task_fee() - callback_fee());
    net.solve(task, output_cid(0xb2)).await;
    net.wait_claim_window().await;

    let (claimer_before, solver_before) = (net.balance(addr(CLAIMER)).await, net.balance(addr(SOLVER)).await);
    let claim = net.claim(task).await;
    let failed = events::<IEngine::CallbackFailed>(&claim, net.engine);
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].task, failed[0].callback), (task, net.receiver));
    assert_eq!(failed[0].reason, Bytes::from(ITestTaskReceiver::Refused { taskid: task }.abi_encode()));
    assert!(events::<IEngine::CallbackDelivered>(&claim, net.engine).is_empty());
    assert!(net.view(net.engine, IEngine::solutionsCall { taskid: task }).await.claimed, "claimed all the same");
    assert_eq!(net.balance(addr(CLAIMER)).await - claimer_before, callback_fee(), "the fee is paid on a failure too");
    assert_eq!(net.balance(addr(SOLVER)).await - solver_before, net.solver_earnings(&claim).await);
    assert_eq!(net.callback(task).await.status, FAILED);

    // A stranger may not retry: refused by eth_call, and a mined attempt reverts.
    let retry = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    let only = "only the task's owner or its callback may retry";
    assert_eq!(net.refusal(STRANGER, net.engine, retry.clone()).await, only);
    let mined = net.send_with_gas(STRANGER, net.engine, retry.abi_encode(), GAS).await;
    assert!(!mined.status() && mined.inner.logs().is_empty());
    assert_eq!(net.callback(task).await.status, FAILED);
    let too_much = IEngine::retryCallbackCall { taskid_: task, gasLimit_: MAX_CALLBACK_GAS + 1 };
    assert_eq!(net.refusal(STRANGER, net.engine, too_much).await, only, "the sender is checked first");

    // The fixture (owner and callback) retries once it accepts.
    net.set_mode(RECORD).await;
    let claimer_before = net.balance(addr(CLAIMER)).await;
    let retried = net.send(STRANGER, net.receiver, ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 }).await;
    let delivered = events::<IEngine::CallbackDelivered>(&retried, net.engine);
    assert_eq!((delivered.len(), delivered[0].task), (1, task));
    assert_eq!(events::<ITestTaskReceiver::Received>(&retried, net.receiver).len(), 1);
    assert!(events::<IDmlToken::Transfer>(&retried, net.token).is_empty(), "the fee was paid once, at the claim");
    assert_eq!(net.balance(addr(CLAIMER)).await, claimer_before);
    assert_eq!(net.receiver_count().await, U256::from(1u8));
    let gas_left = net.view(net.receiver, ITestTaskReceiver::lastGasLeftCall {}).await.to::<u64>();
    assert!(CALLBACK_GAS - gas_left < 1_000, "a retry with 0 gets the task's own limit ({gas_left})");
    assert_eq!(net.callback(task).await.status, DELIVERED);
    // The fixture's retry bubbles the engine's refusal.
    let again = ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 };
    assert_eq!(net.refusal(STRANGER, net.receiver, again).await, "callback already delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_out_of_gas_fails_and_its_owner_retries_it_with_other_gas() {
    let net = Net::start().await;
    net.set_mode(BURN_GAS).await;
    let task = net.submit(CALLBACK_GAS, r#"{"prompt":"burn"}"#).await;
    net.solve(task, output_cid(0xc3)).await;
    net.wait_claim_window().await;
    let (claimer_before, solver_before) = (net.balance(addr(CLAIMER)).await, net.balance(addr(SOLVER)).await);
    let claim = net.claim(task).await;
    let failed = events::<IEngine::CallbackFailed>(&claim, net.engine);
    assert_eq!((failed.len(), failed[0].reason.clone()), (1, Bytes::new()), "out of gas: no revert data");
    assert!(claim.gas_used > CALLBACK_GAS, "the callee burnt all its {CALLBACK_GAS} gas: {}", claim.gas_used);
    assert_eq!(net.balance(addr(CLAIMER)).await - claimer_before, callback_fee());
    assert_eq!(net.balance(addr(SOLVER)).await - solver_before, net.solver_earnings(&claim).await);
    assert_eq!(net.callback(task).await.status, FAILED);

    // The owner retries with a smaller limit (it fails again, within it),
    // not above the maximum, then with the task's own once the callee accepts.
    let retry = |gas| IEngine::retryCallbackCall { taskid_: task, gasLimit_: gas };
    let small = net.send(OWNER, net.engine, retry(50_000)).await;
    assert_eq!(events::<IEngine::CallbackFailed>(&small, net.engine).len(), 1);
    assert!(small.gas_used > 50_000 && small.gas_used < CALLBACK_GAS, "{}", small.gas_used);
    assert_eq!(
        net.refusal(OWNER, net.engine, retry(MAX_CALLBACK_GAS + 1)).await,
        "callback gas limit must be 1 to 5000000"
    );
    net.set_mode(RECORD).await;
    let delivered = net.send(OWNER, net.engine, retry(0)).await;
    assert_eq!(events::<IEngine::CallbackDelivered>(&delivered, net.engine).len(), 1);
    assert_eq!(net.callback(task).await.status, DELIVERED);
    assert_eq!(net.receiver_count().await, U256::from(1u8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_reentering_the_engine_or_the_token_fails_and_the_claim_is_paid() {
    let net = Net::start().await;
    // A callee whose nested call would succeed outside a callback: a fresh
    // commitment needs neither stake nor funds.
    let commitment = IEngine::signalCommitmentCall { commitment_: B256::repeat_byte(0x5c) }.abi_encode();
    let committer = net.deploy(deploy_runtime(&forwarding_runtime(net.engine, &commitment))).await;
    let solved = IDmlTaskReceiver::onTaskSolvedCall { taskid: B256::ZERO, cid: output_cid(0) }.abi_encode();
    assert_eq!(net.call(STRANGER, committer, solved, None).await, Ok(Bytes::new()), "outside a callback it commits");

    let by_engine = net.submit(CALLBACK_GAS, r#"{"prompt":"reenter the engine"}"#).await;
    let by_token = net.submit(CALLBACK_GAS, r#"{"prompt":"reenter the token"}"#).await;
    let (by_committer, _) = net.submit_to(committer, CALLBACK_GAS, r#"{"prompt":"commit from inside"}"#).await;
    net.solve(by_engine, output_cid(0xd4)).await;
    net.solve(by_token, output_cid(0xd5)).await;
    net.solve(by_committer, output_cid(0xd6)).await;
    net.wait_claim_window().await;
    let refused = Bytes::from(IEngine::ReentrancyGuardReentrantCall {}.abi_encode());
    // The fixture's nested `signalCommitment` would succeed outside a
    // callback: only the guard refuses it.
    let cases = [
        ("the fixture's signalCommitment", Some(REENTER_ENGINE), by_engine, refused.clone()),
        ("the fixture's DML transfer", Some(REENTER_TOKEN), by_token, refused.clone()),
        ("signalCommitment", None, by_committer, refused),
    ];
    for (what, mode, task, reason) in cases {
        if let Some(mode) = mode {
            net.set_mode(mode).await;
        }
        let callee = net.callback(task).await.callback;
        let (claimer_before, solver_before) = (net.balance(addr(CLAIMER)).await, net.balance(addr(SOLVER)).await);
        let claim = net.claim(task).await;
        let failed = events::<IEngine::CallbackFailed>(&claim, net.engine);
        assert_eq!((failed.len(), failed[0].reason.clone()), (1, reason), "{what}");
        assert!(events::<IEngine::TaskSubmitted>(&claim, net.engine).is_empty(), "{what}: no nested task");
        assert!(events::<IEngine::SignalCommitment>(&claim, net.engine).is_empty(), "{what}: no nested commitment");
        let transfers = events::<IDmlToken::Transfer>(&claim, net.token);
        assert!(transfers.iter().all(|t| t.from != callee), "{what}: no nested transfer");
        assert_eq!(net.balance(addr(CLAIMER)).await - claimer_before, callback_fee(), "{what}");
        assert_eq!(net.balance(addr(SOLVER)).await - solver_before, net.solver_earnings(&claim).await, "{what}");
        assert_eq!(net.callback(task).await.status, FAILED, "{what}");
    }
    let slot = IEngine::commitmentsCall { commitment: B256::repeat_byte(0x5c) };
    assert_eq!(net.view(net.engine, slot).await, U256::ZERO, "the nested commitment was not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_without_the_callbacks_gas_reverts_and_the_estimate_is_enough() {
    let net = Net::start().await;
    let callback_gas = 1_000_000;
    let task = net.submit(callback_gas, r#"{"prompt":"short of gas"}"#).await;
    let generous = net.submit(callback_gas, r#"{"prompt":"plenty of gas"}"#).await;
    net.solve(task, output_cid(0xe5)).await;
    net.solve(generous, output_cid(0xe6)).await;
    net.wait_claim_window().await;

    let data = IEngine::claimSolutionCall { taskid_: task }.abi_encode();
    let short = 21_000 + 600_000;
    let claimer_before = net.balance(addr(CLAIMER)).await;
    assert_eq!(
        net.call(CLAIMER, net.engine, data.clone(), Some(short)).await.expect_err("reverts"),
        "not enough gas for the callback"
    );
    let mined = net.send_with_gas(CLAIMER, net.engine, data.clone(), short).await;
    assert!(!mined.status() && mined.inner.logs().is_empty(), "{mined:?}");
    assert_eq!(net.callback(task).await.status, PENDING);
    assert!(!net.view(net.engine, IEngine::solutionsCall { taskid: task }).await.claimed);
    assert_eq!(net.balance(addr(CLAIMER)).await, claimer_before, "no fee for a reverted claim");
    assert_eq!(net.receiver_count().await, U256::ZERO);

    // The estimate is the least gas that passes the check, so one gas less is refused with it.
    let estimate = net.estimate(CLAIMER, net.engine, data.clone()).await;
    assert!(estimate > callback_gas, "estimate {estimate}");
    assert_eq!(
        net.call(CLAIMER, net.engine, data.clone(), Some(estimate - 1)).await.expect_err("one short"),
        "not enough gas for the callback"
    );
    let claim = net.send_with_gas(CLAIMER, net.engine, data, estimate).await;
    assert!(claim.status(), "the estimate suffices: {claim:?}");
    assert_eq!(events::<IEngine::CallbackDelivered>(&claim, net.engine).len(), 1);
    assert_eq!(net.balance(addr(CLAIMER)).await - claimer_before, callback_fee());
    let at_estimate = net.view(net.receiver, ITestTaskReceiver::lastGasLeftCall {}).await;

    // With far more gas the callee gets the same: exactly its limit.
    let data = IEngine::claimSolutionCall { taskid_: generous }.abi_encode();
    assert!(net.send_with_gas(CLAIMER, net.engine, data, 5_000_000 + callback_gas).await.status());
    let at_plenty = net.view(net.receiver, ITestTaskReceiver::lastGasLeftCall {}).await;
    assert_eq!(at_estimate, at_plenty);
    assert!(callback_gas - at_plenty.to::<u64>() < 1_000, "gasleft() at entry {at_plenty}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_revert_is_cut_to_256_bytes_and_a_small_limit_still_estimates_exactly() {
    let net = Net::start().await;
    let long_revert = net.deploy(deploy_runtime(&LONG_REVERT_RUNTIME)).await;
    // A small limit: the bookkeeping after the call (status, the longest
    // CallbackFailed) must fit in what the engine kept back.
    let callback_gas = 1_000;
    let (task, _) = net.submit_to(long_revert, callback_gas, r#"{"prompt":"long revert"}"#).await;
    let cid = output_cid(0xf6);
    net.solve(task, cid.clone()).await;
    net.wait_claim_window().await;

    let data = IEngine::claimSolutionCall { taskid_: task }.abi_encode();
    let estimate = net.estimate(CLAIMER, net.engine, data.clone()).await;
    let one_short = net.call(CLAIMER, net.engine, data.clone(), Some(estimate - 1)).await;
    assert_eq!(one_short.expect_err("one short"), "not enough gas for the callback");
    let claim = net.send_with_gas(CLAIMER, net.engine, data, estimate).await;
    assert!(claim.status(), "the estimate suffices: {claim:?}");
    let failed = events::<IEngine::CallbackFailed>(&claim, net.engine);
    assert_eq!(failed.len(), 1);
    let calldata = IDmlTaskReceiver::onTaskSolvedCall { taskid: task, cid }.abi_encode();
    let mut expected = calldata.clone();
    expected.resize(256, 0);
    assert_eq!(failed[0].reason.len(), 256, "the first 256 of 512 bytes");
    assert_eq!(failed[0].reason.as_ref(), expected.as_slice(), "its calldata, then zeros");
    assert_eq!(net.callback(task).await.status, FAILED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contestation_the_solution_loses_cancels_the_callback_and_refunds_its_fee() {
    let net = Net::start().await;
    let task = net.submit(CALLBACK_GAS, r#"{"prompt":"contested and lost"}"#).await;
    net.solve(task, output_cid(0x17)).await;
    net.send(CONTESTER, net.engine, IEngine::submitContestationCall { taskid_: task }).await;
    net.send(VOTER, net.engine, IEngine::voteOnContestationCall { taskid_: task, yea_: true }).await;
    net.wait_claim_window().await;
    assert_eq!(
        net.refusal(CLAIMER, net.engine, IEngine::claimSolutionCall { taskid_: task }).await,
        "has contestation"
    );
    let retry = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    assert_eq!(net.refusal(OWNER, net.engine, retry.clone()).await, "solution is not final yet");

    let (owner_before, finisher_before) = (net.balance(addr(OWNER)).await, net.balance(addr(CLAIMER)).await);
    // Two yeas (the contester and the voter) win; the first batch settles the task.
    let finish = |amount| IEngine::contestationVoteFinishCall { taskid_: task, amnt_: amount };
    let first = net.send(CLAIMER, net.engine, finish(1)).await;
    let resolved = events::<IEngine::ContestationResolved>(&first, net.engine);
    assert!(resolved[0].contestationWon);
    let cancelled = events::<IEngine::CallbackCancelled>(&first, net.engine);
    assert_eq!(cancelled.len(), 1);
    assert_eq!((cancelled[0].task, cancelled[0].callback), (task, net.receiver));
    assert!(events::<IEngine::CallbackDelivered>(&first, net.engine).is_empty());
    assert!(events::<ITestTaskReceiver::Received>(&first, net.receiver).is_empty());
    assert_eq!(net.balance(addr(OWNER)).await - owner_before, task_fee() + callback_fee(), "both fees back");
    assert_eq!(net.balance(addr(CLAIMER)).await, finisher_before, "no callback fee for the finisher");
    let record = net.callback(task).await;
    assert_eq!((record.status, record.fee), (CANCELLED, U256::ZERO));

    let second = net.send(CLAIMER, net.engine, finish(1)).await;
    assert!(events::<IEngine::CallbackCancelled>(&second, net.engine).is_empty());
    assert!(events::<IEngine::CallbackDelivered>(&second, net.engine).is_empty());
    assert_eq!(net.refusal(CLAIMER, net.engine, finish(1)).await, "contestation already finished");
    assert_eq!(net.receiver_count().await, U256::ZERO, "never delivered");
    assert_eq!(net.refusal(OWNER, net.engine, retry).await, "callback cancelled: the task has no final solution");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contestation_the_solution_survives_delivers_at_the_first_finish_batch() {
    let net = Net::start().await;
    let task = net.submit(CALLBACK_GAS, r#"{"prompt":"contested and upheld"}"#).await;
    let cid = output_cid(0x28);
    net.solve(task, cid.clone()).await;
    net.send(CONTESTER, net.engine, IEngine::submitContestationCall { taskid_: task }).await;
    net.send(VOTER, net.engine, IEngine::voteOnContestationCall { taskid_: task, yea_: false }).await;
    net.wait_claim_window().await;
    assert_eq!(net.callback(task).await.status, PENDING);

    // Two nays (the accused and the voter) against one yea: the solution stands.
    let finish = |amount| IEngine::contestationVoteFinishCall { taskid_: task, amnt_: amount };
    let (finisher_before, solver_before) = (net.balance(addr(CLAIMER)).await, net.balance(addr(SOLVER)).await);
    let first = net.send(CLAIMER, net.engine, finish(1)).await;
    assert!(!events::<IEngine::ContestationResolved>(&first, net.engine)[0].contestationWon);
    let delivered = events::<IEngine::CallbackDelivered>(&first, net.engine);
    assert_eq!((delivered.len(), delivered[0].task), (1, task));
    let received = events::<ITestTaskReceiver::Received>(&first, net.receiver);
    assert_eq!((received.len(), received[0].cid.clone()), (1, cid.clone()));
    assert_eq!(net.balance(addr(CLAIMER)).await - finisher_before, callback_fee(), "the finisher delivers");
    assert!(net.balance(addr(SOLVER)).await > solver_before, "the solver is paid at the first batch");
    assert_eq!(net.view(net.receiver, ITestTaskReceiver::lastCidCall {}).await, cid);
    let gas_left = net.view(net.receiver, ITestTaskReceiver::lastGasLeftCall {}).await.to::<u64>();
    assert!(CALLBACK_GAS - gas_left < 1_000, "gasleft() at entry {gas_left}");
    let record = net.callback(task).await;
    assert_eq!((record.status, record.fee), (DELIVERED, U256::ZERO));

    // The second batch pays the other winner and delivers nothing again.
    let finisher_before = net.balance(addr(CLAIMER)).await;
    let second = net.send(CLAIMER, net.engine, finish(1)).await;
    assert!(events::<IEngine::CallbackDelivered>(&second, net.engine).is_empty());
    assert!(events::<ITestTaskReceiver::Received>(&second, net.receiver).is_empty());
    assert_eq!(net.balance(addr(CLAIMER)).await, finisher_before);
    assert_eq!(net.receiver_count().await, U256::from(1u8));
    assert_eq!(net.refusal(CLAIMER, net.engine, IEngine::claimSolutionCall { taskid_: task }).await, "already claimed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retraction_cancels_the_callback_and_refunds_its_fee_whole() {
    let net = Net::start().await;
    let task = net.submit(CALLBACK_GAS, r#"{"prompt":"never solved"}"#).await;
    net.wait(CLAIM_WINDOW + 1).await;
    let pct = net.view(net.engine, IEngine::retractionFeePercentageCall {}).await;
    let owner_before = net.balance(addr(OWNER)).await;
    let retracted = net.send(OWNER, net.engine, IEngine::retractTaskCall { taskid_: task }).await;
    let cancelled = events::<IEngine::CallbackCancelled>(&retracted, net.engine);
    assert_eq!((cancelled.len(), cancelled[0].task), (1, task));
    let refund = task_fee() * (U256::from(WAD) - pct) / U256::from(WAD);
    assert_eq!(net.balance(addr(OWNER)).await - owner_before, refund + callback_fee(), "no retraction fee on it");
    assert_eq!(net.callback(task).await.status, CANCELLED);
    let retry = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    assert_eq!(net.refusal(OWNER, net.engine, retry).await, "callback cancelled: the task has no final solution");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_claim_delivers_every_callback_and_pays_every_fee() {
    let net = Net::start().await;
    let tasks = [
        net.submit(CALLBACK_GAS, r#"{"prompt":"bulk one"}"#).await,
        net.submit(CALLBACK_GAS, r#"{"prompt":"bulk two"}"#).await,
    ];
    net.solve(tasks[0], output_cid(0x31)).await;
    net.solve(tasks[1], output_cid(0x32)).await;
    net.wait_claim_window().await;
    let claimer_before = net.balance(addr(CLAIMER)).await;
    let claim = net.send(CLAIMER, net.engine, IEngine::bulkClaimSolutionCall { taskids_: tasks.to_vec() }).await;
    let delivered: Vec<B256> =
        events::<IEngine::CallbackDelivered>(&claim, net.engine).into_iter().map(|d| d.task).collect();
    assert_eq!(delivered, tasks);
    assert_eq!(net.receiver_count().await, U256::from(2u8));
    assert_eq!(net.balance(addr(CLAIMER)).await - claimer_before, callback_fee() * U256::from(2u8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_task_with_callback_refuses_bad_limits_and_a_callback_without_code() {
    let net = Net::start().await;
    let submit = |callback, gas| IEngine::submitTaskWithCallbackCall {
        version_: 0,
        owner_: addr(OWNER),
        model_: net.model,
        fee_: task_fee(),
        input_: Bytes::from_static(b"{}"),
        callback_: callback,
        callbackGasLimit_: gas,
        callbackFee_: callback_fee(),
    };
    let bad_limit = "callback gas limit must be 1 to 5000000";
    assert_eq!(net.refusal(OWNER, net.engine, submit(net.receiver, 0)).await, bad_limit);
    assert_eq!(net.refusal(OWNER, net.engine, submit(net.receiver, MAX_CALLBACK_GAS + 1)).await, bad_limit);
    assert_eq!(net.refusal(OWNER, net.engine, submit(addr(STRANGER), CALLBACK_GAS)).await, "callback has no code");
    let at_most = submit(net.receiver, MAX_CALLBACK_GAS).abi_encode();
    assert!(net.call(OWNER, net.engine, at_most, None).await.is_ok(), "the maximum is accepted");
    let none = net.callback(B256::repeat_byte(7)).await;
    assert_eq!((none.callback, none.gasLimit, none.status, none.fee), (Address::ZERO, 0, 0, U256::ZERO));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genesis_with_examples_deploys_them_where_example_addresses_says() {
    let net = Net::start_with(|config| config.genesis.examples.enabled = true).await;
    let contracts = net.raw.result("dml_getContracts", json!([])).await;
    let at = ExampleAddresses::at_genesis();
    let listed = |name: &str| -> Address { contracts["examples"][name].as_str().expect(name).parse().unwrap() };
    assert_eq!((listed("nft"), listed("competition"), listed("taskChain")), (at.nft, at.competition, at.task_chain));
    for address in [at.nft, at.competition, at.task_chain] {
        assert!(!net.provider(0).get_code_at(address).await.unwrap().is_empty(), "code at {address}");
    }
    let defaults = dml_chain::GenesisConfig::default().examples;
    assert_eq!(net.view(at.nft, IDmlImageNFT::engineCall {}).await, net.engine);
    assert_eq!(net.view(at.nft, IDmlImageNFT::modelCall {}).await, net.model, "the first genesis model");
    assert_eq!(net.view(at.nft, IDmlImageNFT::callbackGasLimitCall {}).await, defaults.callback_gas_limit);
    assert_eq!(net.view(at.nft, IDmlImageNFT::callbackFeeCall {}).await, defaults.callback_fee);
    assert_eq!(net.view(at.nft, IDmlImageNFT::taskFeeCall {}).await, defaults.task_fee);
    assert_eq!(net.view(at.competition, IDmlCompetition::engineCall {}).await, net.engine);
    assert_eq!(net.view(at.task_chain, IDmlTaskChain::engineCall {}).await, net.engine);
    assert_eq!(net.view(at.task_chain, IDmlTaskChain::callbackGasLimitCall {}).await, defaults.callback_gas_limit);
    assert_eq!(net.view(at.task_chain, IDmlTaskChain::callbackFeeCall {}).await, defaults.callback_fee);

    let plain = Net::start_with(|_| {}).await;
    let contracts = plain.raw.result("dml_getContracts", json!([])).await;
    assert!(contracts["examples"].is_null(), "{contracts}");
    assert!(plain.provider(0).get_code_at(at.nft).await.unwrap().is_empty());
}
