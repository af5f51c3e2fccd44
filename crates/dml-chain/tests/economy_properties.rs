//! Random sequences on the real dev chain, signed transactions and all, that
//! mix the task lifecycle, contestations, stake delegated to solvers and LP
//! staking (with swaps through Router02 that move DML in and out of the
//! pair), against the money invariants across every contract:
//!
//! - every DML is in someone's balance: the balances of every address that
//!   ever received DML add up to the total supply, which grows by emission
//!   only and stays under the cap;
//! - the engine holds at least what it owes (stakes, accrued fees and
//!   liquidity rewards, delegation pools with their unbonding stake and
//!   reward reserves) and exactly that once every task has ended;
//! - every liquidity share minted is in the engine or was paid to the
//!   staking contract, which holds exactly what it owes its stakers plus
//!   what nobody is owed yet, and all their LP tokens;
//! - each delegation pool holds what was delegated less what was withdrawn
//!   and slashed, and what it was credited less what it paid;
//! - every task ends at most once.
//!
//! `DML_CHAIN_PROPTEST_CASES` sets the number of sequences (6 by default,
//! each 30 to 80 operations).

mod support;

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolEvent};
use dml_chain::{chain::decode_signed, Chain, GenesisConfig, GenesisModel, LiquidityAddresses};
use dml_governance::{ILiquidityStaking, IUniswapV2Pair, IUniswapV2Router02};
use dml_primitives::{IDmlToken, IEngine, MAX_SUPPLY, ONE_DML};
use proptest::prelude::*;
use support::{output_cid, sign_1559};

const WINDOW: u64 = 30;
/// Dev accounts 1..=ACTORS act; 0 holds the genesis LP tokens.
const ACTORS: u8 = 6;

