//! Long random call sequences (many senders, time jumps, garbage calldata,
//! delegation, tasks with callbacks) against the protocol's invariants: DML
//! is conserved across balances, stakes, delegation pools, unbonding stake,
//! reward reserves and escrowed callback fees, the cap holds, no call
//! panics, every task ends at most once, no delegator gets back more than it
//! put in (plus the rewards credited to it), and a callback is called only
//! for a final solution, delivered at most once, and its record agrees with
//! its task.
//!
//! `DML_PROPTEST_CASES` sets the number of random sequences (48 by default;
//! each is 40 to 160 operations). The long run of the issue, over a million
//! operations:
//!
//! ```text
//! DML_PROPTEST_CASES=10000 cargo test --release -p dml-engine --test properties -- random_sequences
//! ```

mod support;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use dml_engine::{
    CallContext, Contract, ContractAddresses, ExternalCall, ExternalCallResult, MemoryStorage, Parameters,
};
use dml_primitives::{
    Address, Bytes, IDmlTaskReceiver, IDmlToken, IEngine, SolCall, SolEvent, B256, MAX_CALLBACK_REASON_BYTES,
    MAX_SUPPLY, ONE_DML, U256,
};
use proptest::prelude::*;
use support::{
    ops::{self, op, op_with_callbacks, CallbackBehaviour, Op, ACTORS, CALLBACK_CONTRACTS},
    *,
};

const WINDOW: u64 = 60;

/// Money flows of one delegation pool, from the engine's events.
#[derive(Default)]
struct PoolFlows {
    delegated: U256,
    withdrawn: U256,
    slashed: U256,
    credited: U256,
    paid: U256,
    /// Delegations, undelegations, withdrawals and slashes: each may leave
    /// up to a wei or two of rounding in the pool, for whoever stays.
    actions: u64,
}

/// Money flows of one delegator in one pool.
#[derive(Default)]
struct DelegatorFlows {
    delegated: U256,
    withdrawn: U256,
}

/// `callbacks(task).status`.
const PENDING: u8 = 1;
const DELIVERED: u8 = 2;
const FAILED: u8 = 3;
const CANCELLED: u8 = 4;

/// What a callback contract that returns uses; with less it runs out of gas.
const SUCCEED_GAS: u64 = 5_000;

/// The callback contracts of the world: mock EVM code (`set_call_hook`)
/// whose behaviour the operations change.
struct CallbackContracts {
    behaviours: [CallbackBehaviour; CALLBACK_CONTRACTS as usize],
    /// Block and time of the call in flight, for the reentrant calls.
    clock: (u64, u64),
    /// The free model, for a reentrant `submitTask`.
    free_model: B256,
    /// Every `onTaskSolved`: the task, and whether the task was claimed and
    /// its callback pending or failed, as the callee saw them.
    calls: Vec<(B256, bool, u8)>,
}

fn callback_address(index: u8) -> Address {
    Address::repeat_byte(0xc0 + index)
}

