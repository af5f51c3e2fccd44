//! `dml solver` killed with SIGKILL in each phase of a task — after the run,
//! after the commitment, after the reveal, just before the claim — and
//! restarted: every task is still claimed by it, its earnings are exactly
//! the engine's payout, and it sent each transaction once.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use alloy_sol_types::SolEvent;
use devnet_support::*;
use dml_primitives::{IEngine, ONE_DML, WAD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solver_killed_in_each_phase_loses_nothing_and_sends_nothing_twice() {
    if !weights_present() {
        return;
    }
    let mut net = Devnet::start(&["--solvers", "0", "--claim-window", "3", "--vote-period", "3"]);
    let model = net.model_id("textgenrnn");
    let me = net.address(5);
    let solver_client = net.client(5).await;
    let owner = net.client(9).await;
    let data_dir = net.dir.path().join("solver-5");
    let model_arg = model.to_string();
    let stake = (U256::from(10) * ONE_DML).to_string();
    let extra = ["--model", model_arg.as_str(), "--stake", stake.as_str()];

    let holdings_before = holdings(&solver_client, me).await;
    let nonce_before = solver_client.mined_nonce().await.unwrap();
    let fee = ONE_DML / U256::from(5);
    let fee_pct = solver_client.view(IEngine::solutionFeePercentageCall {}).await.unwrap();
    let mut expected = U256::ZERO;
    let points = ["after_run", "after_commit", "after_reveal", "before_claim"];

    for (round, point) in points.iter().enumerate() {
        let mut doomed = start_solver(&net, 5, &data_dir, &extra, Some(point));
        let input = format!(r#"{{"prompt":"Round {round}","max_length":30}}"#);
        let (task, submitted_in) = submit_task(&owner, model, fee, input.as_bytes()).await;

        // The failpoint kills the solver as `kill -9` would.
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = doomed.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "solver never reached failpoint {point}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL at {point}");

        // Restarted, it finishes the task.
        let mut solver = start_solver(&net, 5, &data_dir, &extra, None);
        let solution = eventually(Duration::from_secs(60), "the claim after the restart", || async {
            let s = owner.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
            s.claimed.then_some(s)
        })
        .await;
        assert_eq!(solution.validator, me, "round {round} ({point}): claimed by the restarted solver");
        assert!(solver.terminate().success(), "clean stop on SIGTERM");

        let head = owner.block_number().await.unwrap();
        let logs = owner.logs_with(submitted_in, head, None).await.unwrap();
        let minted = logs
            .iter()
            .filter_map(|l| IEngine::RewardsMinted::decode_log_data(l.data()).ok())
            .find(|e| e.task == task)
            .map_or(U256::ZERO, |e| e.solver);
        // The devnet's emission curve started 30 days ago: rewards are due.
        assert!(!minted.is_zero(), "round {round}: a reward was minted");
        expected += fee * (U256::from(WAD) - fee_pct) / U256::from(WAD) + minted;
    }

    // One stake deposit, then exactly commit + reveal + claim per task.
    let sent = solver_client.mined_nonce().await.unwrap() - nonce_before;
    assert_eq!(sent, 1 + 3 * points.len() as u64, "transactions sent by the solver");
    let earned = holdings(&solver_client, me).await - holdings_before;
    assert_eq!(earned, expected, "earnings are exactly the engine's payouts");
    net.proc.terminate();
}
