//! Tasks with callbacks (`submitTaskWithCallback`), through the wasm (the
//! router sends submissions, the `callbacks` view and retries to the
//! callback facet, claims to the settle facet and contestation finishes to
//! the finish facet, each of which calls the receiver through the host's
//! `call_contract`) and through the dev chain: return or revert data, logs
//! and storage (the engine's, the token's and the receiver's) must be
//! identical. The receiver is the Solidity test fixture `TestTaskReceiver`
//! (`crates/dml-governance/contracts/test/`) in both worlds: deployed on the
//! dev chain, and its runtime code from there run in the harness by
//! `harness/evm.py`, so the gas it reports (`CallbackDelivered.gasUsed`) and
//! the gas it saw on entry (`lastGasLeft`) are the EVM's in both. Its calls
//! back into the engine and the DML token run the real programs, so the
//! Stylus guard is what refuses them. Each path's outcome is checked too
//! (the `callbacks(task)` record, the events, who got the callback fee), so
//! that a script that stopped short of a path fails instead of passing.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, Revert, SolCall, SolError, SolEvent, SolValue};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};
use dml_stylus::CONTRACTS;

use crate::equivalence::{dml, topics, CallResult, Script, Tools, WINDOW};

sol! {
    interface ITestTaskReceiver {
        function setMode(uint8 mode_) external;
        function count() external view returns (uint256);
        function lastTask() external view returns (bytes32);
        function lastCid() external view returns (bytes memory);
        function lastGasLeft() external view returns (uint256);
        function submitWithCallback(bytes32 model, uint256 fee, bytes calldata input, uint64 gasLimit, uint256 callbackFee) external returns (bytes32 taskid);
        function retry(bytes32 taskid, uint64 gasLimit) external;
        event Received(bytes32 indexed taskid, bytes cid);
        event Submitted(bytes32 indexed taskid);
        error Refused(bytes32 taskid);
        error UnknownMode(uint8 mode);
    }
}

/// `TestTaskReceiver` modes.
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

/// Dev accounts' parts in the scripts.
const SOLVER: usize = 1;
const CONTESTER: usize = 2;
const VOTER: usize = 3;
/// Submits tasks from its own account, naming the receiver.
const REQUESTER: usize = 4;
/// Claims and finishes contestations: the callback fee is its.
const DELIVERER: usize = 5;
const STRANGER: usize = 6;
/// Reads views; takes no part otherwise.
const VIEWER: usize = 9;

/// The gas most callbacks name: the fixture's record mode needs about 130,000.
const CALLBACK_GAS: u64 = 200_000;
/// The fixture's dispatch before `gasleft()` on entry, at most.
const ENTRY_GAS: u64 = 1_000;

fn task_fee() -> U256 {
    ONE_DML / U256::from(10u8)
}

fn callback_fee() -> U256 {
    ONE_DML / U256::from(20u8)
}

fn refused() -> Bytes {
    Bytes::from(IEngine::ReentrancyGuardReentrantCall {}.abi_encode())
}

fn reason(text: &str) -> Bytes {
    Bytes::from(Revert::from(text).abi_encode())
}

/// A sha2-256 CIDv0 multihash tagged `tag`.
fn cid(tag: u8) -> Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[tag; 32]);
    bytes.into()
}

/// Every log of event `E` from `emitter` in a call's logs, decoded.
fn events<E: SolEvent>(result: &CallResult, emitter: Address) -> Vec<E> {
    result
        .logs
        .iter()
        .filter(|log| log.address == emitter && log.topics.first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_raw_log(log.topics.iter().copied(), &log.data).expect("the log decodes"))
        .collect()
}

/// The one log of event `E` from `emitter`.
fn event<E: SolEvent>(result: &CallResult, emitter: Address) -> E {
    let mut found = events::<E>(result, emitter);
    assert_eq!(found.len(), 1, "one {} in {:?}", E::SIGNATURE, topics(result));
    found.remove(0)
}

