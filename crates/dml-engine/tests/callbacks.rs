//! Tasks with callbacks (`submitTaskWithCallback`), over `MemoryStorage`
//! with a mock receiver contract (`set_call_hook`) standing in for EVM code:
//! delivery at the claim (`claimSolution`, `bulkClaimSolution`) and at the
//! first settlement batch of a contestation the solution survived, with
//! exactly the task's gas; the callback fee to whoever sends the delivering
//! transaction; a failing receiver (revert data cut to 256 bytes, out of gas)
//! recorded without touching the claim's payments, and retried; the
//! reentrancy guard around the receiver; the gas a claimer must bring; a lost
//! contestation or a retraction cancelling the callback and refunding its
//! fee; bad submissions; and what a callback adds to a claim's gas.

mod support;

use std::sync::{Arc, Mutex};

use dml_engine::{
    call, gas, CallContext, CallError, Contract, ContractAddresses, ExternalCall, ExternalCallResult, Log,
    MemoryStorage, Outcome, Storage,
};
use dml_primitives::{
    Address, Bytes, IDmlTaskReceiver, IDmlToken, IEngine, SolCall, SolError, SolEvent, B256, MAX_CALLBACK_GAS,
    MAX_CALLBACK_REASON_BYTES, ONE_DML, U256,
};
use support::*;

const WINDOW: u64 = 100;
/// The mock receiver's address (it has code).
const RECEIVER: Address = Address::repeat_byte(0xca);
/// The gas the tests' callbacks name.
const CALLBACK_GAS: u64 = 200_000;
/// What an accepting receiver reports it used.
const RECEIVER_GAS: u64 = 23_456;
/// The solver (staked 50 DML: five open solutions against the 10 DML slash).
const SOLVER: u8 = 2;
/// The task owner of most tests.
const USER: u8 = 1;
/// Who claims, unless a test says otherwise: neither the solver nor the owner.
const CLAIMER: u8 = 9;

/// `callbacks(task).status`.
const NONE: u8 = 0;
const PENDING: u8 = 1;
const DELIVERED: u8 = 2;
const FAILED: u8 = 3;
const CANCELLED: u8 = 4;

fn wei(n: u64) -> U256 {
    U256::from(n)
}

/// How the mock receiver answers `onTaskSolved`.
#[derive(Clone, Debug)]
enum Behaviour {
    /// Returns, having used [`RECEIVER_GAS`].
    Accept,
    /// Reverts with these bytes.
    Revert(Vec<u8>),
    /// Uses all the gas it was given (an out-of-gas halt: no revert data).
    BurnAll,
    /// Uses all the gas it was given, then reverts with these bytes.
    RevertAfterAll(Vec<u8>),
    /// Sends these calls into the engine or the token as itself, then
    /// bubbles up the revert data of the first that failed, as a Solidity
    /// receiver without `try` would (or returns, if none did).
    Reenter(Vec<(Contract, Vec<u8>)>),
}

/// One `onTaskSolved` the receiver got.
#[derive(Clone, Debug)]
struct Delivery {
    gas_limit: u64,
    value: U256,
    task: B256,
    cid: Bytes,
    /// The engine's logs handed over with the call (emitted before it).
    logs_before: Vec<Log>,
}

struct Receiver {
    behaviour: Behaviour,
    deliveries: Vec<Delivery>,
    reentry_results: Vec<Result<Bytes, CallError>>,
    /// Block and time of the reentrant calls.
    clock: (u64, u64),
}

/// Answers one call from the engine for the receiver in `shared`.
fn answer(shared: &Arc<Mutex<Receiver>>, storage: &mut MemoryStorage, call: &ExternalCall<'_>) -> ExternalCallResult {
    assert_eq!(call.target, RECEIVER, "the engine calls only the task's callback");
    let c = IDmlTaskReceiver::onTaskSolvedCall::abi_decode(call.calldata).expect("onTaskSolved calldata");
    let (behaviour, clock) = {
        let mut r = shared.lock().unwrap();
        r.deliveries.push(Delivery {
            gas_limit: call.gas_limit,
            value: call.value,
            task: c.taskid,
            cid: c.cid,
            logs_before: call.logs.to_vec(),
        });
        (r.behaviour.clone(), r.clock)
    };
    match behaviour {
        Behaviour::Accept => ExternalCallResult::returned(Vec::new(), RECEIVER_GAS),
        Behaviour::Revert(data) => ExternalCallResult::reverted(data, RECEIVER_GAS / 2),
        Behaviour::RevertAfterAll(data) => ExternalCallResult::reverted(data, call.gas_limit),
        Behaviour::BurnAll => {
            ExternalCallResult { success: false, output: Bytes::new(), gas_used: call.gas_limit, gas_refund: 0 }
        }
        Behaviour::Reenter(calls) => {
            // msg.sender of a reentrant call is the receiver.
            let ctx = CallContext::new(RECEIVER, ContractAddresses::default(), clock.0, clock.1);
            let results: Vec<_> = calls
                .iter()
                .map(|(target, data)| dml_engine::call(storage, &ctx, *target, data).map(|o| o.output))
                .collect();
            let refusal = results.iter().find_map(|result| result.as_ref().err().map(CallError::revert_data));
            shared.lock().unwrap().reentry_results.extend(results);
            match refusal {
                Some(data) => ExternalCallResult::reverted(data, RECEIVER_GAS),
                None => ExternalCallResult::returned(Vec::new(), RECEIVER_GAS),
            }
        }
    }
}

/// `callbacks(task)`, as a tuple.
type Record = (Address, u64, u8, U256);

/// A world with short windows, a model (fee 1 DML to `model_addr`), a
/// staked solver, and the mock receiver installed with code.
struct Setup {
    w: World,
    model: B256,
    model_addr: Address,
    rx: Arc<Mutex<Receiver>>,
}

