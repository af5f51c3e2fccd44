//! Long random call sequences (many senders, time jumps, garbage calldata)
//! against the protocol's invariants: DML is conserved, the cap holds, no
//! call panics, and every task ends at most once.

mod support;

use std::collections::HashMap;

use dml_engine::{Contract, Parameters};
use dml_primitives::{Address, Bytes, IDmlToken, IEngine, SolCall, SolEvent, B256, MAX_SUPPLY, ONE_DML, U256};
use proptest::prelude::*;
use support::*;

const ACTORS: u8 = 6;
const WINDOW: u64 = 60;

#[derive(Clone, Debug)]
enum Op {
    Submit { user: u8, fee_centi: u64, model: bool },
    Solve { solver: u8, task: usize, wrong: bool },
    Claim { task: usize },
    Retract { task: usize },
    Contest { who: u8, task: usize },
    Vote { who: u8, task: usize, yea: bool },
    Finish { task: usize, batch: u32 },
    Deposit { who: u8, amount: u64 },
    InitiateWithdraw { who: u8, amount: u64 },
    Withdraw { who: u8, count: u64 },
    Transfer { from: u8, to: u8, amount: u64 },
    WithdrawFees,
    Wait { seconds: u64 },
    Garbage { engine: bool, data: Vec<u8> },
}

fn op() -> impl Strategy<Value = Op> {
    let actor = 0..ACTORS;
    let task = 0usize..64;
    prop_oneof![
        4 => (actor.clone(), 0u64..500, any::<bool>()).prop_map(|(user, fee_centi, model)| Op::Submit { user, fee_centi, model }),
        4 => (actor.clone(), task.clone(), prop::bool::weighted(0.2)).prop_map(|(solver, task, wrong)| Op::Solve { solver, task, wrong }),
        3 => task.clone().prop_map(|task| Op::Claim { task }),
        1 => task.clone().prop_map(|task| Op::Retract { task }),
        2 => (actor.clone(), task.clone()).prop_map(|(who, task)| Op::Contest { who, task }),
        2 => (actor.clone(), task.clone(), any::<bool>()).prop_map(|(who, task, yea)| Op::Vote { who, task, yea }),
        2 => (task.clone(), 1u32..4).prop_map(|(task, batch)| Op::Finish { task, batch }),
        2 => (actor.clone(), 0u64..3_000).prop_map(|(who, amount)| Op::Deposit { who, amount }),
        1 => (actor.clone(), 0u64..2_000).prop_map(|(who, amount)| Op::InitiateWithdraw { who, amount }),
        1 => (actor.clone(), 0u64..4).prop_map(|(who, count)| Op::Withdraw { who, count }),
        1 => (actor.clone(), actor.clone(), 0u64..20_000).prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        1 => Just(Op::WithdrawFees),
        3 => prop_oneof![1u64..5, 5u64..200, 200u64..5_000].prop_map(|seconds| Op::Wait { seconds }),
        1 => (any::<bool>(), prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(engine, data)| Op::Garbage { engine, data }),
    ]
}

struct Sim {
    w: World,
    models: [B256; 2],
    model_addrs: [Address; 2],
    tasks: Vec<B256>,
    /// Terminal events seen per task: claimed, refunded or retracted.
    endings: HashMap<B256, u32>,
    genesis_supply: U256,
}