fn creation_code(engine: Address) -> Vec<u8> {
    let json = include_str!("../../../dml-governance/artifacts/TestTaskReceiver.json");
    let artifact: serde_json::Value = serde_json::from_str(json).expect("artifact parses");
    let mut code = alloy_primitives::hex::decode(artifact["bytecode"].as_str().expect("bytecode")).expect("hex");
    code.extend(engine.abi_encode());
    code
}

/// Both worlds with `TestTaskReceiver` deployed and funded, a free model,
/// and the solver, the contester and the voter staked.
struct Callbacks {
    s: Script,
    receiver: Address,
    model: B256,
    /// The tag of the next solution's CID (each task gets its own).
    next_tag: u8,
}

impl Callbacks {
    fn start(tools: Tools) -> Self {
        let mut s = Script::start(tools);
        let receiver = s.pair.deploy_evm(creation_code(CONTRACTS.engine));
        let mut w = Self { s, receiver, model: B256::ZERO, next_tag: 0x40 };
        // The fixture pays the fees of the tasks it submits from its own DML.
        w.ok(0, CONTRACTS.token, IDmlToken::transferCall { to: receiver, amount: dml(20) });
        let owner = w.s.address(0);
        let template = br#"{"name":"callbacks"}"#.to_vec().into();
        let register = IEngine::registerModelCall { addr_: owner, fee_: U256::ZERO, template_: template };
        w.model = w.ok(0, CONTRACTS.engine, register).0;
        for account in [SOLVER, CONTESTER, VOTER] {
            let validator = w.s.address(account);
            w.ok(account, CONTRACTS.engine, IEngine::validatorDepositCall { validator_: validator, amount_: dml(50) });
        }
        w
    }

    /// `call` from dev account `sender` to `to` in both worlds, compared.
    fn send<C: SolCall>(&mut self, sender: usize, to: Address, call: &C) -> CallResult {
        self.send_with_gas(sender, to, call, crate::equivalence::TX_GAS)
    }

    /// [`Callbacks::send`] as a transaction with gas limit `gas`.
    fn send_with_gas<C: SolCall>(&mut self, sender: usize, to: Address, call: &C, gas: u64) -> CallResult {
        let step = self.s.pair.step_with_gas(sender, to, &call.abi_encode(), 1, gas);
        assert_eq!(step.wasm, step.chain, "{}: wasm and dev chain differ", C::SIGNATURE);
        step.chain
    }

    /// A call that must succeed; its decoded return.
    fn ok<C: SolCall>(&mut self, sender: usize, to: Address, call: C) -> (C::Return, CallResult) {
        let result = self.send(sender, to, &call);
        assert!(result.ok, "{} reverted: {}", C::SIGNATURE, result.output);
        (C::abi_decode_returns(&result.output).expect("return data decodes"), result)
    }

    /// A call that must revert with exactly `data`, logging nothing.
    fn reverts<C: SolCall>(&mut self, sender: usize, to: Address, call: C, data: Bytes) {
        let result = self.send(sender, to, &call);
        assert!(!result.ok, "{} succeeded, expected a revert", C::SIGNATURE);
        assert_eq!(result.output, data, "{}: revert data", C::SIGNATURE);
        assert!(result.logs.is_empty());
    }

    fn engine<C: SolCall>(&mut self, sender: usize, call: C) -> (C::Return, CallResult) {
        self.ok(sender, CONTRACTS.engine, call)
    }

    fn view<C: SolCall>(&mut self, to: Address, call: C) -> C::Return {
        self.ok(VIEWER, to, call).0
    }

    fn record(&mut self, task: B256) -> IEngine::callbacksReturn {
        self.view(CONTRACTS.engine, IEngine::callbacksCall { taskid: task })
    }

    fn status(&mut self, task: B256) -> u8 {
        self.record(task).status
    }

    fn balance(&mut self, account: Address) -> U256 {
        self.view(CONTRACTS.token, IDmlToken::balanceOfCall { account })
    }

    fn received(&mut self) -> U256 {
        self.view(self.receiver, ITestTaskReceiver::countCall {})
    }