impl Setup {
    fn new() -> Self {
        let mut w = World::new();
        w.set_windows(WINDOW);
        let model_addr = Address::repeat_byte(0x77);
        let model = w.register_model(account(0), model_addr, dml(1), r#"{"name":"echo"}"#);
        w.deposit(account(SOLVER), dml(50));
        let rx = Arc::new(Mutex::new(Receiver {
            behaviour: Behaviour::Accept,
            deliveries: Vec::new(),
            reentry_results: Vec::new(),
            clock: (0, 0),
        }));
        let hooked = Arc::clone(&rx);
        w.storage.set_call_hook(move |storage, call| answer(&hooked, storage, call));
        w.storage.set_code_size(RECEIVER, 2_000);
        Self { w, model, model_addr, rx }
    }

    fn behave(&mut self, behaviour: Behaviour) {
        self.rx.lock().unwrap().behaviour = behaviour;
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.rx.lock().unwrap().deliveries.clone()
    }

    fn submit_call(
        &self,
        owner: Address,
        fee: U256,
        input: &str,
        gas: u64,
        callback_fee: U256,
    ) -> IEngine::submitTaskWithCallbackCall {
        IEngine::submitTaskWithCallbackCall {
            version_: 0,
            owner_: owner,
            model_: self.model,
            fee_: fee,
            input_: Bytes::from(input.as_bytes().to_vec()),
            callback_: RECEIVER,
            callbackGasLimit_: gas,
            callbackFee_: callback_fee,
        }
    }

    /// A task of `account(USER)` with a callback to the receiver.
    fn submit(&mut self, fee: U256, input: &str, gas: u64, callback_fee: U256) -> B256 {
        let user = account(USER);
        let c = self.submit_call(user, fee, input, gas, callback_fee);
        self.w.engine(user, c).expect("the task with a callback is submitted")
    }

    /// Solves `task` (CID tagged `tag`) and waits out the claim window.
    fn solve_and_wait(&mut self, task: B256, tag: u8) {
        self.w.solve(account(SOLVER), task, &output_cid(tag));
        self.w.next_block(WINDOW + 1);
    }

    /// Sends a call, and returns its outcome with every log it emitted: those
    /// handed over with an external call first, then the rest.
    fn send(
        &mut self,
        from: Address,
        target: Contract,
        data: &[u8],
        gas_limit: u64,
    ) -> Result<(Outcome, Vec<Log>), CallError> {
        self.w.storage.take_call_logs();
        self.rx.lock().unwrap().clock = (self.w.block, self.w.time);
        let mut ctx = self.w.ctx(from);
        ctx.gas_limit = gas_limit;
        let outcome = call(&mut self.w.storage, &ctx, target, data)?;
        let mut logs = self.w.storage.take_call_logs();
        logs.extend(outcome.logs.iter().cloned());
        Ok((outcome, logs))
    }

    fn claim_by(&mut self, who: Address, task: B256) -> Result<(Outcome, Vec<Log>), CallError> {
        self.send(who, Contract::Engine, &IEngine::claimSolutionCall { taskid_: task }.abi_encode(), 30_000_000)
    }

    fn retry(&mut self, who: Address, task: B256, gas: u64) -> Result<(Outcome, Vec<Log>), CallError> {
        let data = IEngine::retryCallbackCall { taskid_: task, gasLimit_: gas }.abi_encode();
        self.send(who, Contract::Engine, &data, 30_000_000)
    }

    fn record(&mut self, task: B256) -> Record {
        let r = self.w.engine(account(0), IEngine::callbacksCall { taskid: task }).unwrap();
        (r.callback, r.gasLimit, r.status, r.fee)
    }

    fn balance(&mut self, who: Address) -> U256 {
        self.w.balance(who)
    }

    fn engine_balance(&mut self) -> U256 {
        let engine = self.w.contracts.engine;
        self.w.balance(engine)
    }

    /// Every account whose balance a test may move.
    fn holders(&self) -> Vec<Address> {
        let mut all: Vec<Address> = (0..10).map(account).collect();
        all.extend([self.w.owner, self.w.treasury, self.w.contracts.engine, self.model_addr, RECEIVER]);
        all
    }

    /// Balances add up to the supply, which no test here changes.
    fn assert_supply_conserved(&mut self) {
        let supply = self.w.total_supply();
        let sum = self.holders().into_iter().map(|h| self.w.balance(h)).fold(U256::ZERO, |a, b| a + b);
        assert_eq!(sum, supply, "balances add up to the supply");
        assert_eq!(self.w.emitted(), U256::ZERO, "the model mints nothing");
    }

    /// Expects `data` from `from` to revert with `reason`, leaving storage
    /// and the receiver alone.
    fn expect_revert_raw(&mut self, from: Address, data: &[u8], gas_limit: u64, reason: &str) {
        let before = self.w.storage.clone();
        let calls = self.deliveries().len();
        let error = self.send(from, Contract::Engine, data, gas_limit).expect_err("the call reverts");
        assert_eq!(error.reason(), Some(reason), "revert reason");
        assert_eq!(self.w.storage, before, "a reverted call changed storage");
        assert_eq!(self.deliveries().len(), calls, "a reverted call reached the receiver");
    }

    fn expect_revert<C: SolCall>(&mut self, from: Address, c: C, reason: &str) {
        self.expect_revert_raw(from, &c.abi_encode(), 30_000_000, reason);
    }
}

fn decode<E: SolEvent>(log: &Log) -> E {
    E::decode_raw_log(log.topics.iter().copied(), &log.data).expect("the event decodes")
}

fn signatures(logs: &[Log]) -> Vec<B256> {
    logs.iter().map(|log| log.topics[0]).collect()
}

/// The one log with `E`'s signature.
fn only<E: SolEvent>(logs: &[Log]) -> (E, Log) {
    let found: Vec<&Log> = logs.iter().filter(|log| log.topics[0] == E::SIGNATURE_HASH).collect();
    assert_eq!(found.len(), 1, "one {} log", E::SIGNATURE);
    (decode::<E>(found[0]), found[0].clone())
}

fn transfers(logs: &[Log]) -> Vec<(Address, Address, U256)> {
    logs.iter()
        .filter(|log| log.topics[0] == IDmlToken::Transfer::SIGNATURE_HASH)
        .map(|log| {
            assert_eq!(log.contract, Contract::Token);
            let t = decode::<IDmlToken::Transfer>(log);
            (t.from, t.to, t.value)
        })
        .collect()
}

fn refused() -> Bytes {
    Bytes::from(IEngine::ReentrancyGuardReentrantCall {}.abi_encode())
}

#[test]
fn submitting_escrows_both_fees_and_records_the_callback() {
    let mut s = Setup::new();
    let (user, engine) = (account(USER), s.w.contracts.engine);
    let (user_before, engine_before) = (s.balance(user), s.engine_balance());
    let c = s.submit_call(user, dml(3), r#"{"prompt":"hi"}"#, CALLBACK_GAS, dml(2));
    let (outcome, logs) = s.send(user, Contract::Engine, &c.abi_encode(), 30_000_000).unwrap();
    let task = IEngine::submitTaskWithCallbackCall::abi_decode_returns(&outcome.output).unwrap();
    assert_eq!(s.balance(user), user_before - dml(5), "fee and callback fee debited");
    assert_eq!(s.engine_balance(), engine_before + dml(5), "both escrowed in the engine");
    assert_eq!(
        signatures(&logs),
        [
            IDmlToken::Transfer::SIGNATURE_HASH,
            IEngine::TaskSubmitted::SIGNATURE_HASH,
            IEngine::CallbackRequested::SIGNATURE_HASH,
            IEngine::TaskInput::SIGNATURE_HASH,
        ]
    );
    // One debit of fee and callback fee together.
    assert_eq!(transfers(&logs), [(user, engine, dml(5))]);
    let (requested, log) = only::<IEngine::CallbackRequested>(&logs);
    assert_eq!(log.contract, Contract::Engine);
    assert_eq!(log.topics, [IEngine::CallbackRequested::SIGNATURE_HASH, task, RECEIVER.into_word()]);
    assert_eq!(
        (requested.task, requested.callback, requested.gasLimit, requested.fee),
        (task, RECEIVER, CALLBACK_GAS, dml(2))
    );
    let (input, log) = only::<IEngine::TaskInput>(&logs);
    assert_eq!(log.topics, [IEngine::TaskInput::SIGNATURE_HASH, task]);
    assert_eq!((input.task, input.input.as_ref()), (task, br#"{"prompt":"hi"}"#.as_slice()));
    // The task is an ordinary task otherwise.
    let stored = s.w.engine(user, IEngine::tasksCall { taskid: task }).unwrap();
    assert_eq!((stored.model, stored.fee, stored.owner), (s.model, dml(3), user));
    let (submitted, _) = only::<IEngine::TaskSubmitted>(&logs);
    assert_eq!((submitted.id, submitted.fee, submitted.sender), (task, dml(3), user));
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, PENDING, dml(2)));
    // A plain task has no record; a callback fee of zero is allowed.
    let plain = s.w.submit_task(user, s.model, dml(1), "plain");
    assert_eq!(s.record(plain), (Address::ZERO, 0, NONE, U256::ZERO));
    let free = s.submit(dml(1), "free callback", 1, U256::ZERO);
    assert_eq!(s.record(free), (RECEIVER, 1, PENDING, U256::ZERO));
    assert!(s.deliveries().is_empty(), "nothing is called before a solution is final");
    s.assert_supply_conserved();
}

#[test]
fn a_claim_delivers_the_callback_with_its_exact_gas_and_pays_the_claimer() {
    let mut s = Setup::new();
    let (user, solver, claimer, engine) = (account(USER), account(SOLVER), account(CLAIMER), s.w.contracts.engine);
    let engine_before = s.engine_balance();
    let task = s.submit(dml(3), "with callback", CALLBACK_GAS, dml(2));
    s.solve_and_wait(task, 7);
    // Not final before the claim.
    s.expect_revert(user, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 }, "solution is not final yet");
    let (solver_before, claimer_before, model_before, user_before) =
        (s.balance(solver), s.balance(claimer), s.balance(s.model_addr), s.balance(user));
    let (stake_before, accrued_before) = (s.w.staked(solver), s.w.accrued_fees());

    let (outcome, logs) = s.claim_by(claimer, task).expect("the claim succeeds");

    // The receiver got onTaskSolved(task, cid) once, with exactly the task's gas and no value.
    // (`ExternalCall` names no sender: by `Storage::call_contract`'s contract a
    // host makes every call from the engine's address, so msg.sender is the engine.)
    let deliveries = s.deliveries();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!((d.gas_limit, d.value, d.task, d.cid.clone()), (CALLBACK_GAS, U256::ZERO, task, output_cid(7)));
    // Everything else the claim did came before the call, and the receiver could see it.
    let model_addr = s.model_addr;
    assert_eq!(
        signatures(&d.logs_before),
        [
            IEngine::SolutionClaimed::SIGNATURE_HASH,
            IDmlToken::Transfer::SIGNATURE_HASH,
            IDmlToken::Transfer::SIGNATURE_HASH,
            IDmlToken::Transfer::SIGNATURE_HASH
        ]
    );
    assert_eq!(
        transfers(&d.logs_before),
        [(engine, model_addr, dml(1)), (engine, solver, dml(2) * wei(9) / wei(10)), (engine, claimer, dml(2))]
    );
    assert_eq!(
        signatures(&outcome.logs),
        [IEngine::CallbackDelivered::SIGNATURE_HASH],
        "only the record follows the call"
    );
    let (delivered, log) = only::<IEngine::CallbackDelivered>(&logs);
    assert_eq!(log.topics, [IEngine::CallbackDelivered::SIGNATURE_HASH, task, RECEIVER.into_word()]);
    assert_eq!((delivered.task, delivered.callback, delivered.gasUsed), (task, RECEIVER, wei(RECEIVER_GAS)));
    let (claimed, _) = only::<IEngine::SolutionClaimed>(&logs);
    assert_eq!((claimed.addr, claimed.task), (solver, task));

    // Payments: as without a callback, and the callback fee to the claimer.
    assert_eq!(s.balance(model_addr), model_before + dml(1));
    assert_eq!(s.balance(solver), solver_before + dml(2) * wei(9) / wei(10));
    assert_eq!(s.w.accrued_fees(), accrued_before + dml(2) / wei(10));
    assert_eq!(s.w.staked(solver), stake_before + dml(10), "the solution's slash escrow returned");
    assert_eq!(s.balance(claimer), claimer_before + dml(2), "the callback fee to who delivered");
    assert_eq!(s.balance(user), user_before);
    assert_eq!(s.engine_balance(), engine_before + dml(2) / wei(10), "the engine keeps only the treasury's accrual");
    s.assert_supply_conserved();

    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, DELIVERED, U256::ZERO));
    let solution = s.w.engine(user, IEngine::solutionsCall { taskid: task }).unwrap();
    assert_eq!((solution.validator, solution.claimed, solution.cid), (solver, true, output_cid(7)));
    // What the callee used is in the claim's gas.
    assert!(outcome.gas_used > RECEIVER_GAS + gas::COLD_ACCOUNT_ACCESS, "{}", outcome.gas_used);

    // Delivered once: no retry, no second claim, the guard is down.
    s.expect_revert(user, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 }, "callback already delivered");
    s.expect_revert(claimer, IEngine::claimSolutionCall { taskid_: task }, "already claimed");
    assert_eq!(s.deliveries().len(), 1);
    let guard = dml_engine::layout::transient::REENTRANCY_GUARD;
    assert_eq!(s.w.storage.transient_load(Contract::Engine, guard), U256::ZERO);
    assert_eq!(s.w.storage.transient_load(Contract::Token, guard), U256::ZERO);
}

