//! Attacks on the stake rules against a real `dml devnet` (two built-in
//! solvers; the attackers stake for themselves and send their own
//! transactions). A wrong solution must always be refused or slashed:
//!
//! - an account with no stake cannot submit a solution (the slash is live
//!   from genesis while the minimum stake is still zero);
//! - stake queued for withdrawal does not cover a solution;
//! - a solution's slash is escrowed when it is submitted, so withdrawing
//!   everything in the next block does not save the cheat: outvoted, it
//!   loses exactly that slash.
//!
//! The attacker commits before the task exists (a task id is predictable),
//! so its reveal lands in the block after the task's, ahead of any honest
//! solver, which cannot commit before it has seen the task.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolEvent;
use devnet_support::*;
use dml_primitives::{IEngine, ONE_DML};
use dml_solver::chain::ChainClient;
use dml_solver::SolverError;

const WAIT: Duration = Duration::from_secs(30);

/// A wrong output's CID: a well-formed CIDv0 nobody's model produces.
fn forged_cid() -> Bytes {
    let mut bytes = vec![0x12, 0x20];
    bytes.extend_from_slice(&[0xbd; 32]);
    Bytes::from(bytes)
}

/// Commits to `forged_cid()` for the task `owner` is about to submit, has it
/// submitted, and reveals in the next block. The task id, and the reveal's
/// outcome.
async fn front_run(
    attacker: &ChainClient,
    owner: &ChainClient,
    model: B256,
    input: &str,
) -> (B256, Result<(), SolverError>) {
    let cid = attacker
        .view(IEngine::generateIPFSCIDCall { content_: Bytes::copy_from_slice(input.as_bytes()) })
        .await
        .unwrap();
    let prevhash = attacker.view(IEngine::prevhashCall {}).await.unwrap();
    let fee = ONE_DML;
    let expected = dml_primitives::Task { model, fee, owner: owner.address(), blocktime: 0, version: 0, cid };
    let task = attacker
        .view(IEngine::hashTaskCall { o_: expected, sender_: owner.address(), prevhash_: prevhash })
        .await
        .unwrap();
    let commitment = attacker
        .view(IEngine::generateCommitmentCall { sender_: attacker.address(), taskid_: task, cid_: forged_cid() })
        .await
        .unwrap();
    let receipt =
        attacker.send_and_wait(IEngine::signalCommitmentCall { commitment_: commitment }, WAIT).await.unwrap();
    assert!(receipt.success);
    let (submitted, _) = submit_task(owner, model, fee, input.as_bytes()).await;
    assert_eq!(submitted, task, "nobody else submitted a task in between");
    let reveal = attacker.send_and_wait(IEngine::submitSolutionCall { taskid_: task, cid_: forged_cid() }, WAIT).await;
    let outcome = match reveal {
        Ok(receipt) => {
            assert!(receipt.success, "a mined reveal succeeded");
            Ok(())
        }
        Err(e) => Err(e),
    };
    (task, outcome)
}

fn refused_for_stake(outcome: Result<(), SolverError>) {
    match outcome {
        Err(SolverError::Revert(reason)) => assert!(reason.contains("min staked too low"), "{reason}"),
        other => panic!("the reveal was not refused for its stake: {other:?}"),
    }
}