/// Answers a call from the engine for the callback contracts in `shared`.
fn answer_callback(
    shared: &Arc<Mutex<CallbackContracts>>,
    storage: &mut MemoryStorage,
    call: &ExternalCall<'_>,
) -> ExternalCallResult {
    let Some(index) = (0..CALLBACK_CONTRACTS).find(|&i| callback_address(i) == call.target) else {
        // Any other call (a donated token's transferFrom) fails.
        return ExternalCallResult::default();
    };
    let c = IDmlTaskReceiver::onTaskSolvedCall::abi_decode(call.calldata).expect("the engine calls onTaskSolved");
    let (behaviour, clock, free_model) = {
        let state = shared.lock().unwrap();
        (state.behaviours[index as usize], state.clock, state.free_model)
    };
    let me = call.target;
    let ctx = CallContext::new(me, ContractAddresses::default(), clock.0, clock.1);
    let view = |storage: &mut MemoryStorage, data: Vec<u8>| {
        dml_engine::call(storage, &ctx, Contract::Engine, &data).expect("a view answers inside a callback").output
    };
    // What the callee sees of its task: views answer inside the callback.
    let solution = view(storage, IEngine::solutionsCall { taskid: c.taskid }.abi_encode());
    let claimed = IEngine::solutionsCall::abi_decode_returns(&solution).unwrap().claimed;
    let record = view(storage, IEngine::callbacksCall { taskid: c.taskid }.abi_encode());
    let status = IEngine::callbacksCall::abi_decode_returns(&record).unwrap().status;
    shared.lock().unwrap().calls.push((c.taskid, claimed, status));
    let out_of_gas =
        ExternalCallResult { success: false, output: Bytes::new(), gas_used: call.gas_limit, gas_refund: 0 };
    match behaviour {
        CallbackBehaviour::Succeed if call.gas_limit < SUCCEED_GAS => out_of_gas,
        CallbackBehaviour::Succeed => ExternalCallResult::returned(Vec::new(), SUCCEED_GAS),
        CallbackBehaviour::Revert => {
            // Up to 510 bytes, so some are cut to 256.
            let data: Vec<u8> = (0..c.taskid.0[1] as usize * 2).map(|i| i as u8 ^ c.taskid.0[2]).collect();
            ExternalCallResult::reverted(data, call.gas_limit.min(3_000))
        }
        CallbackBehaviour::BurnGas => out_of_gas,
        CallbackBehaviour::Reenter => {
            let tries: [(Contract, Vec<u8>); 6] = [
                (Contract::Engine, IEngine::claimSolutionCall { taskid_: c.taskid }.abi_encode()),
                (Contract::Engine, IEngine::retryCallbackCall { taskid_: c.taskid, gasLimit_: 0 }.abi_encode()),
                (
                    Contract::Engine,
                    IEngine::submitTaskCall {
                        version_: 0,
                        owner_: me,
                        model_: free_model,
                        fee_: U256::ZERO,
                        input_: Bytes::from_static(b"from inside a callback"),
                    }
                    .abi_encode(),
                ),
                (Contract::Engine, IEngine::validatorDepositCall { validator_: me, amount_: U256::ZERO }.abi_encode()),
                (Contract::Token, IDmlToken::transferCall { to: account(0), amount: U256::ZERO }.abi_encode()),
                (Contract::Token, IDmlToken::delegateCall { delegatee: account(0) }.abi_encode()),
            ];
            for (target, data) in tries {
                let result = dml_engine::call(storage, &ctx, target, &data);
                assert!(result.is_err(), "a state-changing call from inside a callback went through: {data:02x?}");
            }
            if call.gas_limit < SUCCEED_GAS {
                out_of_gas
            } else {
                ExternalCallResult::returned(Vec::new(), SUCCEED_GAS)
            }
        }
    }
}

/// A task's callback as submitted (`CallbackRequested`).
struct Requested {
    callback: Address,
    gas_limit: u64,
    fee: U256,
}

/// Callback records seen at the end of sequences, by status (for the long run's figure).
static CALLBACK_STATUSES: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
/// Sequences with callbacks run in this process.
static CALLBACK_SEQUENCES: AtomicU64 = AtomicU64::new(0);
/// `retryCallback` calls that went through (delivered or failed again).
static RETRIES: AtomicU64 = AtomicU64::new(0);