#[test]
fn the_solver_claiming_gets_the_callback_fee_too() {
    let mut s = Setup::new();
    let solver = account(SOLVER);
    let task = s.submit(dml(3), "solver claims", CALLBACK_GAS, dml(2));
    s.solve_and_wait(task, 8);
    let before = s.balance(solver);
    s.claim_by(solver, task).unwrap();
    assert_eq!(s.balance(solver), before + dml(2) * wei(9) / wei(10) + dml(2));
    assert_eq!(s.record(task).2, DELIVERED);
}

#[test]
fn bulk_claim_delivers_each_callback() {
    let mut s = Setup::new();
    let (claimer, engine) = (account(5), s.w.contracts.engine);
    let first = s.submit(dml(1), "bulk 1", 100_000, dml(1));
    let plain = s.w.submit_task(account(USER), s.model, dml(1), "bulk plain");
    let second = s.submit(dml(1), "bulk 2", 300_000, dml(3) / wei(2));
    for (task, tag) in [(first, 1), (plain, 2), (second, 3)] {
        s.w.solve(account(SOLVER), task, &output_cid(tag));
    }
    s.w.next_block(WINDOW + 1);
    let before = s.balance(claimer);
    let data = IEngine::bulkClaimSolutionCall { taskids_: vec![first, plain, second] }.abi_encode();
    let (outcome, logs) = s.send(claimer, Contract::Engine, &data, 30_000_000).expect("the bulk claim succeeds");
    let seen: Vec<(u64, B256, Bytes)> = s.deliveries().into_iter().map(|d| (d.gas_limit, d.task, d.cid)).collect();
    assert_eq!(seen, [(100_000, first, output_cid(1)), (300_000, second, output_cid(3))]);
    assert_eq!(s.balance(claimer), before + dml(1) + dml(3) / wei(2));
    let fees: Vec<_> = transfers(&logs).into_iter().filter(|t| t.1 == claimer).collect();
    assert_eq!(fees, [(engine, claimer, dml(1)), (engine, claimer, dml(3) / wei(2))]);
    let delivered: Vec<B256> = logs
        .iter()
        .filter(|log| log.topics[0] == IEngine::CallbackDelivered::SIGNATURE_HASH)
        .map(|log| decode::<IEngine::CallbackDelivered>(log).task)
        .collect();
    assert_eq!(delivered, [first, second]);
    assert_eq!(signatures(&outcome.logs), [IEngine::CallbackDelivered::SIGNATURE_HASH], "after the last call");
    assert_eq!(s.record(first), (RECEIVER, 100_000, DELIVERED, U256::ZERO));
    assert_eq!(s.record(second), (RECEIVER, 300_000, DELIVERED, U256::ZERO));
    assert_eq!(s.record(plain), (Address::ZERO, 0, NONE, U256::ZERO));
    for task in [first, plain, second] {
        assert!(s.w.engine(claimer, IEngine::solutionsCall { taskid: task }).unwrap().claimed);
    }
    s.assert_supply_conserved();
}