#[derive(Clone, Debug)]
enum Op {
    Task { user: u8, fee_centi: u64 },
    Solve { solver: u8, task: usize, wrong: bool },
    Claim { task: usize },
    Contest { who: u8, task: usize },
    Vote { who: u8, task: usize, yea: bool },
    Finish { task: usize },
    Deposit { who: u8, amount: u64 },
    Delegate { who: u8, solver: u8, amount: u64 },
    Undelegate { who: u8, solver: u8, all: bool },
    WithdrawDelegation { who: u8, solver: u8 },
    ClaimDelegationRewards { who: u8, solver: u8 },
    LpStake { who: u8, centi: u64 },
    LpWithdraw { who: u8, centi: u64 },
    LpClaim { who: u8 },
    Pull,
    SwapEthForDml { who: u8, centi_eth: u64 },
    SwapDmlForEth { who: u8, centi_dml: u64 },
    Wait { seconds: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let actor = 1..=ACTORS;
    let task = 0usize..32;
    prop_oneof![
        4 => (actor.clone(), 0u64..300).prop_map(|(user, fee_centi)| Op::Task { user, fee_centi }),
        4 => (actor.clone(), task.clone(), prop::bool::weighted(0.2)).prop_map(|(solver, task, wrong)| Op::Solve { solver, task, wrong }),
        3 => task.clone().prop_map(|task| Op::Claim { task }),
        1 => (actor.clone(), task.clone()).prop_map(|(who, task)| Op::Contest { who, task }),
        1 => (actor.clone(), task.clone(), any::<bool>()).prop_map(|(who, task, yea)| Op::Vote { who, task, yea }),
        1 => task.clone().prop_map(|task| Op::Finish { task }),
        1 => (actor.clone(), 1u64..40).prop_map(|(who, amount)| Op::Deposit { who, amount }),
        2 => (actor.clone(), actor.clone(), 1u64..60).prop_map(|(who, solver, amount)| Op::Delegate { who, solver, amount }),
        1 => (actor.clone(), actor.clone(), any::<bool>()).prop_map(|(who, solver, all)| Op::Undelegate { who, solver, all }),
        1 => (actor.clone(), actor.clone()).prop_map(|(who, solver)| Op::WithdrawDelegation { who, solver }),
        1 => (actor.clone(), actor.clone()).prop_map(|(who, solver)| Op::ClaimDelegationRewards { who, solver }),
        2 => (actor.clone(), 1u64..100).prop_map(|(who, centi)| Op::LpStake { who, centi }),
        1 => (actor.clone(), 1u64..100).prop_map(|(who, centi)| Op::LpWithdraw { who, centi }),
        1 => actor.clone().prop_map(|who| Op::LpClaim { who }),
        1 => Just(Op::Pull),
        1 => (actor.clone(), 1u64..20).prop_map(|(who, centi_eth)| Op::SwapEthForDml { who, centi_eth }),
        1 => (actor.clone(), 1u64..500).prop_map(|(who, centi_dml)| Op::SwapDmlForEth { who, centi_dml }),
        2 => prop_oneof![1u64..5, 5u64..60, 60u64..400].prop_map(|seconds| Op::Wait { seconds }),
    ]
}

/// Money flows of one delegation pool, from the engine's events.
#[derive(Default)]
struct PoolFlows {
    delegated: U256,
    withdrawn: U256,
    slashed: U256,
    credited: U256,
    paid: U256,
}

struct Sim {
    chain: Chain,
    time: u64,
    engine: Address,
    token: Address,
    lp: LiquidityAddresses,
    model: B256,
    tasks: Vec<B256>,
    endings: HashMap<B256, u32>,
    /// Every address that ever received DML.
    holders: BTreeSet<Address>,
    pools: HashMap<Address, PoolFlows>,
    liquidity_minted: U256,
    liquidity_withdrawn: U256,
    genesis_supply: U256,
}

fn cases() -> u32 {
    std::env::var("DML_CHAIN_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(6)
}

impl Sim {
    fn new() -> Sim {
        let mut config = GenesisConfig::default();
        let t0 = 1_800_000_000;
        config.timestamp = Some(t0);
        config.engine.min_claim_solution_time = WINDOW;
        config.engine.min_retraction_wait_time = WINDOW;
        config.engine.min_contestation_vote_period_time = WINDOW;
        config.engine.exit_validator_min_unlock_time = WINDOW;
        config.engine.delegation_unbonding_time = 2 * WINDOW + 1;
        config.engine.delegation_commission_cooldown = WINDOW;
        // A month into the curve, so that claims mint.
        config.engine.start_time = Some(t0 - 30 * 86_400);
        config.models.push(GenesisModel {
            addr: None,
            fee: U256::ZERO,
            rate: ONE_DML,
            template: r#"{"name":"economy"}"#.into(),
        });
        let chain = Chain::open(&config, None).expect("the chain opens");
        let genesis = chain.block(0).unwrap();
        let model = genesis
            .genesis_logs
            .iter()
            .find(|log| log.topics().first() == Some(&IEngine::ModelRegistered::SIGNATURE_HASH))
            .map(|log| log.topics()[1])
            .expect("the genesis model");
        let contracts = chain.contracts();
        let mut sim = Sim {
            chain,
            time: t0,
            engine: contracts.engine,
            token: contracts.token,
            lp: LiquidityAddresses::at_genesis(),
            model,
            tasks: Vec::new(),
            endings: HashMap::new(),
            holders: BTreeSet::new(),
            pools: HashMap::new(),
            liquidity_minted: U256::ZERO,
            liquidity_withdrawn: U256::ZERO,
            genesis_supply: U256::ZERO,
        };
        let genesis_logs = sim.chain.block(0).unwrap().genesis_logs.clone();
        sim.record(&genesis_logs);
        sim.genesis_supply = sim.view(sim.token, IDmlToken::totalSupplyCall {});
        // Solvers 1..=4 stake; 5 and 6 only delegate at first. Everyone
        // gets some LP tokens and approves the staking contract and the
        // router once.
        let lp_total = sim.view(sim.lp.pair, IUniswapV2Pair::balanceOfCall { owner: sim.address(0) });
        for who in 1..=ACTORS {
            if who <= 4 {
                sim.send(
                    who,
                    sim.engine,
                    IEngine::validatorDepositCall { validator_: sim.address(who), amount_: dml(20) },
                );
            }
            let to = sim.address(who);
            sim.send(0, sim.lp.pair, IUniswapV2Pair::transferCall { to, value: lp_total / U256::from(10) });
            sim.send(who, sim.lp.pair, IUniswapV2Pair::approveCall { spender: sim.lp.staking, value: U256::MAX });
            sim.send(who, sim.token, IDmlToken::approveCall { spender: sim.lp.router, amount: U256::MAX });
        }
        sim
    }

    fn address(&self, index: u8) -> Address {
        self.chain.dev_signers()[index as usize].address()
    }

    /// Sends a call from dev account `from` in its own block; returns
    /// whether it succeeded. Reverts are part of the game.
    fn send<C: SolCall>(&mut self, from: u8, to: Address, call: C) -> bool {
        self.send_value(from, to, U256::ZERO, call)
    }

    fn send_value<C: SolCall>(&mut self, from: u8, to: Address, value: U256, call: C) -> bool {
        let signer = self.chain.dev_signers()[from as usize].clone();
        let nonce = self.chain.pending_nonce(&signer.address());
        let raw = sign_1559(&signer, nonce, to, value, call.abi_encode().into(), 3_000_000, self.chain.chain_id());
        let tx = decode_signed(&raw, self.chain.chain_id()).expect("a valid transaction");
        self.chain.add_transaction(tx).expect("accepted into the pool");
        self.time += 1;
        let number = self.chain.mine(Some(self.time)).expect("mines");
        let receipt = self.chain.block(number).unwrap().receipts[0].clone();
        if receipt.success {
            self.record(&receipt.logs);
        }
        receipt.success
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let output = self.chain.call(&request, self.chain.head_number()).expect("the view succeeds").output;
        C::abi_decode_returns(&output).expect("return data decodes")
    }

    fn record(&mut self, logs: &[Log]) {
        for log in logs {
            let Some(&topic) = log.topics().first() else { continue };
            if log.address == self.token && topic == IDmlToken::Transfer::SIGNATURE_HASH {
                let transfer = IDmlToken::Transfer::decode_log_data(&log.data).unwrap();
                self.holders.insert(transfer.to);
            }
            if log.address != self.engine {
                continue;
            }
            let data = &log.data;
            if topic == IEngine::TaskSubmitted::SIGNATURE_HASH {
                self.tasks.push(log.topics()[1]);
            } else if topic == IEngine::SolutionClaimed::SIGNATURE_HASH {
                *self.endings.entry(log.topics()[2]).or_default() += 1;
            } else if topic == IEngine::ContestationResolved::SIGNATURE_HASH
                || topic == IEngine::TaskRetracted::SIGNATURE_HASH
            {
                *self.endings.entry(log.topics()[1]).or_default() += 1;
            } else if topic == IEngine::RewardsMinted::SIGNATURE_HASH {
                self.liquidity_minted += IEngine::RewardsMinted::decode_log_data(data).unwrap().liquidity;
            } else if topic == IEngine::LiquidityRewardsWithdrawn::SIGNATURE_HASH {
                self.liquidity_withdrawn += IEngine::LiquidityRewardsWithdrawn::decode_log_data(data).unwrap().amount;
            } else if topic == IEngine::StakeDelegated::SIGNATURE_HASH {
                let e = IEngine::StakeDelegated::decode_log_data(data).unwrap();
                self.pools.entry(e.solver).or_default().delegated += e.amount;
            } else if topic == IEngine::DelegationWithdrawn::SIGNATURE_HASH {
                let e = IEngine::DelegationWithdrawn::decode_log_data(data).unwrap();
                self.pools.entry(e.solver).or_default().withdrawn += e.amount;
            } else if topic == IEngine::DelegationSlashed::SIGNATURE_HASH {
                let e = IEngine::DelegationSlashed::decode_log_data(data).unwrap();
                self.pools.entry(e.solver).or_default().slashed += e.stake + e.unbonding;
            } else if topic == IEngine::DelegationRewards::SIGNATURE_HASH {
                let e = IEngine::DelegationRewards::decode_log_data(data).unwrap();
                self.pools.entry(e.solver).or_default().credited += e.pool;
            } else if topic == IEngine::DelegationRewardsPaid::SIGNATURE_HASH {
                let e = IEngine::DelegationRewardsPaid::decode_log_data(data).unwrap();
                self.pools.entry(e.solver).or_default().paid += e.amount;
            }
        }
    }

    fn task(&self, index: usize) -> B256 {
        if self.tasks.is_empty() {
            B256::repeat_byte(0xee)
        } else {
            self.tasks[index % self.tasks.len()]
        }
    }

    fn apply(&mut self, op: &Op) {
        let (engine, lp) = (self.engine, self.lp);
        match *op {
            Op::Task { user, fee_centi } => {
                let input = Bytes::from(format!("{{\"n\":{}}}", self.tasks.len()).into_bytes());
                let call = IEngine::submitTaskCall {
                    version_: 0,
                    owner_: self.address(user),
                    model_: self.model,
                    fee_: U256::from(fee_centi) * ONE_DML / U256::from(100),
                    input_: input,
                };
                self.send(user, engine, call);
            }
            Op::Solve { solver, task, wrong } => {
                let id = self.task(task);
                let cid = output_cid(if wrong { 0xbd } else { id.0[0] });
                let sender = self.address(solver);
                let commitment = self
                    .view(engine, IEngine::generateCommitmentCall { sender_: sender, taskid_: id, cid_: cid.clone() });
                self.send(solver, engine, IEngine::signalCommitmentCall { commitment_: commitment });
                self.send(solver, engine, IEngine::submitSolutionCall { taskid_: id, cid_: cid });
            }
            Op::Claim { task } => {
                let id = self.task(task);
                self.send(1, engine, IEngine::claimSolutionCall { taskid_: id });
            }
            Op::Contest { who, task } => {
                let id = self.task(task);
                self.send(who, engine, IEngine::submitContestationCall { taskid_: id });
            }
            Op::Vote { who, task, yea } => {
                let id = self.task(task);
                self.send(who, engine, IEngine::voteOnContestationCall { taskid_: id, yea_: yea });
            }
            Op::Finish { task } => {
                let id = self.task(task);
                self.send(2, engine, IEngine::contestationVoteFinishCall { taskid_: id, amnt_: 10 });
            }
            Op::Deposit { who, amount } => {
                let validator = self.address(who);
                self.send(who, engine, IEngine::validatorDepositCall { validator_: validator, amount_: dml(amount) });
            }
            Op::Delegate { who, solver, amount } => {
                let solver = self.address(solver);
                self.send(who, engine, IEngine::delegateStakeCall { solver_: solver, amount_: dml(amount) });
            }
            Op::Undelegate { who, solver, all } => {
                let (delegator, solver) = (self.address(who), self.address(solver));
                let stake = self.view(engine, IEngine::delegationCall { delegator, solver }).stake;
                let amount = if all { U256::MAX } else { stake / U256::from(2) };
                self.send(who, engine, IEngine::undelegateStakeCall { solver_: solver, amount_: amount });
            }
            Op::WithdrawDelegation { who, solver } => {
                let (to, solver) = (self.address(who), self.address(solver));
                self.send(who, engine, IEngine::withdrawDelegationCall { solver_: solver, to_: to });
            }
            Op::ClaimDelegationRewards { who, solver } => {
                let solver = self.address(solver);
                self.send(who, engine, IEngine::claimDelegationRewardsCall { solver_: solver });
            }
            Op::LpStake { who, centi } => {
                let held = self.view(lp.pair, IUniswapV2Pair::balanceOfCall { owner: self.address(who) });
                let amount = held * U256::from(centi) / U256::from(100);
                self.send(who, lp.staking, ILiquidityStaking::stakeCall { amount });
            }
            Op::LpWithdraw { who, centi } => {
                let staked = self.view(lp.staking, ILiquidityStaking::balanceOfCall { account: self.address(who) });
                let amount = staked * U256::from(centi) / U256::from(100);
                self.send(who, lp.staking, ILiquidityStaking::withdrawCall { amount });
            }
            Op::LpClaim { who } => {
                self.send(who, lp.staking, ILiquidityStaking::claimCall {});
            }
            Op::Pull => {
                self.send(3, lp.staking, ILiquidityStaking::pullCall {});
            }
            Op::SwapEthForDml { who, centi_eth } => {
                let to = self.address(who);
                let call = IUniswapV2Router02::swapExactETHForTokensCall {
                    amountOutMin: U256::ZERO,
                    path: vec![lp.weth, self.token],
                    to,
                    deadline: U256::from(self.time + 600),
                };
                let value = U256::from(centi_eth) * U256::from(10_000_000_000_000_000u64);
                self.send_value(who, lp.router, value, call);
            }
            Op::SwapDmlForEth { who, centi_dml } => {
                let to = self.address(who);
                let call = IUniswapV2Router02::swapExactTokensForETHCall {
                    amountIn: U256::from(centi_dml) * ONE_DML / U256::from(100),
                    amountOutMin: U256::ZERO,
                    path: vec![self.token, lp.weth],
                    to,
                    deadline: U256::from(self.time + 600),
                };
                self.send(who, lp.router, call);
            }
            Op::Wait { seconds } => self.time += seconds,
        }
    }

    /// Settles what can be settled: finishes contestations and claims solutions.
    fn drain(&mut self) {
        self.time += 10 * WINDOW;
        for id in self.tasks.clone() {
            self.send(2, self.engine, IEngine::contestationVoteFinishCall { taskid_: id, amnt_: 10 });
            self.send(2, self.engine, IEngine::claimSolutionCall { taskid_: id });
        }
    }

    /// Fees of tasks that have not ended (retracted tasks are deleted).
    fn open_fees(&self) -> U256 {
        let mut total = U256::ZERO;
        for id in &self.tasks {
            if self.endings.contains_key(id) {
                continue;
            }
            total += self.view(self.engine, IEngine::tasksCall { taskid: *id }).fee;
        }
        total
    }

    fn check(&mut self, settled: bool) {
        let (engine, token, lp) = (self.engine, self.token, self.lp);
        let supply = self.view(token, IDmlToken::totalSupplyCall {});
        let balances: U256 =
            self.holders.iter().map(|&holder| self.view(token, IDmlToken::balanceOfCall { account: holder })).sum();
        assert_eq!(balances, supply, "the balances of every holder add up to the supply");
        let emitted = self.view(engine, IEngine::totalEmittedCall {});
        assert_eq!(supply, self.genesis_supply + emitted, "the supply grew by emission only");
        assert!(supply <= MAX_SUPPLY);

        // The engine's books.
        let mut owed = self.view(engine, IEngine::accruedFeesCall {});
        let accrued_liquidity = self.view(engine, IEngine::accruedLiquidityRewardsCall {});
        owed += accrued_liquidity;
        for who in 0..10u8 {
            let addr = self.address(who);
            owed += self.view(engine, IEngine::validatorsCall { addr }).staked;
            let pool = self.view(engine, IEngine::delegationPoolCall { solver: addr });
            owed += pool.stake + pool.unbondingStake + pool.rewardReserve;
            let flows = self.pools.remove(&addr).unwrap_or_default();
            assert_eq!(pool.stake + pool.unbondingStake + flows.withdrawn + flows.slashed, flows.delegated);
            assert_eq!(pool.rewardReserve + flows.paid, flows.credited);
            self.pools.insert(addr, flows);
        }
        owed += self.open_fees();
        let held = self.view(token, IDmlToken::balanceOfCall { account: engine });
        if settled {
            assert_eq!(held, owed, "once everything has ended, the engine holds exactly what it owes");
        } else {
            assert!(held >= owed, "the engine holds less than it owes: {held} < {owed}");
        }

        // The liquidity share: in the engine, or paid to the staking contract,
        // which owes it to stakers or holds it for the next share.
        assert_eq!(accrued_liquidity + self.liquidity_withdrawn, self.liquidity_minted);
        let staking_dml = self.view(token, IDmlToken::balanceOfCall { account: lp.staking });
        let owed_scaled = self.view(lp.staking, ILiquidityStaking::totalOwedScaledCall {});
        let carried = self.view(lp.staking, ILiquidityStaking::carriedCall {});
        let undistributed = self.view(lp.staking, ILiquidityStaking::undistributedCall {});
        let paid = self.view(lp.staking, ILiquidityStaking::totalPaidCall {});
        let precision = U256::from(ONE_DML);
        assert_eq!(
            staking_dml * precision,
            owed_scaled + carried + undistributed * precision,
            "the staking contract holds what it owes and what nobody is owed yet"
        );
        assert_eq!(staking_dml + paid, self.liquidity_withdrawn, "it holds what it was paid less what it paid out");
        let mut earned = U256::ZERO;
        let mut staked = U256::ZERO;
        for who in 0..10u8 {
            let account = self.address(who);
            earned += self.view(lp.staking, ILiquidityStaking::earnedCall { account });
            staked += self.view(lp.staking, ILiquidityStaking::balanceOfCall { account });
        }
        assert!(earned <= staking_dml, "stakers are owed no more than it holds");
        assert_eq!(staked, self.view(lp.staking, ILiquidityStaking::totalStakedCall {}));
        assert_eq!(staked, self.view(lp.pair, IUniswapV2Pair::balanceOfCall { owner: lp.staking }), "LP tokens held");

        // The pair's DML reserve is its balance (every swap syncs).
        let reserves = self.view(lp.pair, IUniswapV2Pair::getReservesCall {});
        let pair_dml = self.view(token, IDmlToken::balanceOfCall { account: lp.pair });
        assert!(pair_dml == U256::from(reserves.reserve0) || pair_dml == U256::from(reserves.reserve1));

        for (id, count) in &self.endings {
            assert!(*count <= 1, "task {id} ended {count} times");
        }
    }
}

fn dml(n: u64) -> U256 {
    U256::from(n) * ONE_DML
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn tasks_delegation_and_lp_staking_conserve_dml_on_the_dev_chain(ops in prop::collection::vec(op(), 30..80)) {
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