    fn set_mode(&mut self, mode: u8) {
        let receiver = self.receiver;
        self.ok(STRANGER, receiver, ITestTaskReceiver::setModeCall { mode_: mode });
    }

    fn wait(&mut self, seconds: u64) {
        self.s.pair.time += seconds;
    }

    /// A task the fixture submits with itself as owner and callback
    /// (`submitWithCallback`, sent by the requester).
    fn submit_through_fixture(&mut self, gas: u64) -> B256 {
        let call = ITestTaskReceiver::submitWithCallbackCall {
            model: self.model,
            fee: task_fee(),
            input: br#"{"prompt":"call me back"}"#.to_vec().into(),
            gasLimit: gas,
            callbackFee: callback_fee(),
        };
        let receiver = self.receiver;
        let (task, result) = self.ok(REQUESTER, receiver, call);
        assert_eq!(event::<ITestTaskReceiver::Submitted>(&result, receiver).taskid, task);
        self.check_requested(task, &result, gas);
        task
    }

    /// A task the requester submits from its own account, naming the fixture.
    fn submit_directly(&mut self, gas: u64) -> B256 {
        let call = IEngine::submitTaskWithCallbackCall {
            version_: 0,
            owner_: self.s.address(REQUESTER),
            model_: self.model,
            fee_: task_fee(),
            input_: br#"{"prompt":"call them back"}"#.to_vec().into(),
            callback_: self.receiver,
            callbackGasLimit_: gas,
            callbackFee_: callback_fee(),
        };
        let (task, result) = self.engine(REQUESTER, call);
        self.check_requested(task, &result, gas);
        task
    }

    fn check_requested(&mut self, task: B256, result: &CallResult, gas: u64) {
        let requested: IEngine::CallbackRequested = event(result, CONTRACTS.engine);
        assert_eq!(
            (requested.task, requested.callback, requested.gasLimit, requested.fee),
            (task, self.receiver, gas, callback_fee())
        );
        assert_eq!(event::<IEngine::TaskInput>(result, CONTRACTS.engine).task, task);
        let record = self.record(task);
        assert_eq!(
            (record.callback, record.gasLimit, record.status, record.fee),
            (self.receiver, gas, PENDING, callback_fee())
        );
    }

    /// The solver commits to a solution of `task` and reveals it; its CID.
    fn solve(&mut self, task: B256) -> Bytes {
        let solution = cid(self.next_tag);
        self.next_tag += 1;
        let solver = self.s.address(SOLVER);
        let commitment = self.view(
            CONTRACTS.engine,
            IEngine::generateCommitmentCall { sender_: solver, taskid_: task, cid_: solution.clone() },
        );
        self.engine(SOLVER, IEngine::signalCommitmentCall { commitment_: commitment });
        self.engine(SOLVER, IEngine::submitSolutionCall { taskid_: task, cid_: solution.clone() });
        solution
    }

    /// The deliverer claims `task` once its claim window has passed.
    fn claim(&mut self, task: B256) -> CallResult {
        self.wait(WINDOW);
        self.engine(DELIVERER, IEngine::claimSolutionCall { taskid_: task }).1
    }