/// What the claim of a plain task moves, and what the claim of a task with
/// a callback moves, for the same fee: (solver, model, accrued, claimer).
fn claim_plain_and_with_callback(s: &mut Setup, callback_fee: U256) -> (B256, [U256; 4], [U256; 4]) {
    let (solver, claimer, model_addr) = (account(SOLVER), account(CLAIMER), s.model_addr);
    let plain = s.w.submit_task(account(USER), s.model, dml(3), "twin plain");
    let task = s.submit(dml(3), "twin callback", CALLBACK_GAS, callback_fee);
    s.w.solve(solver, plain, &output_cid(4));
    s.w.solve(solver, task, &output_cid(5));
    s.w.next_block(WINDOW + 1);
    let moved = |s: &mut Setup, task: B256| {
        let before = [s.balance(solver), s.balance(model_addr), s.w.accrued_fees(), s.balance(claimer)];
        s.claim_by(claimer, task).expect("the claim succeeds");
        let after = [s.balance(solver), s.balance(model_addr), s.w.accrued_fees(), s.balance(claimer)];
        [0, 1, 2, 3].map(|i| after[i] - before[i])
    };
    let without = moved(s, plain);
    let with = moved(s, task);
    (task, without, with)
}

#[test]
fn a_failing_callback_is_recorded_and_the_claim_pays_as_without_one() {
    let custom = IEngine::SafeERC20FailedOperation { token: Address::repeat_byte(0x42) }.abi_encode();
    let long: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
    for (behaviour, reason) in [
        (Behaviour::Revert(custom.clone()), custom.clone()),
        (Behaviour::Revert(long.clone()), long[..MAX_CALLBACK_REASON_BYTES].to_vec()),
        (Behaviour::Revert(long[..MAX_CALLBACK_REASON_BYTES].to_vec()), long[..MAX_CALLBACK_REASON_BYTES].to_vec()),
        (Behaviour::BurnAll, Vec::new()),
    ] {
        let mut s = Setup::new();
        s.behave(behaviour.clone());
        let (user, claimer) = (account(USER), account(CLAIMER));
        let user_before = s.balance(user);
        let (task, without, with) = claim_plain_and_with_callback(&mut s, dml(2));
        assert_eq!(without[3], U256::ZERO, "{behaviour:?}");
        assert_eq!(with[..3], without[..3], "{behaviour:?}: solver, model and treasury paid as without a callback");
        assert_eq!(with[3], dml(2), "{behaviour:?}: the claimer is paid whether the callee succeeds or not");
        assert_eq!(s.balance(user), user_before - dml(3) - dml(3) - dml(2), "{behaviour:?}: no refund");
        let deliveries = s.deliveries();
        assert_eq!(deliveries.len(), 1, "{behaviour:?}");
        assert_eq!(deliveries[0].gas_limit, CALLBACK_GAS, "{behaviour:?}");
        assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, FAILED, U256::ZERO), "{behaviour:?}");
        assert!(s.w.engine(user, IEngine::solutionsCall { taskid: task }).unwrap().claimed);
        s.assert_supply_conserved();

        // Who may retry, and when.
        for stranger in [account(4), account(SOLVER), claimer] {
            s.expect_revert(
                stranger,
                IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
                "only the task's owner or its callback may retry",
            );
        }
        s.expect_revert(
            user,
            IEngine::retryCallbackCall { taskid_: task, gasLimit_: MAX_CALLBACK_GAS + 1 },
            "callback gas limit must be 1 to 5000000",
        );

        // A retry that fails again stays Failed and may be retried once more.
        let (_, logs) = s.retry(user, task, 0).expect("the retry itself succeeds");
        let (failed, log) = only::<IEngine::CallbackFailed>(&logs);
        assert_eq!(log.topics, [IEngine::CallbackFailed::SIGNATURE_HASH, task, RECEIVER.into_word()]);
        assert_eq!((failed.task, failed.callback, failed.reason.to_vec()), (task, RECEIVER, reason.clone()));
        assert_eq!(s.record(task).2, FAILED);

        // "Fixed": the owner's retry with the task's own gas is delivered and moves no money.
        s.behave(Behaviour::Accept);
        let balances: Vec<U256> = s.holders().into_iter().map(|h| s.w.balance(h)).collect();
        let (outcome, logs) = s.retry(user, task, 0).expect("the retry succeeds");
        assert_eq!(signatures(&logs), [IEngine::CallbackDelivered::SIGNATURE_HASH], "{behaviour:?}");
        assert_eq!(signatures(&outcome.logs), [IEngine::CallbackDelivered::SIGNATURE_HASH]);
        let (delivered, _) = only::<IEngine::CallbackDelivered>(&logs);
        assert_eq!((delivered.task, delivered.gasUsed), (task, wei(RECEIVER_GAS)));
        let last = s.deliveries().last().cloned().unwrap();
        assert_eq!((last.gas_limit, last.task, last.cid), (CALLBACK_GAS, task, output_cid(5)));
        assert_eq!(s.deliveries().len(), 3);
        assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, DELIVERED, U256::ZERO));
        let after: Vec<U256> = s.holders().into_iter().map(|h| s.w.balance(h)).collect();
        assert_eq!(after, balances, "a retry pays nobody");
        s.expect_revert(user, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 }, "callback already delivered");
        s.expect_revert(
            RECEIVER,
            IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
            "callback already delivered",
        );
    }
}

#[test]
fn the_first_failure_is_the_claims_callback_failed_event() {
    let long: Vec<u8> = (0..300u16).map(|i| (i * 7) as u8).collect();
    let mut s = Setup::new();
    s.behave(Behaviour::Revert(long.clone()));
    let task = s.submit(dml(3), "reverts", CALLBACK_GAS, dml(2));
    s.solve_and_wait(task, 6);
    let (outcome, logs) = s.claim_by(account(CLAIMER), task).expect("the claim succeeds");
    assert_eq!(signatures(&outcome.logs), [IEngine::CallbackFailed::SIGNATURE_HASH]);
    let (failed, log) = only::<IEngine::CallbackFailed>(&logs);
    assert_eq!(log.topics, [IEngine::CallbackFailed::SIGNATURE_HASH, task, RECEIVER.into_word()]);
    assert_eq!(failed.reason.as_ref(), &long[..MAX_CALLBACK_REASON_BYTES], "the first 256 bytes");
    assert!(only::<IEngine::SolutionClaimed>(&logs).0.task == task);
}

