//! Delegated stake at the engine's edges: the parameters governance owns
//! and what they refuse, the cap on counted delegation, commission raises
//! behind the cooldown, a pool slashed past its stake, and the views.
//! (The split to the wei and the slash order run on the dev chain, in
//! `dml-chain/tests/delegation.rs`.)

mod support;

use dml_engine::Parameters;
use dml_primitives::{Address, IEngine, SolEvent, B256, ONE_DML, U256};
use support::*;

const WINDOW: u64 = 100;
const PERCENT: u64 = 10_000_000_000_000_000;

fn world() -> (World, B256) {
    let parameters = Parameters {
        min_claim_solution_time: WINDOW,
        min_contestation_vote_period_time: WINDOW,
        delegation_unbonding_time: 3 * WINDOW,
        delegation_commission_cooldown: 5 * WINDOW,
        ..Parameters::default()
    };
    let mut w = World::with_parameters(parameters);
    let model = w.register_model(account(0), Address::repeat_byte(0x77), U256::ZERO, r#"{"name":"m"}"#);
    w.enable_rewards(model);
    (w, model)
}

fn pool(w: &mut World, solver: Address) -> IEngine::delegationPoolReturn {
    w.engine(solver, IEngine::delegationPoolCall { solver }).unwrap()
}

fn position(w: &mut World, delegator: Address, solver: Address) -> IEngine::delegationReturn {
    w.engine(delegator, IEngine::delegationCall { delegator, solver }).unwrap()
}

#[test]
fn governance_owns_the_parameters_and_the_unbonding_time_outlasts_any_slash() {
    let (mut w, _) = world();
    let owner = w.owner;
    assert_eq!(w.engine(owner, IEngine::delegationCapRatioCall {}).unwrap(), dml(10));
    assert_eq!(w.engine(owner, IEngine::maxDelegationCommissionCall {}).unwrap(), U256::from(50 * PERCENT));
    assert_eq!(w.engine(owner, IEngine::delegationUnbondingTimeCall {}).unwrap(), U256::from(3 * WINDOW));
    assert_eq!(w.engine(owner, IEngine::delegationCommissionCooldownCall {}).unwrap(), U256::from(5 * WINDOW));

    let stranger = account(3);
    for reason in [
        w.engine(stranger, IEngine::setDelegationCapRatioCall { amount_: dml(2) }).unwrap_err(),
        w.engine(stranger, IEngine::setMaxDelegationCommissionCall { amount_: U256::ZERO }).unwrap_err(),
        w.engine(stranger, IEngine::setDelegationCommissionCooldownCall { amount_: U256::ZERO }).unwrap_err(),
        w.engine(stranger, IEngine::setDelegationUnbondingTimeCall { amount_: U256::from(10_000) }).unwrap_err(),
    ] {
        assert_eq!(reason, "execution reverted: Ownable: caller is not the owner");
    }
    w.expect_revert(owner, IEngine::setMaxDelegationCommissionCall { amount_: dml(2) }, "percentage above 100%");
    w.expect_revert(
        owner,
        IEngine::setDelegationCapRatioCall { amount_: U256::from(u64::MAX) + U256::from(1) },
        "ratio out of range",
    );
    // Unbonding must exceed claim window + vote period (200 s), whichever changes.
    let too_short = "delegation unbonding time must exceed the claim window plus the vote period";
    w.expect_revert(owner, IEngine::setDelegationUnbondingTimeCall { amount_: U256::from(2 * WINDOW) }, too_short);
    w.expect_revert(owner, IEngine::setMinClaimSolutionTimeCall { amount_: U256::from(2 * WINDOW) }, too_short);
    w.expect_revert(
        owner,
        IEngine::setMinContestationVotePeriodTimeCall { amount_: U256::from(2 * WINDOW) },
        too_short,
    );
    w.engine(owner, IEngine::setDelegationUnbondingTimeCall { amount_: U256::from(2 * WINDOW + 1) }).unwrap();
    w.engine(owner, IEngine::setDelegationCapRatioCall { amount_: dml(3) }).unwrap();
    let changed =
        IEngine::DelegationCapRatioChanged::decode_raw_log(w.last_logs[0].topics.iter().copied(), &w.last_logs[0].data)
            .unwrap();
    assert_eq!(changed.amount, dml(3));

    // A genesis that breaks the rule is refused.
    let parameters = Parameters { delegation_unbonding_time: 6_000, ..Parameters::default() };
    let mut config = dml_engine::Genesis::new(owner);
    config.parameters = parameters;
    let error = dml_engine::genesis(&mut dml_engine::MemoryStorage::new(), &config).unwrap_err();
    assert_eq!(error, dml_engine::GenesisError::UnbondingTooShort);
}

#[test]
fn delegation_counts_up_to_the_cap_ratio_of_the_solvers_own_stake() {
    let (mut w, model) = world();
    let solver = account(1);
    let slash = w.engine(solver, IEngine::getSlashAmountCall {}).unwrap();
    assert_eq!(slash, dml(10), "a tenth of a permille of the 100,000 DML supply");
    // 0.5 DML of its own: alone it may not solve.
    w.deposit(solver, ONE_DML / U256::from(2));
    let task = w.submit_task(account(9), model, U256::ZERO, "x");
    w.commit(solver, task, &output_cid(1));
    w.next_block(1);
    w.expect_revert(solver, IEngine::submitSolutionCall { taskid_: task, cid_: output_cid(1) }, "min staked too low");

    // 100 DML delegated, but only 10 × 0.5 = 5 DML counts: still short of 10.
    w.engine(account(2), IEngine::delegateStakeCall { solver_: solver, amount_: dml(100) }).unwrap();
    let stake = w.engine(solver, IEngine::solverStakeCall { solver }).unwrap();
    assert_eq!((stake.own, stake.delegated, stake.counted), (ONE_DML / U256::from(2), dml(100), dml(5)));
    w.expect_revert(solver, IEngine::submitSolutionCall { taskid_: task, cid_: output_cid(1) }, "min staked too low");

    // With 1 DML of its own, 10 DML count: 11 ≥ 10.
    w.deposit(solver, ONE_DML / U256::from(2));
    w.engine(solver, IEngine::submitSolutionCall { taskid_: task, cid_: output_cid(1) }).unwrap();
    // Its own stake escrowed all it had; the pool owes the other 9 DML if it loses.
    assert_eq!(w.staked(solver), U256::ZERO);
    // Its own stake does not cover a vote's escrow: delegation makes it
    // eligible, but what it risks in a vote is its own.
    let other = w.submit_task(account(9), model, U256::ZERO, "y");
    w.deposit(account(3), dml(50));
    w.solve(account(3), other, &output_cid(2));
    let refused = w.engine(solver, IEngine::submitContestationCall { taskid_: other }).unwrap_err();
    assert_eq!(refused, "execution reverted: min staked too low");

    // An honest claim returns its own 1 DML and pays the pool for the
    // counted 10 DML: 10 / (1 + 10) of the earnings, rounded up.
    w.next_block(WINDOW + 1);
    w.claim(task).unwrap();
    let logs = w.last_logs.clone();
    assert_eq!(w.staked(solver), ONE_DML);
    let paid = logs.iter().find(|l| l.topics[0] == IEngine::DelegationRewards::SIGNATURE_HASH).unwrap();
    let split = IEngine::DelegationRewards::decode_raw_log(paid.topics.iter().copied(), &paid.data).unwrap();
    let minted = logs.iter().find(|l| l.topics[0] == IEngine::RewardsMinted::SIGNATURE_HASH).unwrap();
    let minted = IEngine::RewardsMinted::decode_raw_log(minted.topics.iter().copied(), &minted.data).unwrap();
    assert_eq!(split.commission, U256::ZERO);
    assert_eq!(split.pool, (minted.solver * dml(10)).div_ceil(dml(11)));
    assert_eq!(position(&mut w, account(2), solver).pendingRewards, split.pool - U256::from(1), "floor of the share");
}

#[test]
fn a_raise_applies_after_the_cooldown_and_a_cut_at_once() {
    let (mut w, model) = world();
    let solver = account(1);
    w.deposit(solver, dml(100));
    // Nobody delegates yet: the solver's first commission applies at once.
    w.engine(solver, IEngine::setDelegationCommissionCall { commission_: U256::from(5 * PERCENT) }).unwrap();
    assert_eq!(pool(&mut w, solver).commission, U256::from(5 * PERCENT));
    w.engine(account(2), IEngine::delegateStakeCall { solver_: solver, amount_: dml(100) }).unwrap();
    w.next_block(5 * WINDOW);
    w.engine(solver, IEngine::setDelegationCommissionCall { commission_: U256::from(40 * PERCENT) }).unwrap();
    let scheduled = pool(&mut w, solver);
    assert_eq!((scheduled.commission, scheduled.nextCommission), (U256::from(5 * PERCENT), U256::from(40 * PERCENT)));
    assert_eq!(scheduled.nextCommissionTime, U256::from(w.time + 5 * WINDOW));

    // A claim inside the cooldown still pays the old commission.
    let claim_commission = |w: &mut World, tag: u8| {
        let task = w.submit_task(account(9), model, U256::ZERO, &format!("t{tag}"));
        w.solve(solver, task, &output_cid(tag));
        w.next_block(WINDOW + 1);
        w.claim(task).unwrap();
        let log = w.last_logs.iter().find(|l| l.topics[0] == IEngine::DelegationRewards::SIGNATURE_HASH).unwrap();
        let split = IEngine::DelegationRewards::decode_raw_log(log.topics.iter().copied(), &log.data).unwrap();
        let minted = w.last_logs.iter().find(|l| l.topics[0] == IEngine::RewardsMinted::SIGNATURE_HASH).unwrap();
        let minted = IEngine::RewardsMinted::decode_raw_log(minted.topics.iter().copied(), &minted.data).unwrap();
        (split.commission, minted.solver)
    };
    let (commission, earned) = claim_commission(&mut w, 1);
    assert_eq!(commission, earned * U256::from(5) / U256::from(100));
    w.next_block(5 * WINDOW);
    let (commission, earned) = claim_commission(&mut w, 2);
    assert_eq!(commission, earned * U256::from(40) / U256::from(100), "the raise applies once its time comes");
    assert_eq!(pool(&mut w, solver).nextCommissionTime, U256::ZERO, "nothing is scheduled any more");

    // A cut applies at once (after the cooldown since the last change).
    w.next_block(5 * WINDOW);
    w.engine(solver, IEngine::setDelegationCommissionCall { commission_: U256::from(PERCENT) }).unwrap();
    assert_eq!(pool(&mut w, solver).commission, U256::from(PERCENT));
    w.expect_revert(
        solver,
        IEngine::setDelegationCommissionCall { commission_: U256::ZERO },
        "commission changed within the cooldown",
    );
    w.expect_revert(account(5), IEngine::setDelegationCommissionCall { commission_: U256::ZERO }, "not a solver");
}

#[test]
fn a_pool_slashed_past_its_stake_keeps_a_share_worth_2_to_the_minus_32_and_newcomers_pay_par() {
    let (mut w, model) = world();
    let (cheat, delegator, newcomer) = (account(1), account(2), account(6));
    w.deposit(cheat, ONE_DML);
    w.engine(delegator, IEngine::delegateStakeCall { solver_: cheat, amount_: dml(10) }).unwrap();
    for i in 3..6 {
        w.deposit(account(i), dml(100));
    }
    // Two frauds, each with 1 DML of its own (deposited before each): the
    // pool owes 9 DML for each, 18 DML from its 10.
    let mut tasks = Vec::new();
    for tag in 0..2u8 {
        if tag == 1 {
            w.deposit(cheat, ONE_DML);
        }
        let task = w.submit_task(account(9), model, U256::ZERO, &format!("fraud {tag}"));
        w.solve(cheat, task, &output_cid(0xb0 + tag));
        tasks.push(task);
    }
    for &task in &tasks {
        w.engine(account(3), IEngine::submitContestationCall { taskid_: task }).unwrap();
        w.engine(account(4), IEngine::voteOnContestationCall { taskid_: task, yea_: true }).unwrap();
    }
    w.next_block(WINDOW + 1);
    let before = w.balance(account(3)) + w.balance(account(4));
    for &task in &tasks {
        w.engine(account(5), IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 5 }).unwrap();
    }
    let left = pool(&mut w, cheat);
    // The slash stops where a share is worth 2^-32 of a wei: 10^19 shares keep ⌈10^19 / 2^32⌉ wei.
    assert_eq!(left.stake, dml(10).div_ceil(U256::from(1u64 << 32)));
    let won = w.balance(account(3)) + w.balance(account(4)) - before;
    assert_eq!(won, dml(2) + dml(10) - left.stake, "the winners get the cheat's own 2 DML and what the pool paid");
    assert_eq!(w.staked(cheat), U256::ZERO);

    // A newcomer pays par: its deposit is worth what it paid, the old
    // shares what is left.
    w.engine(newcomer, IEngine::delegateStakeCall { solver_: cheat, amount_: dml(1) }).unwrap();
    let fresh = position(&mut w, newcomer, cheat);
    assert!(fresh.stake <= dml(1) && fresh.stake + U256::from(2) >= dml(1), "{}", fresh.stake);
    let old = position(&mut w, delegator, cheat);
    assert!(old.stake <= left.stake + U256::from(1));
    // Both can leave with it.
    w.engine(delegator, IEngine::undelegateStakeCall { solver_: cheat, amount_: old.stake }).unwrap();
    // All of it, whatever the last one out's shares are worth now.
    w.engine(newcomer, IEngine::undelegateStakeCall { solver_: cheat, amount_: U256::MAX }).unwrap();
    w.next_block(3 * WINDOW + 1);
    for who in [delegator, newcomer] {
        w.engine(who, IEngine::withdrawDelegationCall { solver_: cheat, to_: who }).unwrap();
    }
    let empty = pool(&mut w, cheat);
    assert_eq!((empty.stake, empty.shares, empty.unbondingStake), (U256::ZERO, U256::ZERO, U256::ZERO));
}