impl Sim {
    fn new() -> Self {
        let parameters = Parameters {
            min_claim_solution_time: WINDOW,
            min_retraction_wait_time: WINDOW,
            min_contestation_vote_period_time: WINDOW,
            exit_validator_min_unlock_time: WINDOW,
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
        for i in 0..ACTORS {
            w.deposit(account(i), dml(500));
        }
        let genesis_supply = w.total_supply();
        Self { w, models: [free, paid], model_addrs, tasks: Vec::new(), endings: HashMap::new(), genesis_supply }
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
        self.send_raw(from, target, &c.abi_encode())
    }

    fn send_raw(&mut self, from: Address, target: Contract, data: &[u8]) -> bool {
        let before = self.w.storage.clone();
        match self.w.raw(from, target, data) {
            Ok(outcome) => {
                for log in &outcome.logs {
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
                }
                true
            }
            Err(_) => {
                assert_eq!(self.w.storage, before, "a failed call changed storage");
                false
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        let e = Contract::Engine;
        match *op {
            Op::Submit { user, fee_centi, model } => {
                let fee = U256::from(fee_centi) * ONE_DML / U256::from(100u8);
                let input = Bytes::from(format!("{{\"n\":{}}}", self.tasks.len()).into_bytes());
                let model = self.models[model as usize];
                let from = account(user);
                self.send(
                    from,
                    e,
                    IEngine::submitTaskCall { version_: 0, owner_: from, model_: model, fee_: fee, input_: input },
                );
            }
            Op::Solve { solver, task, wrong } => {
                let id = self.task(task);
                let cid = output_cid(if wrong { 0xbd } else { id.0[0] });
                let from = account(solver);
                let commitment = self
                    .w
                    .engine(from, IEngine::generateCommitmentCall { sender_: from, taskid_: id, cid_: cid.clone() })
                    .unwrap();
                self.send(from, e, IEngine::signalCommitmentCall { commitment_: commitment });
                self.w.next_block(1);
                self.send(from, e, IEngine::submitSolutionCall { taskid_: id, cid_: cid });
            }
            Op::Claim { task } => {
                let id = self.task(task);
                self.send(account(0), e, IEngine::claimSolutionCall { taskid_: id });
            }
            Op::Retract { task } => {
                let id = self.task(task);
                let owner = self.w.engine(account(0), IEngine::tasksCall { taskid: id }).unwrap().owner;
                self.send(owner, e, IEngine::retractTaskCall { taskid_: id });
            }
            Op::Contest { who, task } => {
                let id = self.task(task);
                self.send(account(who), e, IEngine::submitContestationCall { taskid_: id });
            }
            Op::Vote { who, task, yea } => {
                let id = self.task(task);
                self.send(account(who), e, IEngine::voteOnContestationCall { taskid_: id, yea_: yea });
            }
            Op::Finish { task, batch } => {
                let id = self.task(task);
                self.send(account(1), e, IEngine::contestationVoteFinishCall { taskid_: id, amnt_: batch });
            }
            Op::Deposit { who, amount } => {
                let from = account(who);
                self.send(from, e, IEngine::validatorDepositCall { validator_: from, amount_: dml(amount) });
            }
            Op::InitiateWithdraw { who, amount } => {
                self.send(account(who), e, IEngine::initiateValidatorWithdrawCall { amount_: dml(amount) });
            }
            Op::Withdraw { who, count } => {
                let from = account(who);
                self.send(from, e, IEngine::validatorWithdrawCall { count_: U256::from(count), to_: from });
            }
            Op::Transfer { from, to, amount } => {
                let c = IDmlToken::transferCall { to: account(to), amount: dml(amount) };
                self.send(account(from), Contract::Token, c);
            }
            Op::WithdrawFees => {
                self.send(account(2), e, IEngine::withdrawAccruedFeesCall {});
            }
            Op::Wait { seconds } => self.w.next_block(seconds),
            Op::Garbage { engine, ref data } => {
                let target = if engine { Contract::Engine } else { Contract::Token };
                self.send_raw(account(3), target, data);
            }
        }
    }

    fn holders(&self) -> Vec<Address> {
        let mut all: Vec<Address> = (0..10).map(account).collect();
        all.extend(self.model_addrs);
        all.extend([self.w.treasury, self.w.owner, self.w.contracts.engine]);
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
        let held = staked + accrued + liquidity + self.escrowed_fees();
        let engine_balance = self.w.balance(self.w.contracts.engine);
        if settled {
            assert_eq!(engine_balance, held, "engine holds exactly stakes, accruals and open fees");
        } else {
            assert!(engine_balance >= held, "engine holds less than it owes");
        }
        for (id, count) in &self.endings {
            assert!(*count <= 1, "task {id} ended {count} times");
        }
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
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

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
    }
}

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