#[test]
fn the_callback_contract_may_retry_with_its_own_gas() {
    let mut s = Setup::new();
    s.behave(Behaviour::BurnAll);
    let task = s.submit(dml(3), "burns", CALLBACK_GAS, dml(2));
    s.solve_and_wait(task, 9);
    s.claim_by(account(CLAIMER), task).unwrap();
    assert_eq!(s.record(task).2, FAILED);
    // More gas than the task named, by the callback contract itself.
    s.behave(Behaviour::Accept);
    let (_, logs) = s.retry(RECEIVER, task, 1_234_567).expect("the callback may retry");
    assert_eq!(s.deliveries().last().unwrap().gas_limit, 1_234_567);
    assert_eq!(only::<IEngine::CallbackDelivered>(&logs).0.task, task);
    // The record keeps the task's own limit.
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, DELIVERED, U256::ZERO));

    // Less gas than named, and the ceiling exactly.
    for gas in [1, MAX_CALLBACK_GAS] {
        let mut s = Setup::new();
        s.behave(Behaviour::Revert(vec![1, 2, 3]));
        let task = s.submit(dml(3), "retries", CALLBACK_GAS, dml(2));
        s.solve_and_wait(task, 9);
        s.claim_by(account(CLAIMER), task).unwrap();
        s.behave(Behaviour::Accept);
        s.retry(account(USER), task, gas).expect("a retry with explicit gas");
        assert_eq!(s.deliveries().last().unwrap().gas_limit, gas);
        assert_eq!(s.record(task).2, DELIVERED, "gas {gas}");
    }
}

#[test]
fn retries_are_refused_for_tasks_without_a_callback_or_while_paused() {
    let mut s = Setup::new();
    let user = account(USER);
    let plain = s.w.submit_task(user, s.model, dml(1), "plain");
    s.expect_revert(user, IEngine::retryCallbackCall { taskid_: plain, gasLimit_: 0 }, "task has no callback");
    let unknown = B256::repeat_byte(0x99);
    s.expect_revert(user, IEngine::retryCallbackCall { taskid_: unknown, gasLimit_: 0 }, "task has no callback");
    s.behave(Behaviour::BurnAll);
    let task = s.submit(dml(1), "paused retry", CALLBACK_GAS, dml(1));
    s.solve_and_wait(task, 3);
    s.claim_by(account(CLAIMER), task).unwrap();
    let owner = s.w.owner;
    s.w.engine(owner, IEngine::setPausedCall { paused_: true }).unwrap();
    s.expect_revert(user, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 }, "paused");
    s.w.engine(owner, IEngine::setPausedCall { paused_: false }).unwrap();
    s.behave(Behaviour::Accept);
    s.retry(user, task, 0).expect("unpaused, the retry goes through");
    assert_eq!(s.record(task).2, DELIVERED);
}

#[test]
fn a_reentrant_callback_is_refused_and_views_answer() {
    let mut s = Setup::new();
    let (user, claimer) = (account(USER), account(CLAIMER));
    // The receiver holds DML, so what it tries would succeed outside the callback.
    s.w.token(account(3), IDmlToken::transferCall { to: RECEIVER, amount: dml(10) }).unwrap();
    let task = s.submit(dml(3), "reentrant", CALLBACK_GAS, dml(2));
    let other = s.w.submit_task(user, s.model, dml(1), "another task, claimable");
    s.w.solve(account(SOLVER), task, &output_cid(1));
    s.w.solve(account(SOLVER), other, &output_cid(2));
    s.w.next_block(WINDOW + 1);
    let submit = IEngine::submitTaskCall {
        version_: 0,
        owner_: RECEIVER,
        model_: s.model,
        fee_: dml(1),
        input_: Bytes::from_static(b"the next task"),
    };
    let state_changes: Vec<(Contract, Vec<u8>)> = vec![
        (Contract::Engine, submit.abi_encode()),
        (Contract::Engine, IEngine::claimSolutionCall { taskid_: other }.abi_encode()),
        (Contract::Engine, IEngine::bulkClaimSolutionCall { taskids_: vec![other] }.abi_encode()),
        (Contract::Token, IDmlToken::transferCall { to: account(3), amount: dml(1) }.abi_encode()),
        (Contract::Token, IDmlToken::approveCall { spender: account(3), amount: dml(1) }.abi_encode()),
    ];
    let views: Vec<(Contract, Vec<u8>)> = vec![
        (Contract::Engine, IEngine::callbacksCall { taskid: task }.abi_encode()),
        (Contract::Engine, IEngine::solutionsCall { taskid: task }.abi_encode()),
        (Contract::Token, IDmlToken::balanceOfCall { account: claimer }.abi_encode()),
        (Contract::Engine, IEngine::prevhashCall {}.abi_encode()),
    ];
    // The views first; the mock tries every call, then bubbles up the first failure.
    s.behave(Behaviour::Reenter(views.iter().chain(&state_changes).cloned().collect()));
    let (claimer_before, receiver_before) = (s.balance(claimer), s.balance(RECEIVER));
    let prevhash = s.w.engine(user, IEngine::prevhashCall {}).unwrap();
    let (_, logs) = s.claim_by(claimer, task).expect("the claim itself succeeds");

    let results = s.rx.lock().unwrap().reentry_results.clone();
    assert_eq!(results.len(), views.len() + state_changes.len());
    // Views answer, and see the claim so far: claimed, the fee paid, the callback still pending.
    let answers: Vec<Bytes> = results[..views.len()].iter().map(|r| r.clone().expect("a view answers")).collect();
    let record = IEngine::callbacksCall::abi_decode_returns(&answers[0]).unwrap();
    assert_eq!(
        (record.callback, record.gasLimit, record.status, record.fee),
        (RECEIVER, CALLBACK_GAS, PENDING, U256::ZERO)
    );
    let solution = IEngine::solutionsCall::abi_decode_returns(&answers[1]).unwrap();
    assert!(solution.claimed, "the claim is visible to the callee");
    assert_eq!(IDmlToken::balanceOfCall::abi_decode_returns(&answers[2]).unwrap(), claimer_before + dml(2));
    assert_eq!(IEngine::prevhashCall::abi_decode_returns(&answers[3]).unwrap(), prevhash);
    for (index, result) in results[views.len()..].iter().enumerate() {
        let error = result.as_ref().expect_err("a state change is refused");
        assert_eq!(error.revert_data(), refused(), "reentry {index}");
        assert!(matches!(error, CallError::CustomError { .. }), "reentry {index}: {error:?}");
    }
    // The receiver bubbled the refusal up: the callback failed with it; the claim stands.
    let (failed, _) = only::<IEngine::CallbackFailed>(&logs);
    assert_eq!(failed.reason, refused());
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, FAILED, U256::ZERO));
    assert_eq!(s.balance(claimer), claimer_before + dml(2));
    assert_eq!(s.balance(RECEIVER), receiver_before, "neither the transfer nor the task's fee happened");
    assert_eq!(s.w.engine(user, IEngine::prevhashCall {}).unwrap(), prevhash, "no task was submitted");
    assert!(
        !s.w.engine(user, IEngine::solutionsCall { taskid: other }).unwrap().claimed,
        "the other claim did not happen"
    );
    s.assert_supply_conserved();

    // Out of the callback, the same calls go through.
    s.w.claim(other).expect("the other task is claimable");
    s.w.engine(RECEIVER, submit).expect("the receiver submits its next task outside the callback");
    // And a receiver that does only views is delivered.
    s.behave(Behaviour::Reenter(views));
    s.retry(RECEIVER, task, 0).expect("the retry succeeds");
    assert_eq!(s.record(task).2, DELIVERED);
}