    /// Checks that `result` delivered `task`'s callback, with `cid`, to a
    /// receiver in record mode: the receiver's `Received`, then the
    /// engine's `CallbackDelivered`. The gas the callback used.
    fn delivered(&mut self, task: B256, cid: &Bytes, gas: u64, result: &CallResult) -> u64 {
        let receiver = self.receiver;
        let received: ITestTaskReceiver::Received = event(result, receiver);
        assert_eq!((received.taskid, &received.cid), (task, cid));
        let delivered: IEngine::CallbackDelivered = event(result, CONTRACTS.engine);
        assert_eq!((delivered.task, delivered.callback), (task, receiver));
        let gas_used = delivered.gasUsed.to::<u64>();
        assert!(gas_used > 0 && gas_used < gas, "the callback used {gas_used} of its {gas} gas");
        let position = |signature| result.logs.iter().position(|log| log.topics[0] == signature);
        assert!(
            position(ITestTaskReceiver::Received::SIGNATURE_HASH)
                < position(IEngine::CallbackDelivered::SIGNATURE_HASH)
        );
        assert!(events::<IEngine::CallbackFailed>(result, CONTRACTS.engine).is_empty());
        let record = self.record(task);
        assert_eq!((record.status, record.fee), (DELIVERED, U256::ZERO));
        assert_eq!(self.view(receiver, ITestTaskReceiver::lastTaskCall {}), task);
        assert_eq!(&self.view(receiver, ITestTaskReceiver::lastCidCall {}), cid);
        // The callback got exactly its gas: what it saw on entry is that less its dispatch.
        let gas_left = self.view(receiver, ITestTaskReceiver::lastGasLeftCall {}).to::<u64>();
        assert!(gas_left < gas && gas_left > gas - ENTRY_GAS, "gasleft() on entry was {gas_left} of {gas}");
        gas_used
    }

    /// Checks that `result` recorded `task`'s callback as failed with `reason`.
    fn failed(&mut self, task: B256, reason: &Bytes, result: &CallResult) {
        let failed: IEngine::CallbackFailed = event(result, CONTRACTS.engine);
        assert_eq!((failed.task, failed.callback, &failed.reason), (task, self.receiver, reason));
        assert!(events::<IEngine::CallbackDelivered>(result, CONTRACTS.engine).is_empty());
        assert!(events::<ITestTaskReceiver::Received>(result, self.receiver).is_empty());
        assert_eq!(self.status(task), FAILED);
    }

    /// Checks that `result` cancelled `task`'s callback and delivered nothing.
    fn cancelled(&mut self, task: B256, result: &CallResult) {
        let cancelled: IEngine::CallbackCancelled = event(result, CONTRACTS.engine);
        assert_eq!((cancelled.task, cancelled.callback), (task, self.receiver));
        assert!(events::<IEngine::CallbackDelivered>(result, CONTRACTS.engine).is_empty());
        assert!(events::<IEngine::CallbackFailed>(result, CONTRACTS.engine).is_empty());
        assert!(events::<ITestTaskReceiver::Received>(result, self.receiver).is_empty());
        let record = self.record(task);
        assert_eq!((record.status, record.fee), (CANCELLED, U256::ZERO));
    }