async fn ended(reader: &ChainClient, task: B256) -> Option<IEngine::ContestationResolved> {
    let head = reader.block_number().await.unwrap();
    reader
        .logs(0, head)
        .await
        .unwrap()
        .iter()
        .filter_map(|l| IEngine::ContestationResolved::decode_log_data(l.data()).ok())
        .find(|e| e.task == task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unstaked_or_withdrawing_cheats_are_refused_or_lose_exactly_the_slash() {
    if !weights_present() {
        return;
    }
    let started = std::time::Instant::now();
    // Where the time goes, shown with the test's output when it fails.
    let step = |what: &str| eprintln!("[{:>5.1} s] {what}", started.elapsed().as_secs_f64());
    let mut net =
        Devnet::start(&["--solvers", "2", "--claim-window", "8", "--vote-period", "6", "--withdraw-unlock", "2"]);
    let solvers: Vec<Address> = net.solvers().into_iter().map(|(a, _)| a).collect();
    let reader = net.client(0).await;
    let owner = net.client(9).await;
    let unstaked = net.client(7).await;
    let withdrawing = net.client(8).await;
    let model = net.model_id("textgenrnn");
    eventually(WAIT, "the solvers' stakes", || async {
        for solver in &solvers {
            if reader.view(IEngine::validatorsCall { addr: *solver }).await.unwrap().staked.is_zero() {
                return None;
            }
        }
        Some(())
    })
    .await;
    step("solvers staked");
    let slash = reader.view(IEngine::getSlashAmountCall {}).await.unwrap();
    assert!(!slash.is_zero(), "the slash is live from genesis");
    assert_eq!(reader.view(IEngine::getValidatorMinimumCall {}).await.unwrap(), U256::ZERO);
    assert!(slash < U256::from(2) * ONE_DML, "the attack below keeps 2 DML free for one slash");
    let unstaked_before = holdings(&reader, unstaked.address()).await;
    let withdrawing_before = holdings(&reader, withdrawing.address()).await;

    // The second attacker stakes 20 DML and queues all of it (18 + 2), then
    // waits out the unlock.
    let stake = U256::from(20) * ONE_DML;
    let me = withdrawing.address();
    withdrawing.send_and_wait(IEngine::validatorDepositCall { validator_: me, amount_: stake }, WAIT).await.unwrap();
    let most = stake - U256::from(2) * ONE_DML;
    withdrawing.send_and_wait(IEngine::initiateValidatorWithdrawCall { amount_: most }, WAIT).await.unwrap();
    let rest = U256::from(2) * ONE_DML;
    withdrawing.send_and_wait(IEngine::initiateValidatorWithdrawCall { amount_: rest }, WAIT).await.unwrap();
    let unlock = reader.view(IEngine::exitValidatorMinUnlockTimeCall {}).await.unwrap();
    assert_eq!(unlock, U256::from(2));
    tokio::time::sleep(Duration::from_secs(3)).await;

    step("stake queued and unlocked");
    // Attack 1: no stake at all.
    let (first, outcome) = front_run(&unstaked, &owner, model, r#"{"prompt":"one","max_length":20}"#).await;
    refused_for_stake(outcome);
    // Attack 2: the whole stake queued for withdrawal.
    let (second, outcome) = front_run(&withdrawing, &owner, model, r#"{"prompt":"two","max_length":20}"#).await;
    refused_for_stake(outcome);

    // Attack 3: 2 DML left free covers one slash, so the wrong solution is
    // accepted, and the queued 18 DML are withdrawn in the next block. The
    // slash stays escrowed.
    withdrawing.send_and_wait(IEngine::cancelValidatorWithdrawCall { count_: U256::from(2) }, WAIT).await.unwrap();
    let (third, outcome) = front_run(&withdrawing, &owner, model, r#"{"prompt":"three","max_length":20}"#).await;
    outcome.expect("a reveal covered by free stake is accepted");
    step("attacks sent");
    let escrowed = reader.view(IEngine::contestationsCall { taskid: third }).await.unwrap().slashAmount;
    assert!(escrowed >= slash, "the solution escrowed the slash of its block");
    let receipt = withdrawing
        .send_and_wait(IEngine::validatorWithdrawCall { count_: U256::from(1), to_: me }, WAIT)
        .await
        .unwrap();
    assert!(receipt.success);
    let left = reader.view(IEngine::validatorsCall { addr: me }).await.unwrap().staked;
    assert_eq!(left, rest - escrowed, "the withdrawal took only the free stake");

    // The honest solvers rerun the third task, contest and outvote it; the
    // first two they solve and claim.
    let resolved =
        eventually(Duration::from_secs(120), "the contestation of the third task", || ended(&reader, third)).await;
    step("contestation resolved");
    assert!(resolved.contestationWon, "the honest solvers outvote the cheat");
    assert_eq!((resolved.yeas, resolved.nays), (U256::from(2), U256::from(1)));
    for task in [first, second] {
        eventually(Duration::from_secs(120), "an honest claim of a refused attacker's task", || async {
            let solution = reader.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
            solution.claimed.then_some(solution.validator)
        })
        .await;
        let solution = reader.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        assert!(solvers.contains(&solution.validator), "{task} was solved by an honest solver");
    }
    step("refused attackers' tasks claimed");
    assert_eq!(holdings(&reader, unstaked.address()).await, unstaked_before, "refused: nothing gained or lost");
    assert_eq!(
        holdings(&reader, me).await,
        withdrawing_before - escrowed,
        "the cheat lost exactly its solution's slash"
    );
    net.proc.terminate();
}