#[test]
fn a_reentrant_retry_or_second_claim_cannot_deliver_twice() {
    let mut s = Setup::new();
    let task = s.submit(dml(3), "double", CALLBACK_GAS, dml(2));
    s.solve_and_wait(task, 1);
    s.behave(Behaviour::Reenter(vec![
        (Contract::Engine, IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 }.abi_encode()),
        (Contract::Engine, IEngine::claimSolutionCall { taskid_: task }.abi_encode()),
    ]));
    s.claim_by(account(CLAIMER), task).unwrap();
    let results = s.rx.lock().unwrap().reentry_results.clone();
    // Each stops at its own check (the state the callee sees) before writing anything.
    assert_eq!(results[0].as_ref().unwrap_err().reason(), Some("solution is not final yet"));
    assert_eq!(results[1].as_ref().unwrap_err().reason(), Some("already claimed"));
    assert_eq!(s.deliveries().len(), 1);
    assert_eq!(s.record(task).2, FAILED, "the receiver bubbled up the first failure");
}

#[test]
fn a_claim_without_gas_for_the_callback_reverts_and_changes_nothing() {
    const LIMIT: u64 = 1_000_000;
    let mut s = Setup::new();
    let task = s.submit(dml(3), "gas hungry", LIMIT, dml(2));
    s.solve_and_wait(task, 2);
    let data = IEngine::claimSolutionCall { taskid_: task }.abi_encode();
    let claimer = account(CLAIMER);
    // Well below the callback's own limit, and just above it.
    for gas in [LIMIT / 2, LIMIT, LIMIT + 9_000] {
        s.expect_revert_raw(claimer, &data, gas, "not enough gas for the callback");
    }
    // The smallest gas that claims: below it, the engine's own refusal (never
    // a callee cut short); at it, the callee gets all of its limit.
    let needed = smallest_gas_that_succeeds(&mut s, claimer, &data, 2 * LIMIT);
    s.rx.lock().unwrap().deliveries.clear();
    for gas in [needed - 1, needed - 1_000, LIMIT + LIMIT / 64] {
        s.expect_revert_raw(claimer, &data, gas, "not enough gas for the callback");
    }
    let before = s.balance(claimer);
    let (outcome, _) = s.send(claimer, Contract::Engine, &data, needed).expect("enough gas");
    assert_eq!(s.deliveries().len(), 1);
    assert_eq!(s.deliveries()[0].gas_limit, LIMIT, "the callee got all of its gas");
    assert_eq!(s.record(task).2, DELIVERED);
    assert_eq!(s.balance(claimer), before + dml(2));
    assert!(outcome.gas_used <= needed);
    // 63/64 of what is left at the call must cover the limit and 9,000 more.
    assert!(needed - needed / 64 > LIMIT + 9_000, "needed {needed}");
    eprintln!("a claim whose callback names {LIMIT} gas needs a gas limit of {needed} (it uses {})", outcome.gas_used);
}

