//! Scripted calls to every function of delegated stake, through the wasm
//! (the router sends them to the delegate facet's program; claims and
//! contestations to the settle, solve and stake facets, which now split
//! earnings with a pool, take a lost contestation's shortfall from it and
//! count it toward eligibility) and through the dev chain: return or revert
//! data, logs and storage must be identical. Refusals are checked against
//! the engine's own reasons, and each path's outcome against the rules in
//! `dml-engine/src/exec/delegation.rs`, so that a script that stopped short
//! of a path fails instead of passing vacuously.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{Revert, SolCall, SolEvent};
use dml_engine::Contract;
use dml_primitives::{IDmlToken, IEngine, ONE_DML};

use crate::equivalence::{dml, topics, CallResult, Script, Tools, WINDOW};

const ENGINE: Contract = Contract::Engine;

/// `n` % as a WAD fraction (1e18 = 100 %).
fn percent(n: u64) -> U256 {
    U256::from(n) * ONE_DML / U256::from(100u8)
}

/// `a × b / c`, rounded up.
fn mul_div_up(a: U256, b: U256, c: U256) -> U256 {
    (a * b).div_ceil(c)
}

/// The first log of event `E` in a call's logs, decoded.
fn event<E: SolEvent>(result: &CallResult) -> E {
    let log = result
        .logs
        .iter()
        .find(|log| log.topics.first() == Some(&E::SIGNATURE_HASH))
        .unwrap_or_else(|| panic!("no {} log in {:?}", E::SIGNATURE, topics(result)));
    E::decode_raw_log(log.topics.iter().copied(), &log.data).expect("the log decodes")
}

/// A sha2-256 CIDv0 multihash tagged `tag`.
fn cid(tag: u8) -> alloy_primitives::Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[tag; 32]);
    bytes.into()
}

impl Script {
    /// An engine call that must succeed.
    fn engine<C: SolCall>(&mut self, sender: usize, call: C) -> (C::Return, CallResult) {
        self.ok(sender, ENGINE, call)
    }

    /// An engine view (sent by dev account 9, who takes no part in the scripts).
    fn engine_view<C: SolCall>(&mut self, call: C) -> C::Return {
        self.ok(9, ENGINE, call).0
    }

    /// An engine call that must revert with `Error(reason)`.
    fn refused<C: SolCall>(&mut self, sender: usize, call: C, reason: &str) {
        self.reverts(sender, ENGINE, call, Revert::from(reason));
    }

    /// Lets `seconds` pass before the next call (which adds its own second).
    fn wait(&mut self, seconds: u64) {
        self.pair.time += seconds;
    }

    /// Lets time pass so that the next call runs at `time` (or at once, if that has passed).
    fn wait_until(&mut self, time: u64) {
        self.pair.time = self.pair.time.max(time - 1);
    }

    fn balance(&mut self, account: Address) -> U256 {
        self.ok(9, Contract::Token, IDmlToken::balanceOfCall { account }).0
    }

    fn pool(&mut self, solver: Address) -> IEngine::delegationPoolReturn {
        self.engine_view(IEngine::delegationPoolCall { solver })
    }

    fn position(&mut self, delegator: Address, solver: Address) -> IEngine::delegationReturn {
        self.engine_view(IEngine::delegationCall { delegator, solver })
    }

    fn request(
        &mut self,
        delegator: Address,
        solver: Address,
        index: u64,
    ) -> IEngine::delegationUnbondingRequestReturn {
        self.engine_view(IEngine::delegationUnbondingRequestCall { delegator, solver, index: U256::from(index) })
    }

    fn solver_stake(&mut self, solver: Address) -> IEngine::solverStakeReturn {
        self.engine_view(IEngine::solverStakeCall { solver })
    }

    fn deposit(&mut self, account: usize, amount: U256) {
        let validator = self.address(account);
        self.engine(account, IEngine::validatorDepositCall { validator_: validator, amount_: amount });
    }

    fn delegate(&mut self, delegator: usize, solver: Address, amount: U256) -> IEngine::StakeDelegated {
        let (_, result) = self.engine(delegator, IEngine::delegateStakeCall { solver_: solver, amount_: amount });
        event(&result)
    }