#[test]
fn withdrawals_pay_unlocked_requests_in_order_and_views_show_them() {
    let (mut w, _) = world();
    let (solver, delegator) = (account(1), account(2));
    w.deposit(solver, dml(100));
    w.engine(delegator, IEngine::delegateStakeCall { solver_: solver, amount_: dml(30) }).unwrap();
    let first = w.engine(delegator, IEngine::undelegateStakeCall { solver_: solver, amount_: dml(10) }).unwrap();
    w.next_block(WINDOW);
    let second = w.engine(delegator, IEngine::undelegateStakeCall { solver_: solver, amount_: dml(5) }).unwrap();
    assert_eq!((first, second), (U256::ZERO, U256::from(1)));
    let request =
        w.engine(delegator, IEngine::delegationUnbondingRequestCall { delegator, solver, index: second }).unwrap();
    assert_eq!((request.unlockTime, request.amount), (U256::from(w.time + 3 * WINDOW), dml(5)));

    // Only the first has unlocked: it alone is paid; the second waits.
    w.next_block(2 * WINDOW + 1);
    let p = position(&mut w, delegator, solver);
    assert_eq!((p.stake, p.unbonding, p.withdrawable), (dml(15), dml(15), dml(10)));
    assert_eq!((p.firstRequest, p.endRequest), (U256::ZERO, U256::from(2)));
    let paid = w.engine(delegator, IEngine::withdrawDelegationCall { solver_: solver, to_: account(7) }).unwrap();
    assert_eq!(paid, dml(10));
    assert_eq!(w.balance(account(7)), dml(10_000) + dml(10), "paid to the named recipient");
    w.expect_revert(
        delegator,
        IEngine::withdrawDelegationCall { solver_: solver, to_: delegator },
        "unbonding not finished",
    );
    w.expect_revert(
        delegator,
        IEngine::withdrawDelegationCall { solver_: solver, to_: Address::ZERO },
        "recipient is the zero address",
    );
    w.expect_revert(
        delegator,
        IEngine::undelegateStakeCall { solver_: solver, amount_: dml(15) - U256::from(1) },
        "would leave less than the minimum delegation; undelegate all of it",
    );
    let p = position(&mut w, delegator, solver);
    assert_eq!((p.firstRequest, p.endRequest, p.withdrawable), (U256::from(1), U256::from(2), U256::ZERO));
}