/// The smallest gas limit at which `data` from `from` succeeds (on a copy
/// of the storage), searched up to `high`.
fn smallest_gas_that_succeeds(s: &mut Setup, from: Address, data: &[u8], high: u64) -> u64 {
    let (mut low, mut high) = (0, high);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        let mut probe = s.w.storage.clone();
        let mut ctx = s.w.ctx(from);
        ctx.gas_limit = mid;
        if call(&mut probe, &ctx, Contract::Engine, data).is_ok() {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// Claims of a task whose callee uses all of its `limit` and reverts with
/// 1,000 bytes, at every 11th gas limit around the smallest that succeeds:
/// below it the engine's own refusal before the call, from it a success with
/// the callee given all of its gas. Returns the smallest gas that claims and
/// the gas limits (if any) at which the callee ran with all its gas and the
/// claim then ran out of gas.
fn probe_the_threshold(limit: u64) -> (u64, Vec<u64>) {
    let mut s = Setup::new();
    s.behave(Behaviour::RevertAfterAll(vec![0xab; 1_000]));
    let task = s.submit(dml(3), "worst case", limit, dml(2));
    s.solve_and_wait(task, 2);
    let data = IEngine::claimSolutionCall { taskid_: task }.abi_encode();
    let claimer = account(CLAIMER);
    let needed = smallest_gas_that_succeeds(&mut s, claimer, &data, 2 * limit + 1_000_000);
    let mut out_of_gas_after_the_call = Vec::new();
    for gas in (needed - 3_000..needed + 20_000).step_by(11).chain([needed - 1, needed]) {
        let mut probe = s.w.storage.clone();
        let mut ctx = s.w.ctx(claimer);
        ctx.gas_limit = gas;
        s.rx.lock().unwrap().deliveries.clear();
        let result = call(&mut probe, &ctx, Contract::Engine, &data);
        let deliveries = s.deliveries();
        match result {
            Ok(_) => {
                assert!(gas >= needed, "limit {limit}: gas {gas} claims below {needed}");
                assert_eq!(deliveries.len(), 1);
                assert_eq!(deliveries[0].gas_limit, limit, "limit {limit}, gas {gas}: the callee got all its gas");
            }
            Err(CallError::OutOfGas) if deliveries.len() == 1 => {
                assert_eq!(deliveries[0].gas_limit, limit, "limit {limit}, gas {gas}: the callee got all its gas");
                out_of_gas_after_the_call.push(gas);
            }
            Err(error) => {
                assert!(gas < needed, "limit {limit}: gas {gas} fails above {needed}: {error:?}");
                assert_eq!(error.reason(), Some("not enough gas for the callback"), "limit {limit}, gas {gas}");
                assert!(deliveries.is_empty(), "limit {limit}, gas {gas}: the callee was called");
            }
        }
    }
    (needed, out_of_gas_after_the_call)
}

/// Callback gas limits from tiny to the ceiling, across the point (about
/// 65,000) where the 64th kept back by EIP-150 alone covers the bookkeeping.
const PROBED_LIMITS: [u64; 8] = [1, 1_000, 21_000, 60_000, 65_000, 66_000, 100_000, MAX_CALLBACK_GAS];

#[test]
fn no_claimer_can_cut_a_callback_short() {
    // Whatever gas a claimer sends, the callee runs with all of its limit or
    // not at all: never with less.
    for limit in PROBED_LIMITS {
        let (needed, out_of_gas) = probe_the_threshold(limit);
        eprintln!(
            "callback limit {limit}: a claim needs {needed} gas; out of gas after a full-gas callee at {} of the \
             probed gas limits ({:?}..={:?})",
            out_of_gas.len(),
            out_of_gas.first(),
            out_of_gas.last()
        );
    }
}

#[test]
fn the_gas_check_leaves_room_for_the_longest_failure_record() {
    // Past the engine's check, the claim must have gas for what follows the
    // call (the status write and a CallbackFailed log with 256 bytes), so
    // it never runs out of gas after its callee has run.
    for limit in PROBED_LIMITS {
        let (needed, out_of_gas) = probe_the_threshold(limit);
        assert!(
            out_of_gas.is_empty(),
            "callback limit {limit}: the check passed and the callee ran with all its gas, then the claim ran out of \
             gas, at gas limits {:?}..={:?} (it succeeds from {needed})",
            out_of_gas.first(),
            out_of_gas.last(),
        );
    }
}

/// A world where slashing is live (10 DML: a share of the 100,000 DML
/// genesis supply), validators 0, 3, 4 and 5 staked 100 DML each, and a
/// solved task with a callback (submitted by account 1 for owner account 6).
fn contested_setup(callback_fee: U256) -> (Setup, B256) {
    let mut s = Setup::new();
    for i in [0, 3, 4, 5] {
        s.w.deposit(account(i), dml(100));
    }
    s.w.next_block(1);
    let c = s.submit_call(account(6), dml(3), "contested", CALLBACK_GAS, callback_fee);
    let task = s.w.engine(account(USER), c).unwrap();
    s.w.solve(account(SOLVER), task, &output_cid(0xbd));
    assert_eq!(s.w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap(), dml(10));
    (s, task)
}

fn finish_call(task: B256, batch: u32) -> Vec<u8> {
    IEngine::contestationVoteFinishCall { taskid_: task, amnt_: batch }.abi_encode()
}

#[test]
fn a_contestation_that_wins_cancels_the_callback_and_refunds_its_fee() {
    let (mut s, task) = contested_setup(dml(2));
    let (sender, owner, finisher) = (account(USER), account(6), account(7));
    s.w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    s.w.engine(account(3), IEngine::voteOnContestationCall { taskid_: task, yea_: true }).unwrap();
    s.w.next_block(WINDOW);
    let (sender_before, owner_before, finisher_before) = (s.balance(sender), s.balance(owner), s.balance(finisher));
    let (_, logs) = s.send(finisher, Contract::Engine, &finish_call(task, 1), 30_000_000).expect("first batch");
    assert!(s.deliveries().is_empty(), "a wrong solution is never delivered");
    let engine = s.w.contracts.engine;
    let refunds: Vec<_> = transfers(&logs).into_iter().filter(|t| t.1 == owner).collect();
    assert_eq!(refunds, [(engine, owner, dml(3)), (engine, owner, dml(2))], "fee and callback fee to the owner");
    assert_eq!(s.balance(owner), owner_before + dml(5));
    assert_eq!(s.balance(sender), sender_before, "the sender paid, the owner is refunded");
    assert_eq!(s.balance(finisher), finisher_before, "nothing for the finisher");
    let (cancelled, log) = only::<IEngine::CallbackCancelled>(&logs);
    assert_eq!(log.topics, [IEngine::CallbackCancelled::SIGNATURE_HASH, task, RECEIVER.into_word()]);
    assert_eq!((cancelled.task, cancelled.callback), (task, RECEIVER));
    let (resolved, _) = only::<IEngine::ContestationResolved>(&logs);
    assert!(resolved.contestationWon);
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, CANCELLED, U256::ZERO));
    // Later batches, retries and claims deliver nothing.
    s.send(finisher, Contract::Engine, &finish_call(task, 1), 30_000_000).expect("second batch");
    for who in [owner, RECEIVER] {
        s.expect_revert(
            who,
            IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
            "callback cancelled: the task has no final solution",
        );
    }
    // Where a callback stands is public: anyone asking is told.
    s.expect_revert(
        sender,
        IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
        "callback cancelled: the task has no final solution",
    );
    s.expect_revert(finisher, IEngine::claimSolutionCall { taskid_: task }, "already claimed");
    assert!(s.deliveries().is_empty());
    assert!(!s.w.engine(owner, IEngine::solutionsCall { taskid: task }).unwrap().claimed);
    s.assert_supply_conserved();
}

#[test]
fn a_contestation_that_loses_delivers_at_its_first_batch_only() {
    let (mut s, task) = contested_setup(dml(2));
    s.w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    // Nays: the accused, 3 and 4; yeas: the contester.
    for voter in [3, 4] {
        s.w.engine(account(voter), IEngine::voteOnContestationCall { taskid_: task, yea_: false }).unwrap();
    }
    s.w.next_block(WINDOW);
    // The first batch needs gas for the callback too.
    s.expect_revert_raw(account(7), &finish_call(task, 1), CALLBACK_GAS, "not enough gas for the callback");
    let (first, second) = (account(7), account(8));
    let (first_before, second_before, owner_before) = (s.balance(first), s.balance(second), s.balance(account(6)));
    let (outcome, logs) = s.send(first, Contract::Engine, &finish_call(task, 1), 30_000_000).expect("first batch");
    let deliveries = s.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (deliveries[0].gas_limit, deliveries[0].task, deliveries[0].cid.clone()),
        (CALLBACK_GAS, task, output_cid(0xbd))
    );
    // The settlement is done and visible before the call.
    let before_call = signatures(&deliveries[0].logs_before);
    assert!(before_call.contains(&IEngine::ContestationResolved::SIGNATURE_HASH));
    assert_eq!(before_call.last(), Some(&IDmlToken::Transfer::SIGNATURE_HASH), "the fee transfer just before the call");
    assert_eq!(signatures(&outcome.logs), [IEngine::CallbackDelivered::SIGNATURE_HASH]);
    assert!(!only::<IEngine::ContestationResolved>(&logs).0.contestationWon);
    assert_eq!(only::<IEngine::CallbackDelivered>(&logs).0.task, task);
    // The finisher of the first batch gets the callback fee (and, as the
    // accused's pot is paid to the nays, nothing else: it did not vote).
    assert_eq!(s.balance(first), first_before + dml(2));
    assert_eq!(s.balance(account(6)), owner_before, "no refund");
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, DELIVERED, U256::ZERO));
    assert!(s.w.engine(first, IEngine::solutionsCall { taskid: task }).unwrap().claimed);
    // Later batches settle voters only.
    s.send(second, Contract::Engine, &finish_call(task, 1), 30_000_000).expect("second batch");
    s.send(second, Contract::Engine, &finish_call(task, 1), 30_000_000).expect("third batch");
    s.expect_revert(
        second,
        IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 1 },
        "contestation already finished",
    );
    assert_eq!(s.deliveries().len(), 1, "delivered once");
    assert_eq!(s.balance(second), second_before);
    s.expect_revert(
        account(6),
        IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
        "callback already delivered",
    );
    s.assert_supply_conserved();
}

#[test]
fn a_contestation_that_loses_records_a_failing_callback() {
    let (mut s, task) = contested_setup(dml(2));
    s.behave(Behaviour::BurnAll);
    s.w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    s.w.next_block(WINDOW);
    // A tie goes to the accused.
    let (_, logs) =
        s.send(account(7), Contract::Engine, &finish_call(task, 5), 30_000_000).expect("the finish succeeds");
    assert_eq!(only::<IEngine::CallbackFailed>(&logs).0.reason, Bytes::new());
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, FAILED, U256::ZERO));
    s.behave(Behaviour::Accept);
    s.retry(account(6), task, 0).expect("the owner retries");
    assert_eq!(s.record(task).2, DELIVERED);
    assert_eq!(s.deliveries().len(), 2);
}