    fn undelegate(&mut self, delegator: usize, solver: Address, amount: U256) -> IEngine::StakeUndelegated {
        let (index, result) = self.engine(delegator, IEngine::undelegateStakeCall { solver_: solver, amount_: amount });
        let undelegated: IEngine::StakeUndelegated = event(&result);
        assert_eq!(undelegated.index, index);
        undelegated
    }

    fn set_commission(&mut self, solver: usize, commission: U256) -> IEngine::DelegationCommissionChanged {
        let (_, result) = self.engine(solver, IEngine::setDelegationCommissionCall { commission_: commission });
        event(&result)
    }

    /// A model registered by the owner (dev account 0) with reward `rate`.
    fn model(&mut self, name: &str, fee: U256, rate: U256) -> B256 {
        let owner = self.address(0);
        let template = format!(r#"{{"name":"{name}"}}"#).into_bytes().into();
        let (model, _) = self.engine(0, IEngine::registerModelCall { addr_: owner, fee_: fee, template_: template });
        if !rate.is_zero() {
            self.engine(0, IEngine::setSolutionMineableRateCall { model_: model, rate_: rate });
        }
        model
    }

    /// A task for `model` submitted by dev account `owner`.
    fn task(&mut self, owner: usize, model: B256, fee: U256) -> B256 {
        let owner_address = self.address(owner);
        let call = IEngine::submitTaskCall {
            version_: 0,
            owner_: owner_address,
            model_: model,
            fee_: fee,
            input_: br#"{"prompt":"delegated"}"#.to_vec().into(),
        };
        self.engine(owner, call).0
    }

    /// Dev account `solver` commits to a solution of `task`, then reveals it in a later block.
    fn solve(&mut self, solver: usize, task: B256) {
        let sender = self.address(solver);
        let solution = cid(0xd1);
        let commitment = self.engine_view(IEngine::generateCommitmentCall {
            sender_: sender,
            taskid_: task,
            cid_: solution.clone(),
        });
        self.engine(solver, IEngine::signalCommitmentCall { commitment_: commitment });
        self.engine(solver, IEngine::submitSolutionCall { taskid_: task, cid_: solution });
    }
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn delegation_terms_deposits_and_unbonding_match_the_dev_chain() {
    let Some(tools) = Tools::require("delegation terms and unbonding") else { return };
    let mut w = Script::start(tools);
    let (solver, d1, d2) = (1, 2, 3);
    let (s, a1, a2, a5) = (w.address(solver), w.address(d1), w.address(d2), w.address(5));

    // ---- only a solver (a registered validator) has a pool ----
    w.refused(solver, IEngine::setDelegationCommissionCall { commission_: percent(10) }, "not a solver");
    w.refused(solver, IEngine::setAcceptDelegationsCall { accept_: false }, "not a solver");
    w.refused(d1, IEngine::delegateStakeCall { solver_: s, amount_: dml(5) }, "not a solver");
    w.deposit(solver, dml(100));
    w.refused(d1, IEngine::delegateStakeCall { solver_: s, amount_: U256::ZERO }, "amount is zero");
    let dust = IEngine::delegateStakeCall { solver_: s, amount_: U256::from(1u8) };
    w.refused(d1, dust, "delegation below the minimum of 0.001 DML");

    // ---- commission: any change applies at once while nobody delegates ----
    let changed = w.set_commission(solver, percent(10));
    assert_eq!((changed.solver, changed.commission), (s, percent(10)));
    assert_eq!(changed.effectiveTime, U256::from(w.pair.time));
    let above = IEngine::setDelegationCommissionCall { commission_: percent(51) };
    w.refused(solver, above, "commission above the maximum");
    let soon = IEngine::setDelegationCommissionCall { commission_: percent(5) };
    w.refused(solver, soon, "commission changed within the cooldown");

    // ---- a closed pool takes no deposits ----
    let (_, result) = w.engine(solver, IEngine::setAcceptDelegationsCall { accept_: false });
    let accepted: IEngine::DelegationsAccepted = event(&result);
    assert_eq!((accepted.solver, accepted.accepted), (s, false));
    assert!(!w.pool(s).acceptsDelegations);
    w.refused(d1, IEngine::delegateStakeCall { solver_: s, amount_: dml(5) }, "solver does not accept delegations");
    w.engine(solver, IEngine::setAcceptDelegationsCall { accept_: true });

    // ---- deposits: shares at par in a pool nobody has slashed ----
    let deposited = w.delegate(d1, s, dml(50));
    assert_eq!((deposited.delegator, deposited.solver, deposited.amount, deposited.shares), (a1, s, dml(50), dml(50)));
    w.delegate(d2, s, dml(30));
    let pool = w.pool(s);
    assert_eq!(
        (pool.stake, pool.shares, pool.unbondingStake, pool.rewardReserve),
        (dml(80), dml(80), U256::ZERO, U256::ZERO)
    );
    assert_eq!((pool.commission, pool.nextCommission, pool.nextCommissionTime), (percent(10), percent(10), U256::ZERO));
    assert!(pool.acceptsDelegations);
    let stake = w.solver_stake(s);
    assert_eq!((stake.own, stake.delegated, stake.counted), (dml(100), dml(80), dml(80)));
    let position = w.position(a1, s);
    assert_eq!((position.stake, position.shares, position.pendingRewards), (dml(50), dml(50), U256::ZERO));
    assert_eq!((position.unbonding, position.firstRequest, position.endRequest), (U256::ZERO, U256::ZERO, U256::ZERO));
    // Nothing earned yet: a claim pays nothing and logs nothing.
    let (paid, result) = w.engine(d1, IEngine::claimDelegationRewardsCall { solver_: s });
    assert!(paid.is_zero() && result.logs.is_empty());

    // ---- a raise with delegators waits out the cooldown; a cut does not ----
    let cooldown = w.engine_view(IEngine::delegationCommissionCooldownCall {}).to::<u64>();
    w.wait(cooldown);
    let raised = w.set_commission(solver, percent(30));
    let effective = w.pair.time + cooldown;
    assert_eq!((raised.commission, raised.effectiveTime), (percent(30), U256::from(effective)));
    let pool = w.pool(s);
    assert_eq!((pool.commission, pool.nextCommission), (percent(10), percent(30)), "scheduled, not yet in force");
    assert_eq!(pool.nextCommissionTime, U256::from(effective));
    w.refused(
        solver,
        IEngine::setDelegationCommissionCall { commission_: percent(20) },
        "commission changed within the cooldown",
    );
    w.wait_until(effective);
    let pool = w.pool(s);
    assert_eq!((pool.commission, pool.nextCommission, pool.nextCommissionTime), (percent(30), percent(30), U256::ZERO));
    let cut = w.set_commission(solver, percent(5));
    assert_eq!(cut.effectiveTime, U256::from(w.pair.time), "a cut applies at once");
    assert_eq!(w.pool(s).commission, percent(5));

    // ---- undelegation: requests in order, each with its unlock time ----
    w.refused(d1, IEngine::undelegateStakeCall { solver_: s, amount_: U256::ZERO }, "amount is zero");
    w.refused(d1, IEngine::undelegateStakeCall { solver_: s, amount_: dml(51) }, "amount exceeds delegated stake");
    let nearly_all = IEngine::undelegateStakeCall { solver_: s, amount_: dml(50) - U256::from(1u8) };
    w.refused(d1, nearly_all, "would leave less than the minimum delegation; undelegate all of it");
    let unbonding_time = w.engine_view(IEngine::delegationUnbondingTimeCall {}).to::<u64>();
    let first = w.undelegate(d1, s, dml(20));
    assert_eq!((first.index, first.amount), (U256::ZERO, dml(20)));
    assert_eq!(first.unlockTime, U256::from(w.pair.time + unbonding_time));
    let second = w.undelegate(d1, s, dml(10));
    assert_eq!(second.index, U256::from(1u8));
    assert!(second.unlockTime > first.unlockTime);
    let request = w.request(a1, s, 0);
    assert_eq!((request.unlockTime, request.amount, request.shares), (first.unlockTime, dml(20), dml(20)));
    let position = w.position(a1, s);
    assert_eq!((position.stake, position.unbonding, position.withdrawable), (dml(20), dml(30), U256::ZERO));
    assert_eq!((position.firstRequest, position.endRequest), (U256::ZERO, U256::from(2u8)));
    let pool = w.pool(s);
    assert_eq!((pool.stake, pool.unbondingStake, pool.unbondingShares), (dml(50), dml(30), dml(30)));
    assert_eq!(w.solver_stake(s).delegated, dml(50), "unbonding stake no longer counts");

    // ---- withdrawal: refused early, then request by request ----
    w.refused(d2, IEngine::withdrawDelegationCall { solver_: s, to_: a2 }, "no unbonding requests");
    w.refused(d1, IEngine::withdrawDelegationCall { solver_: s, to_: Address::ZERO }, "recipient is the zero address");
    w.refused(d1, IEngine::withdrawDelegationCall { solver_: s, to_: a1 }, "unbonding not finished");
    let before = w.balance(a5);
    // One second early, then on the second the first request unlocks.
    let unlock = first.unlockTime.to::<u64>();
    w.wait_until(unlock - 1);
    w.refused(d1, IEngine::withdrawDelegationCall { solver_: s, to_: a1 }, "unbonding not finished");
    assert_eq!(w.next_time(), unlock);
    let (amount, result) = w.engine(d1, IEngine::withdrawDelegationCall { solver_: s, to_: a5 });
    assert_eq!(amount, dml(20), "only the first request has unlocked");
    let withdrawn: IEngine::DelegationWithdrawn = event(&result);
    assert_eq!((withdrawn.delegator, withdrawn.solver, withdrawn.to, withdrawn.amount), (a1, s, a5, dml(20)));
    assert_eq!(w.balance(a5), before + dml(20));
    let position = w.position(a1, s);
    assert_eq!((position.firstRequest, position.endRequest), (U256::from(1u8), U256::from(2u8)));
    w.wait_until(second.unlockTime.to());
    assert_eq!(w.position(a1, s).withdrawable, dml(10));
    let (amount, _) = w.engine(d1, IEngine::withdrawDelegationCall { solver_: s, to_: a1 });
    assert_eq!(amount, dml(10));
    w.refused(d1, IEngine::withdrawDelegationCall { solver_: s, to_: a1 }, "no unbonding requests");

    // ---- all of it: every share burns ----
    let all = w.undelegate(d2, s, dml(30));
    assert_eq!(all.amount, dml(30));
    assert_eq!(w.position(a2, s).shares, U256::ZERO);
    let pool = w.pool(s);
    assert_eq!((pool.stake, pool.shares, pool.unbondingStake), (dml(20), dml(20), dml(30)));

    // ---- paused: no deposits, no unbonding, no withdrawals ----
    w.engine(0, IEngine::setPausedCall { paused_: true });
    w.refused(d1, IEngine::delegateStakeCall { solver_: s, amount_: dml(1) }, "paused");
    w.refused(d1, IEngine::undelegateStakeCall { solver_: s, amount_: dml(1) }, "paused");
    w.refused(d2, IEngine::withdrawDelegationCall { solver_: s, to_: a2 }, "paused");
    w.refused(d1, IEngine::claimDelegationRewardsCall { solver_: s }, "paused");
    w.engine(0, IEngine::setPausedCall { paused_: false });

    w.pair.assert_same_storage("after the scripted delegation terms and unbonding");
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn the_delegation_parameters_match_the_dev_chain() {
    let Some(tools) = Tools::require("delegation parameters") else { return };
    let mut w = Script::start(tools);
    let (owner, solver, d1) = (0, 1, 2);
    let s = w.address(solver);

    // The genesis values (dml_engine::Parameters' defaults).
    assert_eq!(w.engine_view(IEngine::delegationCapRatioCall {}), dml(10), "10×");
    assert_eq!(w.engine_view(IEngine::maxDelegationCommissionCall {}), percent(50));
    assert_eq!(w.engine_view(IEngine::delegationCommissionCooldownCall {}), U256::from(7 * 86_400u64));
    assert_eq!(w.engine_view(IEngine::delegationUnbondingTimeCall {}), U256::from(86_400u64));

    let not_owner = "Ownable: caller is not the owner";
    w.refused(solver, IEngine::setDelegationCapRatioCall { amount_: dml(2) }, not_owner);
    w.refused(solver, IEngine::setMaxDelegationCommissionCall { amount_: percent(20) }, not_owner);
    w.refused(solver, IEngine::setDelegationCommissionCooldownCall { amount_: U256::from(3_600u64) }, not_owner);
    w.refused(solver, IEngine::setDelegationUnbondingTimeCall { amount_: U256::from(3_600u64) }, not_owner);

    let too_high = U256::from(u64::MAX) + U256::from(1u8);
    w.refused(owner, IEngine::setDelegationCapRatioCall { amount_: too_high }, "ratio out of range");
    let (_, result) = w.engine(owner, IEngine::setDelegationCapRatioCall { amount_: dml(2) });
    assert_eq!(event::<IEngine::DelegationCapRatioChanged>(&result).amount, dml(2));
    let over = IEngine::setMaxDelegationCommissionCall { amount_: percent(101) };
    w.refused(owner, over, "percentage above 100%");
    let (_, result) = w.engine(owner, IEngine::setMaxDelegationCommissionCall { amount_: percent(20) });
    assert_eq!(event::<IEngine::MaxDelegationCommissionChanged>(&result).amount, percent(20));
    let forever = IEngine::setDelegationCommissionCooldownCall { amount_: U256::from(1u64 << 40) };
    w.refused(owner, forever, "duration out of range");
    let (_, result) = w.engine(owner, IEngine::setDelegationCommissionCooldownCall { amount_: U256::from(3_600u64) });
    assert_eq!(event::<IEngine::DelegationCommissionCooldownChanged>(&result).amount, U256::from(3_600u64));

    // Unbonding must outlast the claim window plus the vote period (60 s
    // each here), so nobody leaves ahead of a slash; nor may those grow past it.
    let outlasts = "delegation unbonding time must exceed the claim window plus the vote period";
    let slashable = 2 * WINDOW;
    w.refused(owner, IEngine::setDelegationUnbondingTimeCall { amount_: U256::from(slashable) }, outlasts);
    let (_, result) = w.engine(owner, IEngine::setDelegationUnbondingTimeCall { amount_: U256::from(slashable + 1) });
    assert_eq!(event::<IEngine::DelegationUnbondingTimeChanged>(&result).amount, U256::from(slashable + 1));
    w.refused(owner, IEngine::setMinClaimSolutionTimeCall { amount_: U256::from(WINDOW + 1) }, outlasts);
    w.refused(owner, IEngine::setMinContestationVotePeriodTimeCall { amount_: U256::from(WINDOW + 1) }, outlasts);

    assert_eq!(w.engine_view(IEngine::delegationCapRatioCall {}), dml(2));
    assert_eq!(w.engine_view(IEngine::maxDelegationCommissionCall {}), percent(20));
    assert_eq!(w.engine_view(IEngine::delegationCommissionCooldownCall {}), U256::from(3_600u64));
    assert_eq!(w.engine_view(IEngine::delegationUnbondingTimeCall {}), U256::from(slashable + 1));

    // The new terms apply: the counted delegation is capped at twice the
    // solver's own stake, the commission at 20 %, unbonding takes 121 s.
    w.deposit(solver, dml(10));
    w.delegate(d1, s, dml(50));
    let stake = w.solver_stake(s);
    assert_eq!((stake.own, stake.delegated, stake.counted), (dml(10), dml(50), dml(20)));
    w.refused(
        solver,
        IEngine::setDelegationCommissionCall { commission_: percent(25) },
        "commission above the maximum",
    );
    w.set_commission(solver, percent(20));
    let request = w.undelegate(d1, s, dml(50));
    assert_eq!(request.unlockTime, U256::from(w.pair.time + slashable + 1));

    w.pair.assert_same_storage("after the scripted delegation parameters");
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn a_claim_splits_the_solvers_earnings_with_its_pool_as_on_the_dev_chain() {
    let Some(tools) = Tools::require("delegation rewards") else { return };
    let mut w = Script::start(tools);
    let (solver, d1, d2, owner) = (1, 2, 3, 5);
    let (s, a1, a2) = (w.address(solver), w.address(d1), w.address(d2));
    // A rewarded model with a fee: the solver earns its share of the task
    // fee and a minted reward.
    let model = w.model("rewarded", ONE_DML / U256::from(10u8), ONE_DML);
    w.deposit(solver, dml(20));
    w.set_commission(solver, percent(10));
    w.delegate(d1, s, dml(30));
    w.delegate(d2, s, dml(10));
    let stake = w.solver_stake(s);
    assert_eq!((stake.own, stake.counted), (dml(20), dml(40)));

    let task = w.task(owner, model, dml(2));
    w.solve(solver, task);
    w.wait(WINDOW);
    let supply = w.ok(9, Contract::Token, IDmlToken::totalSupplyCall {}).0;
    let before = w.balance(s);
    let (_, result) = w.engine(solver, IEngine::claimSolutionCall { taskid_: task });
    let split: IEngine::DelegationRewards = event(&result);
    assert_eq!((split.task, split.solver), (task, s));
    assert!(w.ok(9, Contract::Token, IDmlToken::totalSupplyCall {}).0 > supply, "the claim minted a reward");
    // The solver keeps the commission and its own stake's share; the
    // counted delegation's share (rounded up) goes to the pool.
    let earned = w.balance(s) - before + split.pool;
    assert_eq!(split.commission, earned * percent(10) / ONE_DML);
    assert_eq!(split.pool, mul_div_up(earned - split.commission, dml(40), dml(60)));
    assert!(!split.pool.is_zero() && !split.commission.is_zero());
    let pool = w.pool(s);
    assert_eq!(pool.rewardReserve, split.pool);

    // Each delegator's part, pro rata to its shares, rounded down.
    let pending1 = w.position(a1, s).pendingRewards;
    let pending2 = w.position(a2, s).pendingRewards;
    assert!(pending1 + pending2 <= split.pool && pending1 + pending2 + U256::from(2u8) >= split.pool);
    assert!(pending1.abs_diff(pending2 * U256::from(3u8)) <= U256::from(3u8), "30 DML of shares against 10");
    let before = w.balance(a1);
    let (paid, result) = w.engine(d1, IEngine::claimDelegationRewardsCall { solver_: s });
    assert_eq!(paid, pending1);
    let rewards: IEngine::DelegationRewardsPaid = event(&result);
    assert_eq!((rewards.delegator, rewards.solver, rewards.amount), (a1, s, pending1));
    assert_eq!(w.balance(a1), before + pending1);
    assert!(w.position(a1, s).pendingRewards.is_zero());
    let (paid, result) = w.engine(d1, IEngine::claimDelegationRewardsCall { solver_: s });
    assert!(paid.is_zero() && result.logs.is_empty(), "nothing more to pay");

    // A change of shares pays what they earned first.
    let (_, result) = w.engine(d2, IEngine::undelegateStakeCall { solver_: s, amount_: dml(10) });
    assert_eq!(
        topics(&result).into_iter().filter(|topic| *topic != IDmlToken::Transfer::SIGNATURE_HASH).collect::<Vec<_>>(),
        [IEngine::DelegationRewardsPaid::SIGNATURE_HASH, IEngine::StakeUndelegated::SIGNATURE_HASH]
    );
    assert_eq!(event::<IEngine::DelegationRewardsPaid>(&result).amount, pending2);
    // The last delegator out takes what rounding left in the reserve.
    let reserve = w.pool(s).rewardReserve;
    let (_, result) = w.engine(d1, IEngine::undelegateStakeCall { solver_: s, amount_: dml(30) });
    if !reserve.is_zero() {
        assert_eq!(event::<IEngine::DelegationRewardsPaid>(&result).amount, reserve);
    }
    let pool = w.pool(s);
    assert_eq!((pool.stake, pool.shares, pool.rewardReserve), (U256::ZERO, U256::ZERO, U256::ZERO));

    w.pair.assert_same_storage("after the scripted delegation rewards");
}

#[test]
#[ignore = "needs the built wasm: scripts/stylus-build.sh test"]
fn a_lost_contestation_takes_the_shortfall_from_the_pool_as_on_the_dev_chain() {
    let Some(tools) = Tools::require("delegation slashing") else { return };
    let mut w = Script::start(tools);
    let (solver, d1, d2, owner, contester, voter) = (1, 2, 3, 5, 6, 7);
    let (s, a1, a2) = (w.address(solver), w.address(d1), w.address(d2));
    // The solver's own half DML is below the slash (0.01 % of the supply,
    // 1 DML) and the validator minimum (0.08 %, 8 DML); the stake delegated
    // to it (counted up to 18× its own) makes it eligible.
    w.engine(0, IEngine::setDelegationCapRatioCall { amount_: dml(18) });
    let own = ONE_DML / U256::from(2u8);
    w.deposit(solver, own);
    w.delegate(d1, s, dml(8));
    w.delegate(d2, s, dml(4));
    let unbonding = w.undelegate(d2, s, dml(2));
    w.deposit(contester, dml(50));
    w.deposit(voter, dml(50));
    let stake = w.solver_stake(s);
    assert_eq!((stake.own, stake.delegated, stake.counted), (own, dml(10), dml(9)));
    let slash = w.engine_view(IEngine::getSlashAmountCall {});
    assert!(own < slash, "the solver's own stake does not cover the slash");

    // Its solution escrows all of its own stake; the pool owes the rest.
    let model = w.model("free", U256::ZERO, U256::ZERO);
    let task = w.task(owner, model, U256::ZERO);
    w.solve(solver, task);
    assert!(w.engine_view(IEngine::validatorsCall { addr: s }).staked.is_zero());
    w.engine(contester, IEngine::submitContestationCall { taskid_: task });
    w.engine(voter, IEngine::voteOnContestationCall { taskid_: task, yea_: true });
    w.wait(WINDOW);
    let (_, result) = w.engine(8, IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 10 });

    // Bonded and unbonding delegators pay the shortfall pro rata.
    let slashed: IEngine::DelegationSlashed = event(&result);
    assert_eq!((slashed.task, slashed.solver), (task, s));
    let shortfall = slash - own;
    assert_eq!(slashed.stake + slashed.unbonding, shortfall);
    assert_eq!(slashed.stake, shortfall * dml(10) / dml(12));
    assert!(!slashed.unbonding.is_zero());
    let pool = w.pool(s);
    assert_eq!((pool.stake, pool.shares), (dml(10) - slashed.stake, dml(10)), "shares stay, each worth less");
    assert_eq!((pool.unbondingStake, pool.unbondingShares), (dml(2) - slashed.unbonding, dml(2)));
    let position = w.position(a1, s);
    assert_eq!(position.stake, dml(8) * pool.stake / dml(10));
    let request = w.request(a2, s, 0);
    assert_eq!((request.amount, request.shares), (dml(2) - slashed.unbonding, dml(2)));
    let stake = w.solver_stake(s);
    assert_eq!((stake.own, stake.counted), (U256::ZERO, U256::ZERO), "nothing of its own, nothing counted");

    // The slashed unbonding stake is what the delegator withdraws.
    w.wait_until(unbonding.unlockTime.to());
    let (amount, _) = w.engine(d2, IEngine::withdrawDelegationCall { solver_: s, to_: a2 });
    assert_eq!(amount, dml(2) - slashed.unbonding);
    let position = w.position(a2, s);
    assert_eq!((position.stake, position.unbonding), (dml(2) * pool.stake / dml(10), U256::ZERO));

    w.pair.assert_same_storage("after the scripted contestation slash");
}