    fn assert_same_storage(&mut self, context: &str) {
        let receiver = self.receiver;
        self.s.pair.assert_same_storage_at(&[CONTRACTS.engine, CONTRACTS.token, receiver], context);
    }
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn callbacks_are_delivered_refused_and_retried_as_on_the_dev_chain() {
    let Some(tools) = Tools::require("callbacks: deliveries, failures, retries") else { return };
    let mut w = Callbacks::start(tools);
    let receiver = w.receiver;
    let deliverer = w.s.address(DELIVERER);
    let refused_mode = ITestTaskReceiver::UnknownMode { mode: 5 }.abi_encode().into();
    w.reverts(STRANGER, receiver, ITestTaskReceiver::setModeCall { mode_: 5 }, refused_mode);

    // ---- submitted by the fixture: delivered at the claim, the fee to the claimer ----
    let task = w.submit_through_fixture(CALLBACK_GAS);
    let solution = w.solve(task);
    // Where a callback stands is said to anyone; only then who may retry.
    let pending = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    w.reverts(STRANGER, CONTRACTS.engine, pending, reason("solution is not final yet"));
    let early = ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 };
    w.reverts(STRANGER, receiver, early, reason("solution is not final yet"));
    let before = w.balance(deliverer);
    let result = w.claim(task);
    assert_eq!(event::<IEngine::SolutionClaimed>(&result, CONTRACTS.engine).task, task);
    w.delivered(task, &solution, CALLBACK_GAS, &result);
    assert_eq!(w.balance(deliverer), before + callback_fee(), "the claimer earns the callback fee");
    assert_eq!(w.received(), U256::from(1u8));
    let again = ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 };
    w.reverts(STRANGER, receiver, again, reason("callback already delivered"));

    // ---- submitted from an account naming the fixture ----
    let task = w.submit_directly(250_000);
    let solution = w.solve(task);
    let result = w.claim(task);
    w.delivered(task, &solution, 250_000, &result);
    assert_eq!(w.received(), U256::from(2u8));

    // ---- a refusal is recorded with its revert data; retried once it accepts ----
    w.set_mode(REVERT);
    let task = w.submit_through_fixture(CALLBACK_GAS);
    let solution = w.solve(task);
    let result = w.claim(task);
    assert_eq!(event::<IEngine::SolutionClaimed>(&result, CONTRACTS.engine).task, task, "the claim goes through");
    w.failed(task, &ITestTaskReceiver::Refused { taskid: task }.abi_encode().into(), &result);
    let stranger = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    w.reverts(STRANGER, CONTRACTS.engine, stranger, reason("only the task's owner or its callback may retry"));
    // A retry that fails again is recorded again; the retry itself succeeds.
    let (_, result) = w.ok(STRANGER, receiver, ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 });
    w.failed(task, &ITestTaskReceiver::Refused { taskid: task }.abi_encode().into(), &result);
    w.set_mode(RECORD);
    let (_, result) = w.ok(STRANGER, receiver, ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 });
    w.delivered(task, &solution, CALLBACK_GAS, &result);
    assert_eq!(w.received(), U256::from(3u8));

    // ---- out of gas: recorded without revert data; the owner retries with more ----
    w.set_mode(BURN_GAS);
    let task = w.submit_directly(CALLBACK_GAS);
    let solution = w.solve(task);
    let result = w.claim(task);
    w.failed(task, &Bytes::new(), &result);
    w.set_mode(RECORD);
    let too_much = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 5_000_001 };
    w.reverts(REQUESTER, CONTRACTS.engine, too_much, reason("callback gas limit must be 1 to 5000000"));
    let (_, result) = w.engine(REQUESTER, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 300_000 });
    w.delivered(task, &solution, 300_000, &result);

    // ---- calls back into the engine and the token fail, and the failure is recorded ----
    // The fixture's nested `signalCommitment` and its zero DML transfer would
    // both succeed outside a callback: the engine's and the token's guard
    // refuse them.
    for (mode, failure) in [(REENTER_ENGINE, refused()), (REENTER_TOKEN, refused())] {
        w.set_mode(mode);
        let task = w.submit_through_fixture(CALLBACK_GAS);
        w.solve(task);
        let result = w.claim(task);
        w.failed(task, &failure, &result);
    }
    assert_eq!(w.received(), U256::from(4u8));

    // ---- a claim without gas for the whole callback reverts and changes nothing ----
    w.set_mode(RECORD);
    let task = w.submit_through_fixture(1_000_000);
    let solution = w.solve(task);
    w.wait(WINDOW);
    let claim = IEngine::claimSolutionCall { taskid_: task };
    let short = w.send_with_gas(DELIVERER, CONTRACTS.engine, &claim, 600_000);
    assert_eq!((short.ok, short.output, short.logs.len()), (false, reason("not enough gas for the callback"), 0));
    assert_eq!(w.status(task), PENDING);
    let (_, result) = w.engine(DELIVERER, claim);
    w.delivered(task, &solution, 1_000_000, &result);
    assert_eq!(w.received(), U256::from(5u8));

    w.assert_same_storage("after the scripted callbacks");
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn contested_retracted_and_bulk_claimed_callbacks_match_the_dev_chain() {
    let Some(tools) = Tools::require("callbacks: contestations, retractions, bulk claims") else { return };
    let mut w = Callbacks::start(tools);
    let receiver = w.receiver;
    let (deliverer, requester) = (w.s.address(DELIVERER), w.s.address(REQUESTER));
    let finish = |task| IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 10 };

    // ---- a solution that loses its contestation: cancelled, both fees back to the owner ----
    let task = w.submit_through_fixture(CALLBACK_GAS);
    w.solve(task);
    w.engine(CONTESTER, IEngine::submitContestationCall { taskid_: task });
    w.engine(VOTER, IEngine::voteOnContestationCall { taskid_: task, yea_: true });
    w.wait(WINDOW);
    let before = w.balance(receiver);
    let (_, result) = w.engine(DELIVERER, finish(task));
    let resolved: IEngine::ContestationResolved = event(&result, CONTRACTS.engine);
    assert!(resolved.contestationWon);
    w.cancelled(task, &result);
    assert_eq!(w.balance(receiver), before + task_fee() + callback_fee(), "the owner gets both fees back");
    let cancelled = ITestTaskReceiver::retryCall { taskid: task, gasLimit: 0 };
    w.reverts(STRANGER, receiver, cancelled, reason("callback cancelled: the task has no final solution"));

    // ---- a solution that survives its contestation: delivered at the first settlement batch ----
    let task = w.submit_through_fixture(CALLBACK_GAS);
    let solution = w.solve(task);
    w.engine(CONTESTER, IEngine::submitContestationCall { taskid_: task });
    w.engine(VOTER, IEngine::voteOnContestationCall { taskid_: task, yea_: false });
    w.wait(WINDOW);
    let before = w.balance(deliverer);
    let (_, result) = w.engine(DELIVERER, finish(task));
    assert!(!event::<IEngine::ContestationResolved>(&result, CONTRACTS.engine).contestationWon);
    w.delivered(task, &solution, CALLBACK_GAS, &result);
    assert_eq!(w.balance(deliverer), before + callback_fee(), "the finisher earns the callback fee");
    assert_eq!(w.received(), U256::from(1u8));

    // ---- a retracted task: cancelled, the callback fee back with the refund ----
    let task = w.submit_directly(CALLBACK_GAS);
    w.wait(WINDOW);
    let before = w.balance(requester);
    let (_, result) = w.engine(REQUESTER, IEngine::retractTaskCall { taskid_: task });
    assert_eq!(event::<IEngine::TaskRetracted>(&result, CONTRACTS.engine).id, task);
    w.cancelled(task, &result);
    let refunded = w.balance(requester) - before;
    assert!(refunded > callback_fee() && refunded < task_fee() + callback_fee(), "refund less the retraction fee");
    let retry = IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 };
    w.reverts(REQUESTER, CONTRACTS.engine, retry, reason("callback cancelled: the task has no final solution"));

    // ---- one bulk claim, two callbacks: each delivered, the second on warm slots ----
    let tasks = [w.submit_through_fixture(CALLBACK_GAS), w.submit_through_fixture(CALLBACK_GAS)];
    let solutions = [w.solve(tasks[0]), w.solve(tasks[1])];
    w.wait(WINDOW);
    let before = w.balance(deliverer);
    let (_, result) = w.engine(DELIVERER, IEngine::bulkClaimSolutionCall { taskids_: tasks.to_vec() });
    let delivered = events::<IEngine::CallbackDelivered>(&result, CONTRACTS.engine);
    let received = events::<ITestTaskReceiver::Received>(&result, receiver);
    assert_eq!(delivered.iter().map(|d| d.task).collect::<Vec<_>>(), tasks);
    assert_eq!(
        received.iter().map(|r| (r.taskid, r.cid.clone())).collect::<Vec<_>>(),
        [(tasks[0], solutions[0].clone()), (tasks[1], solutions[1].clone())]
    );
    assert!(delivered[1].gasUsed < delivered[0].gasUsed, "the second delivery finds the receiver's slots warm");
    assert_eq!((w.status(tasks[0]), w.status(tasks[1])), (DELIVERED, DELIVERED));
    assert_eq!(w.balance(deliverer), before + callback_fee() * U256::from(2u8));
    assert_eq!(w.received(), U256::from(3u8));

    w.assert_same_storage("after the contested, retracted and bulk-claimed callbacks");
}