#[test]
fn a_retraction_cancels_the_callback_and_refunds_its_fee() {
    let mut s = Setup::new();
    let user = account(USER);
    let before = s.balance(user);
    let engine_before = s.engine_balance();
    let task = s.submit(dml(3), "retracted", CALLBACK_GAS, dml(2));
    s.w.next_block(WINDOW + 1);
    let data = IEngine::retractTaskCall { taskid_: task }.abi_encode();
    let (_, logs) = s.send(user, Contract::Engine, &data, 30_000_000).expect("the retraction succeeds");
    // 10 % of the task fee is kept; all of the callback fee comes back.
    let kept = dml(3) / wei(10);
    assert_eq!(s.balance(user), before - kept);
    assert_eq!(s.engine_balance(), engine_before + kept);
    assert_eq!(s.w.accrued_fees(), kept);
    let engine = s.w.contracts.engine;
    assert_eq!(transfers(&logs), [(engine, user, dml(3) - kept), (engine, user, dml(2))]);
    let (cancelled, _) = only::<IEngine::CallbackCancelled>(&logs);
    assert_eq!((cancelled.task, cancelled.callback), (task, RECEIVER));
    assert_eq!(
        signatures(&logs),
        [
            IDmlToken::Transfer::SIGNATURE_HASH,
            IDmlToken::Transfer::SIGNATURE_HASH,
            IEngine::CallbackCancelled::SIGNATURE_HASH,
            IEngine::TaskRetracted::SIGNATURE_HASH
        ]
    );
    assert_eq!(s.record(task), (RECEIVER, CALLBACK_GAS, CANCELLED, U256::ZERO));
    s.expect_revert(
        RECEIVER,
        IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
        "callback cancelled: the task has no final solution",
    );
    // The retraction deleted the task, its owner with it; the owner is told
    // what anyone is.
    s.expect_revert(
        user,
        IEngine::retryCallbackCall { taskid_: task, gasLimit_: 0 },
        "callback cancelled: the task has no final solution",
    );
    assert!(s.deliveries().is_empty());
    s.assert_supply_conserved();
}

#[test]
fn bad_submissions_revert_with_their_reason_and_change_nothing() {
    let mut s = Setup::new();
    let user = account(USER);
    for gas in [0, MAX_CALLBACK_GAS + 1, u64::MAX] {
        let c = s.submit_call(user, dml(1), "bad gas", gas, dml(1));
        s.expect_revert(user, c, "callback gas limit must be 1 to 5000000");
    }
    for gas in [1, MAX_CALLBACK_GAS] {
        let c = s.submit_call(user, dml(1), &format!("gas {gas}"), gas, dml(1));
        s.w.engine(user, c).expect("the bounds are allowed");
    }
    // An account without code: a key, or a contract not deployed yet.
    let mut c = s.submit_call(user, dml(1), "no code", CALLBACK_GAS, dml(1));
    c.callback_ = account(5);
    s.expect_revert(user, c.clone(), "callback has no code");
    c.callback_ = Address::ZERO;
    s.expect_revert(user, c, "callback has no code");
    // The task's own rules still apply.
    let mut c = s.submit_call(user, dml(1), "no model", CALLBACK_GAS, dml(1));
    c.model_ = B256::repeat_byte(0x99);
    s.expect_revert(user, c, "model does not exist");
    let c = s.submit_call(user, ONE_DML / wei(2), "low fee", CALLBACK_GAS, dml(1));
    s.expect_revert(user, c, "lower fee than model fee");
    let c = s.submit_call(Address::ZERO, dml(1), "no owner", CALLBACK_GAS, dml(1));
    s.expect_revert(user, c, "owner is the zero address");

    // Enough for the fee, not for the fee and the callback fee.
    let poor = account(8);
    let rest = s.balance(poor) - dml(5);
    s.w.token(poor, IDmlToken::transferCall { to: account(0), amount: rest }).unwrap();
    let c = s.submit_call(poor, dml(3), "poor", CALLBACK_GAS, dml(2) + wei(1));
    s.expect_revert(poor, c, "ERC20: transfer amount exceeds balance");
    let c = s.submit_call(poor, dml(5) + wei(1), "poorer", CALLBACK_GAS, U256::ZERO);
    s.expect_revert(poor, c, "ERC20: transfer amount exceeds balance");
    let c = s.submit_call(poor, dml(3), "exactly", CALLBACK_GAS, dml(2));
    s.w.engine(poor, c).expect("exactly enough");
    assert_eq!(s.balance(poor), U256::ZERO);

    // Paused.
    let owner = s.w.owner;
    s.w.engine(owner, IEngine::setPausedCall { paused_: true }).unwrap();
    let c = s.submit_call(user, dml(1), "paused", CALLBACK_GAS, dml(1));
    s.expect_revert(user, c, "paused");
    let c = s.submit_call(user, dml(1), "paused", 0, dml(1));
    s.expect_revert(user, c, "paused");
    assert!(s.deliveries().is_empty());
    s.assert_supply_conserved();
}

#[test]
fn what_a_callback_adds_to_a_claims_gas() {
    // Twin worlds, one claim each: the same task with and without a callback.
    let claim_gas = |behaviour: Option<Behaviour>| {
        let mut s = Setup::new();
        let task = match behaviour.clone() {
            Some(behaviour) => {
                s.behave(behaviour);
                s.submit(dml(3), "gas", CALLBACK_GAS, dml(2))
            }
            None => s.w.submit_task(account(USER), s.model, dml(3), "gas"),
        };
        s.solve_and_wait(task, 1);
        let (outcome, _) = s.claim_by(account(CLAIMER), task).expect("the claim succeeds");
        (outcome.gas_used, outcome.gas_refund)
    };
    let (without, without_refund) = claim_gas(None);
    let (with, with_refund) = claim_gas(Some(Behaviour::Accept));
    let (failed, failed_refund) = claim_gas(Some(Behaviour::Revert(vec![0xee; 300])));
    let overhead = with - without - RECEIVER_GAS;
    eprintln!(
        "claimSolution gas: {without} without a callback (refund {without_refund}); {with} with one whose callee \
         used {RECEIVER_GAS} (refund {with_refund}): {overhead} for the delivery itself; {failed} with one reverting \
         300 bytes after {} (refund {failed_refund})",
        RECEIVER_GAS / 2
    );
    // At least: the cold CALL, the callback-fee transfer's log and the CallbackDelivered log.
    let log_of_three_topics = |data_bytes: u64| gas::LOG + 3 * gas::LOG_TOPIC + gas::LOG_DATA_BYTE * data_bytes;
    assert!(overhead >= gas::COLD_ACCOUNT_ACCESS + 2 * log_of_three_topics(32), "overhead {overhead}");
    // A failure record carries the 256 bytes kept (its data: offset, length, 256 bytes).
    assert!(failed - RECEIVER_GAS / 2 > with - RECEIVER_GAS, "a failure record costs more than a delivery record");
    // The escrowed fee slot cleared earns a refund a plain claim does not.
    assert!(with_refund >= without_refund + gas::SSTORE_CLEARS_REFUND as u64, "{with_refund} vs {without_refund}");
    let _ = failed_refund;
}
