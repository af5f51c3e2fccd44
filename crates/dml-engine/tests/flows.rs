//! Every flow of the whitepaper through the ABI entry point, with exact
//! balances.

mod support;

use dml_primitives::{Address, Bytes, IEngine, B256, ONE_DML, U256};
use support::*;

const WINDOW: u64 = 100;

fn wei(n: u64) -> U256 {
    U256::from(n)
}

/// A world with short windows, a model (fee 1 DML, paid to `model_addr`)
/// and a staked solver (account 2) whose 50 DML cover five open solutions
/// (the slash is 10 DML: 0.01 % of the 100,000 DML genesis supply).
fn world_with_model() -> (World, B256, Address) {
    let mut w = World::new();
    w.set_windows(WINDOW);
    let model_addr = Address::repeat_byte(0x77);
    let model = w.register_model(account(0), model_addr, dml(1), r#"{"name":"echo"}"#);
    w.deposit(account(2), dml(50));
    (w, model, model_addr)
}

#[test]
fn submit_commit_reveal_claim_splits_the_fee() {
    let (mut w, model, model_addr) = world_with_model();
    let user = account(1);
    let solver = account(2);
    let user_before = w.balance(user);
    let solver_before = w.balance(solver);
    let supply_before = w.total_supply();

    let task = w.submit_task(user, model, dml(3), r#"{"prompt":"hi"}"#);
    assert_eq!(w.balance(user), user_before - dml(3), "fee escrowed");
    let stored = w.engine(user, IEngine::tasksCall { taskid: task }).unwrap();
    assert_eq!(stored.model, model);
    assert_eq!(stored.owner, user);
    assert_eq!(stored.fee, dml(3));
    let expected_cid =
        w.engine(user, IEngine::generateIPFSCIDCall { content_: Bytes::from(&br#"{"prompt":"hi"}"#[..]) }).unwrap();
    assert_eq!(stored.cid, expected_cid);

    let cid = output_cid(7);
    w.solve(solver, task, &cid);
    let solution = w.engine(user, IEngine::solutionsCall { taskid: task }).unwrap();
    assert_eq!((solution.validator, solution.claimed, solution.cid.clone()), (solver, false, cid.clone()));

    assert_eq!(w.claim(task).unwrap_err(), "execution reverted: not enough delay");
    w.next_block(WINDOW + 1);
    w.claim(task).unwrap();

    // 1 DML to the model; of the remaining 2 DML, 10% to the treasury.
    assert_eq!(w.balance(model_addr), dml(1));
    assert_eq!(w.accrued_fees(), dml(2) / wei(10));
    assert_eq!(w.balance(solver), solver_before + dml(2) * wei(9) / wei(10));
    assert_eq!(w.total_supply(), supply_before, "no reward without a rate");
    assert!(w.engine(user, IEngine::solutionsCall { taskid: task }).unwrap().claimed);
    assert_eq!(w.claim(task).unwrap_err(), "execution reverted: already claimed");

    // The treasury can take its fees out.
    let treasury = w.treasury;
    w.engine(user, IEngine::withdrawAccruedFeesCall {}).unwrap();
    assert_eq!(w.balance(treasury), dml(2) / wei(10));
    assert_eq!(w.accrued_fees(), U256::ZERO);
}

#[test]
fn rewards_are_minted_only_for_models_whose_rate_governance_set() {
    let (mut w, plain, _) = world_with_model();
    let rated = w.register_model(account(0), Address::repeat_byte(0x78), U256::ZERO, r#"{"name":"rated"}"#);
    let solver = account(2);

    // Only the owner may set a rate.
    w.expect_revert(
        account(3),
        IEngine::setSolutionMineableRateCall { model_: rated, rate_: ONE_DML },
        "Ownable: caller is not the owner",
    );
    w.enable_rewards(rated);

    let a = w.submit_task(account(1), plain, dml(1), "a");
    let b = w.submit_task(account(1), rated, U256::ZERO, "b");
    w.solve(solver, a, &output_cid(1));
    w.engine(solver, IEngine::submitSolutionCall { taskid_: b, cid_: output_cid(2) }).unwrap_err();
    w.solve(solver, b, &output_cid(2));
    w.next_block(WINDOW + 1);

    let supply = w.total_supply();
    w.claim(a).unwrap();
    assert_eq!(w.total_supply(), supply, "unrated model: nothing minted");
    let minted_topic = <IEngine::RewardsMinted as alloy_sol_types::SolEvent>::SIGNATURE_HASH;
    assert!(!w.last_logs.iter().any(|l| l.topics[0] == minted_topic), "no RewardsMinted without a mint");

    let solver_before = w.balance(solver);
    let reward = w.engine(solver, IEngine::getRewardCall {}).unwrap();
    assert_eq!(reward, ONE_DML, "the first reward is one DML");
    let fees_before = w.accrued_fees();
    w.claim(b).unwrap();
    let log = w.last_logs.iter().find(|l| l.topics[0] == minted_topic).expect("RewardsMinted");
    assert_eq!(log.topics[1], b);
    let shares = <(U256, U256, U256) as alloy_sol_types::SolValue>::abi_decode_params(&log.data).unwrap();
    assert_eq!(shares, (reward * wei(8) / wei(10), reward / wei(10), reward / wei(10)));
    assert_eq!(w.total_supply(), supply + reward);
    assert_eq!(w.emitted(), reward);
    assert_eq!(w.balance(solver), solver_before + reward * wei(8) / wei(10));
    assert_eq!(w.accrued_fees(), fees_before + reward / wei(10));
    let liquidity = w.engine(solver, IEngine::accruedLiquidityRewardsCall {}).unwrap();
    assert_eq!(liquidity, reward / wei(10));

    // The liquidity share is held until governance names the staking pool.
    w.expect_revert(solver, IEngine::withdrawLiquidityRewardsCall {}, "liquidity pool not set");
    let pool = Address::repeat_byte(0x99);
    let owner = w.owner;
    w.engine(owner, IEngine::transferLiquidityPoolCall { to_: pool }).unwrap();
    w.engine(solver, IEngine::withdrawLiquidityRewardsCall {}).unwrap();
    assert_eq!(w.balance(pool), reward / wei(10));
}

#[test]
fn retraction_refunds_the_owner_less_the_fee_and_deletes_the_task() {
    let (mut w, model, _) = world_with_model();
    let user = account(1);
    let before = w.balance(user);
    let task = w.submit_task(user, model, dml(5), "x");

    w.expect_revert(user, IEngine::retractTaskCall { taskid_: task }, "did not wait long enough");
    w.next_block(WINDOW + 1);
    w.expect_revert(account(3), IEngine::retractTaskCall { taskid_: task }, "not owner");
    w.engine(user, IEngine::retractTaskCall { taskid_: task }).unwrap();

    assert_eq!(w.balance(user), before - dml(5) / wei(10));
    assert_eq!(w.accrued_fees(), dml(5) / wei(10));
    let stored = w.engine(user, IEngine::tasksCall { taskid: task }).unwrap();
    assert_eq!(stored.owner, Address::ZERO);
    assert!(stored.cid.is_empty());
    // A retracted task ends there: no retraction twice, no solution after.
    w.expect_revert(user, IEngine::retractTaskCall { taskid_: task }, "not owner");
    w.commit(account(2), task, &output_cid(1));
    w.next_block(1);
    w.expect_revert(
        account(2),
        IEngine::submitSolutionCall { taskid_: task, cid_: output_cid(1) },
        "task does not exist",
    );
}

#[test]
fn a_solved_task_cannot_be_retracted() {
    let (mut w, model, _) = world_with_model();
    let task = w.submit_task(account(1), model, dml(1), "x");
    w.solve(account(2), task, &output_cid(1));
    w.next_block(WINDOW + 1);
    w.expect_revert(account(1), IEngine::retractTaskCall { taskid_: task }, "has solution");
}

#[test]
fn task_ids_chain_through_prevhash() {
    let (mut w, model, _) = world_with_model();
    let first = w.submit_task(account(1), model, dml(1), "same");
    let second = w.submit_task(account(1), model, dml(1), "same");
    assert_ne!(first, second, "identical submissions get distinct ids");
    assert_eq!(w.engine(account(1), IEngine::prevhashCall {}).unwrap(), second);
    let task = dml_primitives::Task {
        model,
        fee: dml(1),
        owner: account(1),
        blocktime: 0,
        version: 0,
        cid: w.engine(account(1), IEngine::tasksCall { taskid: second }).unwrap().cid,
    };
    let expected =
        w.engine(account(1), IEngine::hashTaskCall { o_: task, sender_: account(1), prevhash_: first }).unwrap();
    assert_eq!(second, expected);
}

#[test]
fn commit_reveal_rejects_a_commitment_from_the_same_block() {
    let (mut w, model, _) = world_with_model();
    let task = w.submit_task(account(1), model, dml(1), "x");
    let cid = output_cid(3);
    w.commit(account(2), task, &cid);
    w.expect_revert(
        account(2),
        IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone() },
        "commitment must be in past",
    );
    w.next_block(1);
    w.engine(account(2), IEngine::submitSolutionCall { taskid_: task, cid_: cid }).unwrap();
}

#[test]
fn commit_reveal_rejects_a_solution_copied_by_another_sender() {
    let (mut w, model, _) = world_with_model();
    let thief = account(3);
    w.deposit(thief, dml(10));
    let task = w.submit_task(account(1), model, dml(1), "x");
    let cid = output_cid(4);
    w.commit(account(2), task, &cid);
    w.next_block(1);
    // The thief saw the commitment (or the reveal in the mempool) and copies the CID.
    w.expect_revert(thief, IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone() }, "non existent commitment");
    // Re-using the honest solver's commitment hash does not help either.
    let honest = w
        .engine(thief, IEngine::generateCommitmentCall { sender_: account(2), taskid_: task, cid_: cid.clone() })
        .unwrap();
    w.expect_revert(thief, IEngine::signalCommitmentCall { commitment_: honest }, "commitment exists");
    w.engine(account(2), IEngine::submitSolutionCall { taskid_: task, cid_: cid.clone() }).unwrap();
    // The first valid solution wins; the task is locked.
    w.commit(thief, task, &cid);
    w.next_block(1);
    w.expect_revert(thief, IEngine::submitSolutionCall { taskid_: task, cid_: cid }, "solution already submitted");
}

#[test]
fn solutions_need_a_staked_solver_once_supply_requires_it() {
    let (mut w, model, _) = world_with_model();
    let task = w.submit_task(account(1), model, dml(1), "x");
    // Below 1,000 DML emitted the minimum is zero, so anyone may solve.
    assert_eq!(w.engine(account(5), IEngine::getValidatorMinimumCall {}).unwrap(), U256::ZERO);
    grow_emission(&mut w, 1_000);
    let minimum = w.engine(account(5), IEngine::getValidatorMinimumCall {}).unwrap();
    assert!(minimum > U256::ZERO);
    w.commit(account(5), task, &output_cid(1));
    w.next_block(1);
    w.expect_revert(
        account(5),
        IEngine::submitSolutionCall { taskid_: task, cid_: output_cid(1) },
        "min staked too low",
    );
}

#[test]
fn withdrawals_unlock_after_the_wait_and_can_be_cancelled() {
    let (mut w, _, _) = world_with_model();
    let v = account(2);
    let before = w.balance(v);
    let count = w.engine(v, IEngine::initiateValidatorWithdrawCall { amount_: dml(4) }).unwrap();
    assert_eq!(count, U256::from(1u8));
    w.expect_revert(v, IEngine::initiateValidatorWithdrawCall { amount_: dml(47) }, "insufficient stake");
    w.expect_revert(v, IEngine::validatorWithdrawCall { count_: count, to_: v }, "wait longer");
    let second = w.engine(v, IEngine::initiateValidatorWithdrawCall { amount_: dml(1) }).unwrap();
    w.engine(v, IEngine::cancelValidatorWithdrawCall { count_: second }).unwrap();
    assert_eq!(w.engine(v, IEngine::validatorWithdrawPendingAmountCall { addr: v }).unwrap(), dml(4));
    w.next_block(WINDOW);
    w.engine(v, IEngine::validatorWithdrawCall { count_: count, to_: v }).unwrap();
    assert_eq!(w.balance(v), before + dml(4));
    assert_eq!(w.staked(v), dml(46));
    w.expect_revert(v, IEngine::validatorWithdrawCall { count_: count, to_: v }, "request not exist");
}

/// Runs rated tasks until the engine has emitted at least `target` DML.
fn grow_emission(w: &mut World, target: u64) {
    let farmer = account(8);
    w.deposit(farmer, dml(100));
    let model = w.register_model(account(8), Address::repeat_byte(0x55), U256::ZERO, r#"{"name":"farm"}"#);
    w.enable_rewards(model);
    // Let the target supply grow so the multiplier is generous.
    w.next_block(3 * 86_400);
    for i in 0..500u32 {
        if w.emitted() >= dml(target) {
            return;
        }
        let task = w.submit_task(farmer, model, U256::ZERO, &format!("farm {i}"));
        w.solve(farmer, task, &output_cid(0xfa));
        w.next_block(WINDOW + 1);
        w.claim(task).unwrap();
        w.next_block(600);
    }
    panic!("emission did not reach {target} DML");
}

/// A world with a minimum stake (2,000+ DML emitted; slashing is live from
/// genesis, whose allocation is far above 2,000 DML) with `voters`
/// validators (accounts 0..voters) staked 100 DML each, and a solved task
/// whose solver is account 1 and whose owner is account 9.
fn contested_world(voters: u8) -> (World, B256) {
    let (mut w, model, _) = world_with_model();
    grow_emission(&mut w, 2_000);
    for i in 0..voters {
        w.deposit(account(i), dml(100));
    }
    w.next_block(1);
    let task = w.submit_task(account(9), model, dml(2), "contested input");
    w.solve(account(1), task, &output_cid(0xbd));
    (w, task)
}

struct Snapshot {
    balances: Vec<U256>,
    stakes: Vec<U256>,
    fees: U256,
}

fn snapshot(w: &mut World) -> Snapshot {
    Snapshot {
        balances: (0..10).map(|i| w.balance(account(i))).collect(),
        stakes: (0..10).map(|i| w.staked(account(i))).collect(),
        fees: w.accrued_fees(),
    }
}

fn vote(w: &mut World, voter: u8, task: B256, yea: bool) {
    w.engine(account(voter), IEngine::voteOnContestationCall { taskid_: task, yea_: yea }).unwrap();
}

fn finish(w: &mut World, task: B256, batch: u32) {
    w.engine(account(7), IEngine::contestationVoteFinishCall { taskid_: task, amnt_: batch }).unwrap();
}

#[test]
fn a_contestation_holds_the_task_until_it_is_settled() {
    let (mut w, task) = contested_world(3);
    let slash = w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap();
    let before = snapshot(&mut w);
    assert_eq!(before.stakes[1], dml(100) - slash, "the accused's slash was escrowed with its solution");
    w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    vote(&mut w, 2, task, true);
    assert_eq!(w.claim(task).unwrap_err(), "execution reverted: has contestation");
    w.expect_revert(
        account(7),
        IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 1 },
        "voting period not ended",
    );
    w.next_block(WINDOW);
    finish(&mut w, task, 1);
    assert_eq!(w.balance(account(9)), before.balances[9] + dml(2), "owner refunded by the first batch");
    finish(&mut w, task, 1);
    w.expect_revert(
        account(7),
        IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 1 },
        "contestation already finished",
    );
    let after = snapshot(&mut w);
    assert_eq!(after.stakes[0], before.stakes[0], "contester's escrow returned");
    assert_eq!(after.stakes[1], before.stakes[1], "the accused's escrow is the pot");
    assert_eq!(after.balances[0], before.balances[0] + (slash - slash / wei(2)), "half the pot, rounded up");
    assert_eq!(after.balances[2], before.balances[2] + slash / wei(2), "the rest to the other yea");
}

#[test]
fn contestation_tied_one_to_one_goes_to_the_accused() {
    let (mut w, task) = contested_world(3);
    let slash = w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap();
    let before = snapshot(&mut w);
    w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    assert_eq!(w.staked(account(0)), before.stakes[0] - slash, "contester escrowed");
    assert_eq!(before.stakes[1], dml(100) - slash, "the accused's slash was escrowed with its solution");
    assert_eq!(w.staked(account(1)), before.stakes[1], "its automatic nay uses that escrow");
    w.next_block(WINDOW);
    w.expect_revert(account(2), IEngine::voteOnContestationCall { taskid_: task, yea_: true }, "not allowed");
    finish(&mut w, task, 10);
    let after = snapshot(&mut w);
    assert_eq!(after.stakes[0], before.stakes[0] - slash, "contester slashed");
    assert_eq!(after.stakes[1], dml(100), "accused's escrow returned");
    // The accused wins the whole pot (alone) and is paid as in a normal claim:
    // 2 DML fee - 1 DML model fee, less 10% for the treasury.
    assert_eq!(after.balances[1], before.balances[1] + slash + ONE_DML * wei(9) / wei(10));
    assert_eq!(after.balances[9], before.balances[9], "no refund");
    assert!(w.engine(account(0), IEngine::solutionsCall { taskid: task }).unwrap().claimed);
}

#[test]
fn contestation_won_by_two_yeas_shares_the_slash() {
    let (mut w, task) = contested_world(4);
    let slash = w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap();
    let before = snapshot(&mut w);
    w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    vote(&mut w, 2, task, true);
    w.expect_revert(account(2), IEngine::voteOnContestationCall { taskid_: task, yea_: true }, "not allowed");
    w.next_block(WINDOW);
    finish(&mut w, task, 5);
    let after = snapshot(&mut w);
    // Pot = one slash (the accused's). Contester: half rounded up; the other yea: the rest.
    let to_contester = slash - slash / wei(2);
    assert_eq!(after.balances[0], before.balances[0] + to_contester);
    assert_eq!(after.balances[2], before.balances[2] + (slash - to_contester));
    assert_eq!(after.stakes[0], before.stakes[0]);
    assert_eq!(after.stakes[2], before.stakes[2]);
    assert_eq!(after.stakes[1], dml(100) - slash, "accused slashed: its escrow is not returned");
    assert_eq!(after.balances[9], before.balances[9] + dml(2), "owner refunded");
    assert_eq!(after.balances[1], before.balances[1], "accused not paid");
    let solution = w.engine(account(0), IEngine::solutionsCall { taskid: task }).unwrap();
    assert!(!solution.claimed);
    assert_eq!(w.claim(task).unwrap_err(), "execution reverted: already claimed");
}

#[test]
fn contestation_with_many_voters_settles_in_batches() {
    let (mut w, task) = contested_world(9);
    let slash = w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap();
    let before = snapshot(&mut w);
    w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    // Yeas: 0 (contester), 2, 3, 4, 5. Nays: 1 (accused), 6, 7.
    for voter in [2, 3, 4, 5] {
        vote(&mut w, voter, task, true);
    }
    for voter in [6, 7] {
        vote(&mut w, voter, task, false);
    }
    assert_eq!(
        w.engine(account(0), IEngine::validatorCanVoteCall { addr_: account(8), taskid_: task }).unwrap(),
        U256::ZERO
    );
    assert_eq!(
        w.engine(account(0), IEngine::validatorCanVoteCall { addr_: account(6), taskid_: task }).unwrap(),
        U256::from(3u8)
    );
    w.next_block(WINDOW);
    assert_eq!(
        w.engine(account(0), IEngine::validatorCanVoteCall { addr_: account(8), taskid_: task }).unwrap(),
        U256::from(2u8)
    );

    finish(&mut w, task, 2);
    assert_eq!(w.engine(account(0), IEngine::contestationsCall { taskid: task }).unwrap().finish_start_index, 2);
    assert_eq!(w.balance(account(9)), before.balances[9] + dml(2), "owner refunded by the first batch");
    // Voters past the first batch are not settled yet.
    assert_eq!(w.staked(account(4)), before.stakes[4] - slash);
    finish(&mut w, task, 2);
    finish(&mut w, task, 2);
    w.expect_revert(
        account(7),
        IEngine::contestationVoteFinishCall { taskid_: task, amnt_: 2 },
        "contestation already finished",
    );

    let after = snapshot(&mut w);
    let pot = slash * wei(3);
    let to_contester = pot - pot / wei(2);
    let to_other = (pot - to_contester) / wei(4);
    let dust = pot - to_contester - to_other * wei(4);
    assert_eq!(after.balances[0], before.balances[0] + to_contester);
    for voter in [2, 3, 4, 5] {
        assert_eq!(after.balances[voter], before.balances[voter] + to_other, "yea {voter}");
        assert_eq!(after.stakes[voter], before.stakes[voter], "yea {voter} escrow back");
    }
    for voter in [6, 7] {
        assert_eq!(after.stakes[voter], before.stakes[voter] - slash, "nay {voter} slashed");
    }
    assert_eq!(after.stakes[1], dml(100) - slash, "the accused slashed by its solution's escrow");
    for voter in [1, 6, 7] {
        assert_eq!(after.balances[voter], before.balances[voter]);
    }
    assert_eq!(after.fees, before.fees + dust, "indivisible remainder to the treasury");
}

#[test]
fn contestation_lost_by_the_yeas_pays_the_nays_and_the_solver() {
    let (mut w, task) = contested_world(9);
    let slash = w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap();
    let before = snapshot(&mut w);
    w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    vote(&mut w, 2, task, true);
    for voter in [3, 4, 5] {
        vote(&mut w, voter, task, false);
    }
    w.next_block(WINDOW);
    finish(&mut w, task, 1);
    finish(&mut w, task, 3);
    let after = snapshot(&mut w);
    let pot = slash * wei(2);
    let to_accused = pot - pot / wei(2);
    let to_other = (pot - to_accused) / wei(3);
    let dust = pot - to_accused - to_other * wei(3);
    let solver_fee = ONE_DML * wei(9) / wei(10);
    assert_eq!(after.balances[1], before.balances[1] + to_accused + solver_fee);
    assert_eq!(after.stakes[1], dml(100), "the accused's escrow returned");
    for voter in [3, 4, 5] {
        assert_eq!(after.balances[voter], before.balances[voter] + to_other);
        assert_eq!(after.stakes[voter], before.stakes[voter]);
    }
    for voter in [0, 2] {
        assert_eq!(after.stakes[voter], before.stakes[voter] - slash, "yea {voter} slashed");
    }
    assert_eq!(after.balances[9], before.balances[9], "owner not refunded");
    assert_eq!(after.fees, before.fees + dust + ONE_DML / wei(10));
}

#[test]
fn contestation_rules_on_timing_and_eligibility() {
    let (mut w, task) = contested_world(4);
    w.expect_revert(account(1), IEngine::submitContestationCall { taskid_: task }, "cannot contest own solution");
    w.expect_revert(account(6), IEngine::submitContestationCall { taskid_: task }, "min staked too low");
    let owner = w.owner;
    w.engine(owner, IEngine::setMaxContestationValidatorStakeSinceCall { amount_: U256::from(10u8) }).unwrap();
    w.engine(account(0), IEngine::submitContestationCall { taskid_: task }).unwrap();
    w.expect_revert(account(2), IEngine::submitContestationCall { taskid_: task }, "contestation already exists");
    // Within the stake-since slack a fresh validator may still vote...
    w.next_block(5);
    w.deposit(account(4), dml(100));
    assert_eq!(
        w.engine(account(4), IEngine::validatorCanVoteCall { addr_: account(4), taskid_: task }).unwrap(),
        U256::ZERO
    );
    // ...but one who staked after it may not.
    w.next_block(45);
    w.deposit(account(5), dml(100));
    let code = w.engine(account(5), IEngine::validatorCanVoteCall { addr_: account(5), taskid_: task }).unwrap();
    assert_eq!(code, U256::from(6u8));
    w.expect_revert(account(5), IEngine::voteOnContestationCall { taskid_: task, yea_: true }, "not allowed");
    // Never staked at all: code 4.
    assert_eq!(
        w.engine(account(6), IEngine::validatorCanVoteCall { addr_: account(6), taskid_: task }).unwrap(),
        U256::from(4u8)
    );
}

#[test]
fn contesting_after_the_claim_window_is_too_late() {
    let (mut w, task) = contested_world(3);
    w.next_block(WINDOW);
    w.expect_revert(account(0), IEngine::submitContestationCall { taskid_: task }, "too late");
    w.next_block(1);
    w.claim(task).unwrap();
    w.expect_revert(account(0), IEngine::submitContestationCall { taskid_: task }, "already claimed");
}

#[test]
fn paused_engine_refuses_protocol_calls_until_unpaused() {
    let (mut w, model, _) = world_with_model();
    let owner = w.owner;
    w.expect_revert(account(1), IEngine::setPausedCall { paused_: true }, "not pauser");
    w.engine(owner, IEngine::setPausedCall { paused_: true }).unwrap();
    w.expect_revert(
        account(1),
        IEngine::submitTaskCall { version_: 0, owner_: account(1), model_: model, fee_: dml(1), input_: Bytes::new() },
        "paused",
    );
    w.engine(owner, IEngine::setPausedCall { paused_: false }).unwrap();
    w.submit_task(account(1), model, dml(1), "ok");
}

#[test]
fn every_parameter_has_an_owner_only_setter_and_event() {
    let mut w = World::new();
    let owner = w.owner;
    let v = U256::from(1234u16);
    macro_rules! check {
        ($set:ident, $get:ident) => {{
            w.expect_revert(account(1), IEngine::$set { amount_: v }, "Ownable: caller is not the owner");
            w.engine(owner, IEngine::$set { amount_: v }).unwrap();
            assert_eq!(w.last_logs.len(), 1, stringify!($set));
            assert_eq!(w.engine(owner, IEngine::$get {}).unwrap(), v, stringify!($get));
        }};
    }
    check!(setValidatorMinimumPercentageCall, validatorMinimumPercentageCall);
    check!(setSlashAmountPercentageCall, slashAmountPercentageCall);
    check!(setSolutionFeePercentageCall, solutionFeePercentageCall);
    check!(setRetractionFeePercentageCall, retractionFeePercentageCall);
    check!(setTreasuryRewardPercentageCall, treasuryRewardPercentageCall);
    check!(setLiquidityRewardPercentageCall, liquidityRewardPercentageCall);
    check!(setMinClaimSolutionTimeCall, minClaimSolutionTimeCall);
    check!(setMinRetractionWaitTimeCall, minRetractionWaitTimeCall);
    check!(setMinContestationVotePeriodTimeCall, minContestationVotePeriodTimeCall);
    check!(setMaxContestationValidatorStakeSinceCall, maxContestationValidatorStakeSinceCall);
    check!(setExitValidatorMinUnlockTimeCall, exitValidatorMinUnlockTimeCall);
    w.engine(owner, IEngine::setVersionCall { version_: v }).unwrap();
    assert_eq!(w.engine(owner, IEngine::versionCall {}).unwrap(), v);
    w.expect_revert(
        owner,
        IEngine::setSolutionFeePercentageCall { amount_: ONE_DML + U256::from(1u8) },
        "percentage above 100%",
    );
    w.expect_revert(owner, IEngine::setTreasuryRewardPercentageCall { amount_: ONE_DML }, "reward shares above 100%");
    // Ownership moves, and the old owner loses it.
    let next = account(4);
    w.engine(owner, IEngine::transferOwnershipCall { to_: next }).unwrap();
    w.expect_revert(owner, IEngine::setVersionCall { version_: v }, "Ownable: caller is not the owner");
    w.engine(next, IEngine::setVersionCall { version_: U256::from(2u8) }).unwrap();
}

#[test]
fn signal_support_needs_a_validator_and_a_model() {
    let (mut w, model, _) = world_with_model();
    w.engine(account(2), IEngine::signalSupportCall { model_: model, support_: true }).unwrap();
    assert_eq!(w.last_logs.len(), 1);
    w.expect_revert(
        account(2),
        IEngine::signalSupportCall { model_: B256::repeat_byte(9), support_: true },
        "model does not exist",
    );
}

#[test]
fn bulk_calls_do_all_or_nothing() {
    let (mut w, model, _) = world_with_model();
    let solver = account(2);
    let before = w.balance(account(1));
    w.engine(
        account(1),
        IEngine::bulkSubmitTaskCall {
            version_: 0,
            owner_: account(1),
            model_: model,
            fee_: dml(1),
            input_: Bytes::from_static(b"bulk"),
            n_: U256::from(3u8),
        },
    )
    .unwrap();
    let submitted = <IEngine::TaskSubmitted as dml_primitives::SolEvent>::SIGNATURE_HASH;
    let ids: Vec<B256> = w.last_logs.iter().filter(|l| l.topics[0] == submitted).map(|l| l.topics[1]).collect();
    assert_eq!(w.balance(account(1)), before - dml(3));
    assert_eq!(ids.len(), 3);
    let cids: Vec<Bytes> = (0..3).map(output_cid).collect();
    let commitments = ids
        .iter()
        .zip(&cids)
        .map(|(id, cid)| {
            w.engine(solver, IEngine::generateCommitmentCall { sender_: solver, taskid_: *id, cid_: cid.clone() })
                .unwrap()
        })
        .collect();
    w.engine(solver, IEngine::bulkSignalCommitmentCall { commitments_: commitments }).unwrap();
    w.next_block(1);
    // One bad entry (a CID nobody committed to) reverts the whole batch.
    let mut bad = cids.clone();
    bad[2] = output_cid(0xee);
    w.expect_revert(
        solver,
        IEngine::bulkSubmitSolutionCall { taskids_: ids.clone(), cids_: bad },
        "non existent commitment",
    );
    w.expect_revert(
        solver,
        IEngine::bulkSubmitSolutionCall { taskids_: ids.clone(), cids_: cids[..2].to_vec() },
        "length mismatch",
    );
    w.engine(solver, IEngine::bulkSubmitSolutionCall { taskids_: ids.clone(), cids_: cids }).unwrap();
    w.next_block(WINDOW + 1);
    w.engine(account(5), IEngine::bulkClaimSolutionCall { taskids_: ids }).unwrap();
}

#[test]
fn slash_is_a_share_of_the_whole_supply_from_genesis() {
    // 100,000 DML allocated at genesis, nothing emitted: 0.01 % is 10 DML.
    let mut w = World::new();
    assert_eq!(w.engine(account(0), IEngine::totalEmittedCall {}).unwrap(), U256::ZERO);
    assert_eq!(w.engine(account(0), IEngine::getSlashAmountCall {}).unwrap(), dml(10));
    // The minimum stake still counts emission only, and is zero before 1,000 DML.
    assert_eq!(w.engine(account(0), IEngine::getValidatorMinimumCall {}).unwrap(), U256::ZERO);

    // Below 2,000 DML of supply nothing is slashed.
    let owner = Address::repeat_byte(0x01);
    let mut config = dml_engine::Genesis::new(owner);
    config.allocations.push((account(0), dml(1_999)));
    let mut small = World::from_genesis(config);
    assert_eq!(small.engine(account(0), IEngine::getSlashAmountCall {}).unwrap(), U256::ZERO);
}