/// The random sequences' count: `DML_PROPTEST_CASES`, or 48.
fn cases() -> u32 {
    std::env::var("DML_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

struct Sim {
    w: World,
    models: [B256; 2],
    model_addrs: [Address; 2],
    tasks: Vec<B256>,
    /// Terminal events seen per task: claimed, refunded or retracted.
    endings: HashMap<B256, u32>,
    genesis_supply: U256,
    /// After each checked step: the time, each actor's votes, the supply.
    votes_history: Vec<(u64, Vec<U256>, U256)>,
    /// Per solver.
    pools: HashMap<Address, PoolFlows>,
    /// Per (delegator, solver).
    delegators: HashMap<(Address, Address), DelegatorFlows>,
    /// Operations applied, for the long run's figure.
    ops_applied: u64,
    callback_contracts: Arc<Mutex<CallbackContracts>>,
    /// Tasks submitted with a callback.
    requested: HashMap<B256, Requested>,
    /// `CallbackDelivered` events per task.
    delivered: HashMap<B256, u32>,
}

impl Sim {
    fn new() -> Self {
        let parameters = Parameters {
            min_claim_solution_time: WINDOW,
            min_retraction_wait_time: WINDOW,
            min_contestation_vote_period_time: WINDOW,
            exit_validator_min_unlock_time: WINDOW,
            delegation_unbonding_time: 2 * WINDOW + 1,
            delegation_commission_cooldown: 3 * WINDOW,
            ..Parameters::default()
        };
        let mut w = World::with_parameters(parameters);
        // Start two years into the curve so rewards are generous and
        // slashing (2,000+ DML emitted) switches on within a few claims.
        w.time += 2 * 365 * 86_400;
        let model_addrs = [Address::repeat_byte(0x71), Address::repeat_byte(0x72)];
        let free = w.register_model(account(0), model_addrs[0], U256::ZERO, r#"{"name":"free"}"#);
        let paid = w.register_model(account(0), model_addrs[1], ONE_DML / U256::from(4u8), r#"{"name":"paid"}"#);
        let owner = w.owner;
        w.engine(owner, IEngine::setSolutionMineableRateCall { model_: paid, rate_: ONE_DML * U256::from(10u8) })
            .unwrap();
        // The last actor's own stake is below the slash: only the stake
        // delegated to it makes it eligible, and its pool pays what its own
        // stake cannot when it loses a contestation.
        for i in 0..ACTORS - 1 {
            w.deposit(account(i), dml(500));
        }
        let thin = account(ACTORS - 1);
        w.deposit(thin, dml(5));
        let genesis_supply = w.total_supply();
        let callback_contracts = Self::install_callback_contracts(&mut w, free);
        let mut sim = Self {
            w,
            models: [free, paid],
            model_addrs,
            tasks: Vec::new(),
            endings: HashMap::new(),
            genesis_supply,
            votes_history: Vec::new(),
            pools: HashMap::new(),
            delegators: HashMap::new(),
            ops_applied: 0,
            callback_contracts,
            requested: HashMap::new(),
            delivered: HashMap::new(),
        };
        for i in 0..2 {
            sim.apply(&Op::DelegateStake { who: i, solver: ACTORS - 1, amount: 100 });
        }
        sim.apply(&Op::DelegateStake { who: 2, solver: 0, amount: 50 });
        sim
    }

    /// Installs the callback contracts (code, and the hook that runs it).
    fn install_callback_contracts(w: &mut World, free_model: B256) -> Arc<Mutex<CallbackContracts>> {
        let contracts = Arc::new(Mutex::new(CallbackContracts {
            behaviours: [CallbackBehaviour::Succeed; CALLBACK_CONTRACTS as usize],
            clock: (w.block, w.time),
            free_model,
            calls: Vec::new(),
        }));
        let hooked = Arc::clone(&contracts);
        w.storage.set_call_hook(move |storage, call| answer_callback(&hooked, storage, call));
        for i in 0..CALLBACK_CONTRACTS {
            w.storage.set_code_size(callback_address(i), 1_000);
        }
        contracts
    }

    fn task(&self, index: usize) -> B256 {
        if self.tasks.is_empty() {
            B256::repeat_byte(0xee)
        } else {
            self.tasks[index % self.tasks.len()]
        }
    }

    /// Runs a call; a revert is fine, a panic fails the test. Records task endings.
    fn send<C: SolCall>(&mut self, from: Address, target: Contract, c: C) -> bool {
        self.send_raw(from, target, &c.abi_encode()).is_some()
    }

    fn send_raw(&mut self, from: Address, target: Contract, data: &[u8]) -> Option<Vec<u8>> {
        let before = self.w.storage.clone();
        self.w.storage.take_call_logs();
        self.callback_contracts.lock().unwrap().clock = (self.w.block, self.w.time);
        match self.w.raw(from, target, data) {
            Ok(outcome) => {
                // The logs handed over with a call into a callback contract, then the rest.
                let mut logs = self.w.storage.take_call_logs();
                logs.extend(outcome.logs.iter().cloned());
                if data.starts_with(&IEngine::retryCallbackCall::SELECTOR) {
                    RETRIES.fetch_add(1, Ordering::Relaxed);
                }
                for log in &logs {
                    let topic = log.topics[0];
                    if topic == IEngine::TaskSubmitted::SIGNATURE_HASH {
                        self.tasks.push(log.topics[1]);
                    }
                    let ended = if topic == IEngine::SolutionClaimed::SIGNATURE_HASH {
                        Some(log.topics[2])
                    } else if topic == IEngine::TaskRetracted::SIGNATURE_HASH
                        || topic == IEngine::ContestationResolved::SIGNATURE_HASH
                    {
                        Some(log.topics[1])
                    } else {
                        None
                    };
                    if let Some(id) = ended {
                        *self.endings.entry(id).or_default() += 1;
                    }
                    self.record_delegation_flows(log);
                    self.record_callback_events(log);
                }
                Some(outcome.output.to_vec())
            }
            Err(_) => {
                assert_eq!(self.w.storage, before, "a failed call changed storage");
                None
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        ops::apply(self, op);
        self.ops_applied += 1;
    }

    fn record_callback_events(&mut self, log: &dml_engine::Log) {
        let topics = log.topics.iter().copied();
        let topic = log.topics[0];
        if topic == IEngine::CallbackRequested::SIGNATURE_HASH {
            let e = IEngine::CallbackRequested::decode_raw_log(topics, &log.data).unwrap();
            let requested = Requested { callback: e.callback, gas_limit: e.gasLimit, fee: e.fee };
            assert!(self.requested.insert(e.task, requested).is_none(), "a second callback for one task");
        } else if topic == IEngine::CallbackDelivered::SIGNATURE_HASH {
            let e = IEngine::CallbackDelivered::decode_raw_log(topics, &log.data).unwrap();
            assert_eq!(e.callback, self.requested[&e.task].callback);
            *self.delivered.entry(e.task).or_default() += 1;
        } else if topic == IEngine::CallbackFailed::SIGNATURE_HASH {
            let e = IEngine::CallbackFailed::decode_raw_log(topics, &log.data).unwrap();
            assert_eq!(e.callback, self.requested[&e.task].callback);
            assert!(e.reason.len() <= MAX_CALLBACK_REASON_BYTES, "a reason of {} bytes", e.reason.len());
        } else if topic == IEngine::CallbackCancelled::SIGNATURE_HASH {
            let e = IEngine::CallbackCancelled::decode_raw_log(topics, &log.data).unwrap();
            assert_eq!(e.callback, self.requested[&e.task].callback);
        }
    }

    /// Every callback record agrees with its task: pending (its fee still
    /// escrowed) until the task ends; delivered or failed only once the
    /// solution is claimed; cancelled (its fee refunded) only if the task
    /// ended without one. A callback was called only for a claimed task, and
    /// delivered at most once. Returns the callback fees the engine holds.
    fn check_callbacks(&mut self) -> U256 {
        let mut held = U256::ZERO;
        for id in self.tasks.clone() {
            let record = self.w.engine(account(0), IEngine::callbacksCall { taskid: id }).unwrap();
            let Some(requested) = self.requested.get(&id) else {
                assert_eq!(
                    (record.callback, record.gasLimit, record.status, record.fee),
                    (Address::ZERO, 0, 0, U256::ZERO),
                    "a plain task has no callback record"
                );
                continue;
            };
            assert_eq!((record.callback, record.gasLimit), (requested.callback, requested.gas_limit));
            let claimed = self.w.engine(account(0), IEngine::solutionsCall { taskid: id }).unwrap().claimed;
            let ended = self.endings.contains_key(&id);
            match record.status {
                PENDING => {
                    assert_eq!(record.fee, requested.fee, "a pending callback keeps its fee escrowed");
                    assert!(!ended && !claimed, "a pending callback of an ended task");
                }
                DELIVERED | FAILED => {
                    assert_eq!(record.fee, U256::ZERO, "the fee was paid at the delivery");
                    assert!(ended && claimed, "a callback called before its solution was final");
                }
                CANCELLED => {
                    assert_eq!(record.fee, U256::ZERO, "a cancelled callback's fee was refunded");
                    assert!(ended && !claimed, "a callback cancelled for a solution that stood");
                }
                other => panic!("callback status {other}"),
            }
            assert!(self.delivered.get(&id).copied().unwrap_or_default() <= 1, "a callback delivered twice");
            held += record.fee;
        }
        let calls = self.callback_contracts.lock().unwrap().calls.clone();
        for (id, claimed, status) in calls {
            assert!(claimed, "task {id}: its callback saw an unclaimed task");
            assert!(status == PENDING || status == FAILED, "task {id}: called with status {status}");
            let record = self.w.engine(account(0), IEngine::callbacksCall { taskid: id }).unwrap();
            assert!(record.status == DELIVERED || record.status == FAILED, "task {id}: called, now {}", record.status);
        }
        held
    }

    /// Retries every failed callback once, by its contract or its task's
    /// owner in turn, the contracts behaving as the sequence left them.
    fn retry_failed_callbacks(&mut self) {
        for (index, id) in self.tasks.clone().into_iter().enumerate() {
            let record = self.w.engine(account(0), IEngine::callbacksCall { taskid: id }).unwrap();
            if record.status == FAILED {
                self.apply(&Op::RetryCallback { who: ACTORS + (index % 2) as u8, task: index, gas: 0 });
            }
        }
    }

    /// Adds this sequence's final callback statuses to the process's figure.
    fn count_callback_statuses(&mut self) {
        for id in self.requested.keys().copied().collect::<Vec<_>>() {
            let record = self.w.engine(account(0), IEngine::callbacksCall { taskid: id }).unwrap();
            CALLBACK_STATUSES[record.status as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn record_delegation_flows(&mut self, log: &dml_engine::Log) {
        let topics = log.topics.iter().copied();
        let topic = log.topics[0];
        if topic == IEngine::StakeDelegated::SIGNATURE_HASH {
            let e = IEngine::StakeDelegated::decode_raw_log(topics, &log.data).unwrap();
            let pool = self.pools.entry(e.solver).or_default();
            pool.delegated += e.amount;
            pool.actions += 1;
            self.delegators.entry((e.delegator, e.solver)).or_default().delegated += e.amount;
        } else if topic == IEngine::DelegationWithdrawn::SIGNATURE_HASH {
            let e = IEngine::DelegationWithdrawn::decode_raw_log(topics, &log.data).unwrap();
            let pool = self.pools.entry(e.solver).or_default();
            pool.withdrawn += e.amount;
            pool.actions += 1;
            self.delegators.entry((e.delegator, e.solver)).or_default().withdrawn += e.amount;
        } else if topic == IEngine::DelegationSlashed::SIGNATURE_HASH {
            let e = IEngine::DelegationSlashed::decode_raw_log(topics, &log.data).unwrap();
            let pool = self.pools.entry(e.solver).or_default();
            pool.slashed += e.stake + e.unbonding;
            pool.actions += 1;
        } else if topic == IEngine::StakeUndelegated::SIGNATURE_HASH {
            let e = IEngine::StakeUndelegated::decode_raw_log(topics, &log.data).unwrap();
            self.pools.entry(e.solver).or_default().actions += 1;
        } else if topic == IEngine::DelegationRewards::SIGNATURE_HASH {
            let e = IEngine::DelegationRewards::decode_raw_log(topics, &log.data).unwrap();
            self.pools.entry(e.solver).or_default().credited += e.pool;
        } else if topic == IEngine::DelegationRewardsPaid::SIGNATURE_HASH {
            let e = IEngine::DelegationRewardsPaid::decode_raw_log(topics, &log.data).unwrap();
            self.pools.entry(e.solver).or_default().paid += e.amount;
        }
    }

    /// Every pool holds exactly what flowed into it less what flowed out;
    /// its delegators' positions never add up to more than it holds; no
    /// delegator's stake, unbonding and withdrawals exceed its deposits by
    /// more than the rounding dust others left in the pool (rounding favours
    /// the pool, that is, whoever stays in it).
    /// Returns the DML the engine holds for all pools.
    fn check_pools(&mut self) -> U256 {
        let mut held = U256::ZERO;
        for i in 0..ACTORS {
            let solver = account(i);
            let pool = self.w.engine(solver, IEngine::delegationPoolCall { solver }).unwrap();
            let flows = self.pools.remove(&solver).unwrap_or_default();
            assert_eq!(
                pool.stake + pool.unbondingStake + flows.withdrawn + flows.slashed,
                flows.delegated,
                "pool {i}: stake in = stake held + out"
            );
            assert_eq!(pool.rewardReserve + flows.paid, flows.credited, "pool {i}: rewards in = held + paid");
            let (mut stake, mut unbonding, mut pending) = (U256::ZERO, U256::ZERO, U256::ZERO);
            for j in 0..ACTORS {
                let delegator = account(j);
                let d = self.w.engine(delegator, IEngine::delegationCall { delegator, solver }).unwrap();
                let own = self.delegators.get(&(delegator, solver));
                let deposited = own.map_or(U256::ZERO, |f| f.delegated);
                let withdrawn = own.map_or(U256::ZERO, |f| f.withdrawn);
                let dust = U256::from(2 * flows.actions + 2);
                let excess = (d.stake + d.unbonding + withdrawn).saturating_sub(deposited);
                MAX_EXCESS.fetch_max(excess.saturating_to::<u64>(), std::sync::atomic::Ordering::Relaxed);
                assert!(
                    d.stake + d.unbonding + withdrawn <= deposited + dust,
                    "delegator {j} in pool {i} holds or got back more than it deposited: {} + {} + {withdrawn} > {deposited}",
                    d.stake,
                    d.unbonding
                );
                stake += d.stake;
                unbonding += d.unbonding;
                pending += d.pendingRewards;
            }
            assert!(stake <= pool.stake && unbonding <= pool.unbondingStake, "pool {i}: positions exceed the pool");
            assert!(pending <= pool.rewardReserve, "pool {i}: owed rewards exceed the reserve");
            assert!(
                pool.shares.is_zero() == pool.stake.is_zero(),
                "pool {i}: shares without stake or stake without shares"
            );
            held += pool.stake + pool.unbondingStake + pool.rewardReserve;
            self.pools.insert(solver, flows);
        }
        held
    }

    fn holders(&self) -> Vec<Address> {
        let mut all: Vec<Address> = (0..10).map(account).collect();
        all.extend(self.model_addrs);
        all.extend([self.w.treasury, self.w.owner, self.w.contracts.engine]);
        // A task's owner may be its callback contract, refunded when the task is.
        all.extend((0..CALLBACK_CONTRACTS).map(callback_address));
        all
    }

    /// Fees still held for tasks that have not ended.
    fn escrowed_fees(&mut self) -> U256 {
        let mut total = U256::ZERO;
        for id in self.tasks.clone() {
            let task = self.w.engine(account(0), IEngine::tasksCall { taskid: id }).unwrap();
            if task.owner.is_zero() || self.endings.contains_key(&id) {
                continue;
            }
            total += task.fee;
        }
        total
    }

    fn check(&mut self, settled: bool) {
        let holders = self.holders();
        let supply = self.w.total_supply();
        let sum: U256 = holders.iter().map(|&h| self.w.balance(h)).fold(U256::ZERO, |a, b| a + b);
        assert_eq!(sum, supply, "balances do not add up to the total supply");
        let emitted = self.w.emitted();
        assert_eq!(supply, self.genesis_supply + emitted, "supply grew other than by emission");
        assert!(supply <= MAX_SUPPLY, "cap passed");
        let cap = self.w.engine(account(0), IEngine::emissionCapCall {}).unwrap();
        assert!(emitted <= cap);

        let staked: U256 = (0..10).map(|i| self.w.staked(account(i))).fold(U256::ZERO, |a, b| a + b);
        let accrued = self.w.accrued_fees();
        let liquidity = self.w.engine(account(0), IEngine::accruedLiquidityRewardsCall {}).unwrap();
        let pools = self.check_pools();
        let callback_fees = self.check_callbacks();
        let held = staked + accrued + liquidity + self.escrowed_fees() + callback_fees + pools;
        let engine_balance = self.w.balance(self.w.contracts.engine);
        if settled {
            assert_eq!(engine_balance, held, "engine holds exactly stakes, accruals, open fees and callback fees");
        } else {
            assert!(engine_balance >= held, "engine holds less than it owes");
        }
        for (id, count) in &self.endings {
            assert!(*count <= 1, "task {id} ended {count} times");
        }
        self.check_votes(&holders, supply);
    }

    fn votes(&mut self, who: Address) -> U256 {
        self.w.token(who, IDmlToken::getVotesCall { account: who }).unwrap()
    }

    /// Every delegate's votes are the balances of those delegating to it, so
    /// all votes add up to the delegated supply; the engine's stake votes for
    /// nobody. Records the votes for the look-ups of `check_past_votes`.
    fn check_votes(&mut self, holders: &[Address], supply: U256) {
        let mut expected: HashMap<Address, U256> = HashMap::new();
        let mut delegated = U256::ZERO;
        for &holder in holders {
            let delegatee = self.w.token(holder, IDmlToken::delegatesCall { account: holder }).unwrap();
            if !delegatee.is_zero() {
                let balance = self.w.balance(holder);
                *expected.entry(delegatee).or_default() += balance;
                delegated += balance;
            }
        }
        assert!(expected.keys().all(|d| holders.contains(d)), "votes went outside the holders");
        let engine = self.w.contracts.engine;
        assert!(self.w.token(engine, IDmlToken::delegatesCall { account: engine }).unwrap().is_zero());
        let mut total = U256::ZERO;
        for &holder in holders {
            let votes = self.votes(holder);
            assert_eq!(votes, expected.get(&holder).copied().unwrap_or_default(), "votes of {holder}");
            total += votes;
        }
        assert_eq!(total, delegated, "votes do not add up to the delegated supply");
        let votes = (0..ACTORS).map(|i| self.votes(account(i))).collect();
        let time = self.w.time;
        self.votes_history.push((time, votes, supply));
    }

    /// `getPastVotes` and `getPastTotalSupply` at every recorded time before
    /// now give what was current at the end of that second, and each
    /// actor's checkpoints are in strictly increasing time order.
    fn check_past_votes(&mut self) {
        self.w.next_block(1);
        let now = self.w.time;
        let history = std::mem::take(&mut self.votes_history);
        for (index, (time, votes, supply)) in history.iter().enumerate() {
            let last_of_its_second = history.get(index + 1).is_none_or(|next| next.0 != *time);
            if *time >= now || !last_of_its_second {
                continue;
            }
            let t = U256::from(*time);
            for (i, expected) in votes.iter().enumerate() {
                let who = account(i as u8);
                let past = self.w.token(who, IDmlToken::getPastVotesCall { account: who, timepoint: t }).unwrap();
                assert_eq!(past, *expected, "past votes of actor {i} at {time}");
            }
            let past = self.w.token(account(0), IDmlToken::getPastTotalSupplyCall { timepoint: t }).unwrap();
            assert_eq!(past, *supply, "past total supply at {time}");
        }
        for i in 0..ACTORS {
            let who = account(i);
            let count = self.w.token(who, IDmlToken::numCheckpointsCall { account: who }).unwrap();
            let mut previous = None;
            for pos in 0..count {
                let checkpoint = self.w.token(who, IDmlToken::checkpointsCall { account: who, pos }).unwrap();
                let key = checkpoint._key.to::<u64>();
                assert!(previous.is_none_or(|p| p < key), "checkpoints out of order");
                let past = self
                    .w
                    .token(who, IDmlToken::getPastVotesCall { account: who, timepoint: U256::from(key) })
                    .unwrap();
                assert_eq!(past, U256::from(checkpoint._value), "the checkpoint at {key} is what a look-up gives");
                previous = Some(key);
            }
        }
        let future =
            self.w.token(account(0), IDmlToken::getPastVotesCall { account: account(0), timepoint: U256::from(now) });
        assert!(future.is_err(), "a look-up at the current clock reverts");
    }

    /// Settles everything that can be settled: finish every contestation,
    /// claim every solution.
    fn drain(&mut self) {
        self.w.next_block(10 * WINDOW);
        for id in self.tasks.clone() {
            for _ in 0..20 {
                if !self.send(
                    account(1),
                    Contract::Engine,
                    IEngine::contestationVoteFinishCall { taskid_: id, amnt_: 3 },
                ) {
                    break;
                }
            }
            self.send(account(1), Contract::Engine, IEngine::claimSolutionCall { taskid_: id });
        }
    }

    /// Every delegator leaves every pool and withdraws; afterwards no pool
    /// holds anything: the last one out of each took its dust.
    fn exit_pools(&mut self) {
        for who in 0..ACTORS {
            for solver in 0..ACTORS {
                self.apply(&Op::Undelegate { who, solver, amount: 0, all: true });
            }
        }
        let unbonding = self.w.engine(account(0), IEngine::delegationUnbondingTimeCall {}).unwrap();
        self.w.next_block(unbonding.to::<u64>() + 1);
        for who in 0..ACTORS {
            self.apply(&Op::WithdrawDelegation { who, solver: 0 });
        }
        for i in 0..ACTORS {
            let solver = account(i);
            let pool = self.w.engine(solver, IEngine::delegationPoolCall { solver }).unwrap();
            assert_eq!(
                (pool.stake, pool.shares, pool.unbondingStake, pool.unbondingShares, pool.rewardReserve),
                (U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO),
                "pool {i} keeps something after everyone left"
            );
        }
    }
}

impl ops::Host for Sim {
    fn actor(&self, index: u8) -> Address {
        account(index)
    }

    fn send(&mut self, from: Address, target: Contract, data: &[u8]) -> Option<Vec<u8>> {
        self.send_raw(from, target, data)
    }

    fn wait(&mut self, seconds: u64) {
        self.w.next_block(seconds);
    }

    fn task(&self, index: usize) -> B256 {
        Sim::task(self, index)
    }

    fn task_count(&self) -> usize {
        self.tasks.len()
    }

    fn models(&self) -> [B256; 2] {
        self.models
    }

    fn callback_contract(&self, index: u8) -> Option<Address> {
        Some(callback_address(index % CALLBACK_CONTRACTS))
    }

    fn set_callback_behaviour(&mut self, index: u8, behaviour: CallbackBehaviour) {
        self.callback_contracts.lock().unwrap().behaviours[(index % CALLBACK_CONTRACTS) as usize] = behaviour;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 40..160)) {
        let mut sim = Sim::new();
        sim.check(true);
        for op in &ops {
            sim.apply(op);
            sim.check(false);
        }
        sim.drain();
        sim.check(true);
        sim.check_past_votes();
        sim.exit_pools();
        sim.check(true);
        let before = OPS.fetch_add(sim.ops_applied, std::sync::atomic::Ordering::Relaxed);
        let after = before + sim.ops_applied;
        if after / 100_000 > before / 100_000 {
            let excess = MAX_EXCESS.load(std::sync::atomic::Ordering::Relaxed);
            eprintln!("random sequences: {after} operations checked; most any delegator got over its deposits: {excess} wei");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_with_callbacks_keep_the_invariants(ops in prop::collection::vec(op_with_callbacks(), 40..160)) {
        let mut sim = Sim::new();
        sim.check(true);
        for op in &ops {
            sim.apply(op);
            sim.check(false);
        }
        sim.drain();
        sim.check(true);
        sim.retry_failed_callbacks();
        sim.check(true);
        sim.exit_pools();
        sim.check(true);
        sim.count_callback_statuses();
        let sequences = CALLBACK_SEQUENCES.fetch_add(1, Ordering::Relaxed) + 1;
        if sequences % 100 == 0 || sequences == u64::from(cases()) {
            let [_, pending, delivered, failed, cancelled] =
                CALLBACK_STATUSES.each_ref().map(|n| n.load(Ordering::Relaxed));
            eprintln!(
                "random sequences with callbacks: {sequences} run; callbacks at the end: {pending} pending, \
                 {delivered} delivered, {failed} failed, {cancelled} cancelled; {} retries went through",
                RETRIES.load(Ordering::Relaxed)
            );
        }
    }
}

/// Operations the random sequences applied in this process.
static OPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// The most a delegator ever held or got back over its deposits (rounding
/// dust left by others), in wei.
static MAX_EXCESS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[test]
fn a_long_scripted_sequence_reaches_slashing_and_stays_conserved() {
    // A deterministic run long enough for emission to pass the slashing
    // threshold, with contestations settled both ways.
    let mut sim = Sim::new();
    for round in 0..40u64 {
        let user = (round % ACTORS as u64) as u8;
        sim.apply(&Op::Submit { user, fee_centi: 100 + round, model: true });
        let task = sim.tasks.len() - 1;
        sim.apply(&Op::Solve { solver: (user + 1) % ACTORS, task, wrong: round % 3 == 0 });
        if round % 3 == 0 {
            sim.apply(&Op::Contest { who: (user + 2) % ACTORS, task });
            sim.apply(&Op::Vote { who: (user + 3) % ACTORS, task, yea: round % 2 == 0 });
            sim.apply(&Op::Wait { seconds: WINDOW });
            sim.apply(&Op::Finish { task, batch: 1 });
            sim.apply(&Op::Finish { task, batch: 5 });
        } else {
            sim.apply(&Op::Wait { seconds: WINDOW + 1 });
            sim.apply(&Op::Claim { task });
        }
        sim.check(false);
    }
    assert!(sim.w.emitted() > dml(2_000), "slashing threshold reached");
    let slash = sim.w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap();
    assert!(slash > U256::ZERO);
    sim.drain();
    sim.check(true);
}

#[test]
fn a_scripted_sequence_with_callbacks_reaches_every_outcome_and_stays_conserved() {
    // Every callback behaviour at the claim; a contestation each way; a
    // retraction; retries by the owner and by the callback contract.
    let mut sim = Sim::new();
    let behaviours =
        [CallbackBehaviour::Succeed, CallbackBehaviour::Revert, CallbackBehaviour::BurnGas, CallbackBehaviour::Reenter];
    let submit = |sim: &mut Sim, user: u8, callback: u8, owner_is_callback: bool| {
        sim.apply(&Op::SubmitWithCallback {
            user,
            fee_centi: 150,
            model: true,
            callback,
            no_code: false,
            owner_is_callback,
            gas: 100_000,
            callback_fee_centi: 40,
        });
        sim.tasks.len() - 1
    };
    let mut claimed = Vec::new();
    for (round, behaviour) in behaviours.into_iter().enumerate() {
        let round = round as u8;
        sim.apply(&Op::SetCallbackBehaviour { callback: round % CALLBACK_CONTRACTS, behaviour });
        let task = submit(&mut sim, round, round % CALLBACK_CONTRACTS, round % 2 == 1);
        sim.apply(&Op::Solve { solver: (round + 1) % ACTORS, task, wrong: false });
        sim.apply(&Op::Wait { seconds: WINDOW + 1 });
        sim.apply(&Op::Claim { task });
        sim.check(false);
        claimed.push(task);
    }
    // A contestation the solution loses, and one it survives (callback 1 still reverts).
    let mut contested = Vec::new();
    for (offset, wrong) in [(0u8, true), (1, false)] {
        let task = submit(&mut sim, 2 + offset, 1, false);
        sim.apply(&Op::Solve { solver: 1, task, wrong });
        sim.apply(&Op::Contest { who: 3, task });
        sim.apply(&Op::Vote { who: 4, task, yea: wrong });
        sim.apply(&Op::Vote { who: 0, task, yea: wrong });
        sim.apply(&Op::Wait { seconds: WINDOW });
        sim.apply(&Op::Finish { task, batch: 1 });
        sim.apply(&Op::Finish { task, batch: 5 });
        sim.check(false);
        contested.push(task);
    }
    // A retraction.
    let retracted = submit(&mut sim, 4, 2, true);
    sim.apply(&Op::Wait { seconds: WINDOW + 1 });
    sim.apply(&Op::Retract { task: retracted });
    sim.check(false);
    let status = |sim: &mut Sim, task: usize| {
        let id = sim.tasks[task];
        sim.w.engine(account(0), IEngine::callbacksCall { taskid: id }).unwrap().status
    };
    let finished: Vec<u8> =
        claimed.iter().chain(&contested).chain([&retracted]).map(|&t| status(&mut sim, t)).collect();
    // Succeed, Revert, BurnGas, Reenter (which swallows its refusals); lost,
    // survived (to a reverting callback); retracted.
    assert_eq!(finished, [DELIVERED, FAILED, FAILED, DELIVERED, CANCELLED, FAILED, CANCELLED]);
    // Retries of the failures, fixed: by the callback contract, by the owner.
    for callback in 0..CALLBACK_CONTRACTS {
        sim.apply(&Op::SetCallbackBehaviour { callback, behaviour: CallbackBehaviour::Succeed });
    }
    for (i, &task) in claimed.iter().chain(&contested).enumerate() {
        sim.apply(&Op::RetryCallback { who: ACTORS + (i % 2) as u8, task, gas: 0 });
    }
    sim.drain();
    sim.check(true);
    let finished: Vec<u8> =
        claimed.iter().chain(&contested).chain([&retracted]).map(|&t| status(&mut sim, t)).collect();
    assert_eq!(finished, [DELIVERED, DELIVERED, DELIVERED, DELIVERED, CANCELLED, DELIVERED, CANCELLED]);
    let calls = sim.callback_contracts.lock().unwrap().calls.len();
    // Four claims and a contestation survived, and three failures retried.
    assert_eq!(calls, 4 + 1 + 3, "callee calls");
    assert_eq!(sim.delivered.len(), 5, "each delivered once");
}
