//! Delegated stake through the real `dml` binary against a real `dml node`
//! and `dml content serve`: `dml stake` delegates, undelegates, withdraws,
//! claims and shows positions and pools with exact amounts, and every
//! refusal says why and exits non-zero. The solver of the rewarded task is
//! played with alloy (commit, reveal, claim). A real `dml solver` sets its
//! commission and closes its pool as configured, and a raise within the
//! cooldown is refused without stopping it.
//!
//! The genesis keeps the engine's delegation defaults (unbonding 1 day,
//! commission cooldown 7 days, cap 10× the solver's own stake); the tests
//! move the chain's clock with `evm_increaseTime`.

mod client_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::SolEvent;
use client_support::*;
use dml_primitives::{IEngine, ONE_DML, WAD};
use serde_json::Value;

fn format(amount: U256) -> String {
    let whole = amount / ONE_DML;
    let fraction = format!("{:018}", (amount % ONE_DML).to::<u128>());
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// The events `E` the engine emitted for `task`.
async fn task_events<E: SolEvent>(net: &Network, task: B256) -> Vec<E> {
    let filter = Filter::new().address(net.engine).event_signature(E::SIGNATURE_HASH).topic1(task).from_block(0);
    let logs = net.provider(0).get_logs(&filter).await.unwrap();
    logs.iter().map(|log| E::decode_log_data(log.data()).unwrap()).collect()
}

async fn latest_timestamp(net: &Network) -> u64 {
    let block = net.provider(0).get_block_by_number(Default::default()).await.unwrap().unwrap();
    block.header.timestamp
}

/// Runs a `dml` command that must fail; checks its stderr holds every one of `expected`.
fn refused(net: &Network, args: &[&str], expected: &[&str]) -> String {
    let stderr = net.fails(args);
    for part in expected {
        assert!(stderr.contains(part), "`dml {}` should say {part:?}; it said:\n{stderr}", args.join(" "));
    }
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegations_round_trip_with_exact_amounts_and_clear_refusals() {
    let net = Network::start();
    register(&net, &textgenrnn_template(), "0");
    let solver = dev_key(1).address();
    let solver_text = solver.to_string();
    let (delegator, stranger) = (dev_key(2).address(), dev_key(3).address());
    net.ok(&["validator", "deposit", "10", "--dev-account", "1"]);

    // Nobody but a solver takes delegations; nothing was moved.
    refused(
        &net,
        &["stake", "delegate", &stranger.to_string(), "5", "--dev-account", "2"],
        &["delegate refused: ", "is not a solver"],
    );
    assert_eq!(net.json(&["balance", "--dev-account", "2"])["dml"], "1000");

    // The solver sets 10 % while its pool is empty: at once. Any change
    // within the cooldown after it is refused, with when it is allowed.
    let set = net.json(&["stake", "commission", "10%", "--dev-account", "1"]);
    assert_eq!((&set["commission_percent"], &set["scheduled"]), (&"10".into(), &false.into()), "{set}");
    refused(
        &net,
        &["stake", "commission", "20", "--dev-account", "1"],
        &["commission refused: commission changed within the cooldown", "the next is allowed"],
    );
    refused(&net, &["stake", "commission", "60%", "--dev-account", "1"], &["above the maximum", "at most 50%"]);
    refused(&net, &["stake", "commission", "5%", "--dev-account", "3"], &["is not a solver"]);

    // Delegate 100 DML.
    let delegated = net.json(&["stake", "delegate", &solver_text, "100", "--dev-account", "2"]);
    assert_eq!(
        (&delegated["amount"], &delegated["shares"], &delegated["stake"], &delegated["rewards_paid"]),
        (&"100".into(), &"100".into(), &"100".into(), &"0".into()),
        "{delegated}"
    );
    assert_eq!(net.json(&["balance", "--dev-account", "2"])["dml"], "900");
    refused(
        &net,
        &["stake", "delegate", &solver_text, "0.0001", "--dev-account", "4"],
        &["delegation below the minimum of 0.001 DML"],
    );
    let status = net.json(&["stake", "status", &delegator.to_string()]);
    let pools = status["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 1, "{status}");
    assert_eq!(pools[0]["solver"].as_str().unwrap().parse::<Address>().unwrap(), solver);
    assert_eq!((&pools[0]["stake"], &pools[0]["pending_rewards"]), (&"100".into(), &"0".into()));
    assert_eq!(pools[0]["requests"], serde_json::json!([]));

    // A paid task: the solver keeps 10 % and its own stake's part; the
    // counted delegation's part (rounded up) goes to the pool.
    let task =
        net.ok(&["task", "submit", "--model", "textgenrnn", "--input", "{}", "--fee", "2", "--dev-account", "0"]);
    let task: B256 = task.trim().parse().unwrap();
    net.solve(1, task, b"an honest answer").await;
    net.advance_time(WINDOW + 1).await;
    claim(&net, 1, task).await;
    // A model registered by hand has no reward rate: the fee is all it earns.
    assert!(task_events::<IEngine::RewardsMinted>(&net, task).await.is_empty());
    let fee_share = net.view(IEngine::solutionFeePercentageCall {}).await;
    let earned = dml_units("2") * (WAD - fee_share) / WAD;
    let credited = task_events::<IEngine::DelegationRewards>(&net, task).await.remove(0);
    let commission = earned / U256::from(10);
    assert_eq!(credited.commission, commission);
    let (own, counted) = (dml_units("10"), dml_units("100"));
    let to_pool = ((earned - commission) * counted).div_ceil(own + counted);
    assert_eq!(credited.pool, to_pool, "the pool's part of {earned}");
    // The reward accumulator's floor, as the engine keeps it (2^96 scale).
    let shares = dml_units("100");
    let pending = (shares * ((to_pool << 96) / shares)) >> 96;
    assert!(pending <= to_pool && to_pool - pending <= U256::from(1), "at most a wei of dust stays");
    let status = net.json(&["stake", "status", "--dev-account", "2"]);
    assert_eq!(status["pools"][0]["pending_rewards"], format(pending), "{status}");

    let listed = net.json(&["stake", "pools", "--blocks", "50"]);
    let row = listed["pools"].as_array().unwrap().iter().find(|p| p["solver"] == solver_text.to_lowercase()).unwrap();
    assert_eq!(
        (&row["commission_percent"], &row["own_stake"], &row["delegated_stake"], &row["counted_stake"]),
        (&"10".into(), &"10".into(), &"100".into(), &"100".into()),
        "{row}"
    );
    assert_eq!(row["accepts_delegations"], true);
    assert_eq!(row["next_commission_percent"], Value::Null);
    assert_eq!(
        (&row["earned"]["commission"], &row["earned"]["pool"], &row["earned"]["claims"]),
        (&format(commission).into(), &format(to_pool).into(), &1.into())
    );
    let text = net.ok(&["stake", "pools", "--blocks", "50"]);
    assert!(text.contains(&solver_text) && text.contains("10%"), "{text}");

    // Claim: exactly the pending rewards.
    let claimed = net.json(&["stake", "claim", "--dev-account", "2"]);
    assert_eq!(claimed["total"], format(pending), "{claimed}");
    let balance = dml_units("900") + pending;
    assert_eq!(net.json(&["balance", "--dev-account", "2"])["dml"], format(balance));
    assert_eq!(net.json(&["stake", "claim", "--dev-account", "2"])["total"], "0", "nothing left to claim");

    // Undelegate: more than delegated is refused; 40 starts unbonding for a day.
    refused(
        &net,
        &["stake", "undelegate", &solver_text, "100.5", "--dev-account", "2"],
        &["amount exceeds delegated stake", "100.5 DML asked, 100 DML delegated to"],
    );
    refused(&net, &["stake", "undelegate", &solver_text, "all", "--dev-account", "4"], &["has nothing delegated"]);
    let undelegated = net.json(&["stake", "undelegate", &solver_text, "40", "--dev-account", "2"]);
    assert_eq!(
        (&undelegated["amount"], &undelegated["index"], &undelegated["stake"]),
        (&"40".into(), &"0".into(), &"60".into()),
        "{undelegated}"
    );
    let unbonding = net.view(IEngine::delegationUnbondingTimeCall {}).await.to::<u64>();
    assert_eq!(undelegated["unlock_time"].as_u64().unwrap(), latest_timestamp(&net).await + unbonding);
    let status = net.json(&["stake", "status", "--dev-account", "2"]);
    let pool = &status["pools"][0];
    assert_eq!((&pool["stake"], &pool["unbonding"], &pool["withdrawable"]), (&"60".into(), &"40".into(), &"0".into()));
    let request = &pool["requests"][0];
    assert_eq!((&request["amount"], &request["withdrawable"]), (&"40".into(), &false.into()), "{request}");
    assert!(request["seconds_left"].as_u64().unwrap() > unbonding - 60, "{request}");
    let text = net.ok(&["stake", "status", "--dev-account", "2"]);
    assert!(text.contains("request 0") && text.contains("40 DML, unlocks"), "{text}");

    // Withdrawing before the unlock is refused, with or without --solver.
    refused(
        &net,
        &["stake", "withdraw", "--dev-account", "2"],
        &["withdraw refused: unbonding not finished", "unlocks"],
    );
    refused(
        &net,
        &["stake", "withdraw", "--solver", &solver_text, "--dev-account", "2"],
        &["unbonding not finished in", "(40 DML)"],
    );
    net.advance_time(unbonding + 1).await;
    let status = net.json(&["stake", "status", "--dev-account", "2"]);
    assert_eq!(status["pools"][0]["requests"][0]["withdrawable"], true, "{status}");
    assert!(net.ok(&["stake", "status", "--dev-account", "2"]).contains("40 DML, withdrawable"));
    let withdrawn = net.json(&["stake", "withdraw", "--dev-account", "2"]);
    assert_eq!(withdrawn["total"], "40", "{withdrawn}");
    assert_eq!(withdrawn["withdrawn"][0]["solver"], solver_text.to_lowercase());
    assert_eq!(net.json(&["balance", "--dev-account", "2"])["dml"], format(balance + dml_units("40")));

    // The last of it: the last delegator out also takes the pool's dust.
    let rest = net.json(&["stake", "undelegate", &solver_text, "all", "--dev-account", "2"]);
    assert_eq!((&rest["amount"], &rest["stake"]), (&"60".into(), &"0".into()), "{rest}");
    assert_eq!(rest["rewards_paid"], format(to_pool - pending), "the dust");
    net.advance_time(unbonding + 1).await;
    let withdrawn = net.json(&["stake", "withdraw", "--solver", &solver_text, "--dev-account", "2"]);
    assert_eq!(withdrawn["total"], "60");
    assert_eq!(
        net.json(&["balance", "--dev-account", "2"])["dml"],
        format(dml_units("1000") + to_pool),
        "everything back, and every wei the pool was credited"
    );
    assert_eq!(net.json(&["stake", "status", "--dev-account", "2"])["pools"], serde_json::json!([]));
    refused(&net, &["stake", "withdraw", "--dev-account", "2"], &["withdraw refused: no unbonding requests"]);
    assert!(net.ok(&["stake", "status", "--dev-account", "2"]).contains("has no delegated stake"));

    // A closed pool refuses new delegations.
    assert_eq!(net.json(&["stake", "accept", "off", "--dev-account", "1"])["accepts_delegations"], false);
    refused(&net, &["stake", "delegate", &solver_text, "1", "--dev-account", "2"], &["does not accept delegations"]);
    net.ok(&["stake", "accept", "on", "--dev-account", "1"]);
    assert_eq!(net.json(&["stake", "delegate", &solver_text, "1", "--dev-account", "2"])["stake"], "1");

    // With a delegator in the pool, a raise after the cooldown is scheduled
    // a cooldown ahead, and the pools show it coming.
    let cooldown = net.view(IEngine::delegationCommissionCooldownCall {}).await.to::<u64>();
    net.advance_time(cooldown + 1).await;
    let raised = net.json(&["stake", "commission", "20%", "--dev-account", "1"]);
    assert_eq!((&raised["commission_percent"], &raised["scheduled"]), (&"20".into(), &true.into()), "{raised}");
    let effective = raised["effective_time"].as_u64().unwrap();
    assert_eq!(effective, latest_timestamp(&net).await + cooldown);
    let listed = net.json(&["stake", "pools"]);
    let row = listed["pools"].as_array().unwrap().iter().find(|p| p["solver"] == solver_text.to_lowercase()).unwrap();
    assert_eq!((&row["commission_percent"], &row["next_commission_percent"]), (&"10".into(), &"20".into()), "{row}");
    assert_eq!(row["next_commission_time"].as_u64(), Some(effective));
    assert!(net.ok(&["stake", "pools"]).contains("commission becomes 20%"));
}

/// Starts `dml solver` for dev account 4 on `model`, logging to `log`.
fn start_solver(
    net: &Network,
    model: B256,
    data_dir: &std::path::Path,
    extra: &[&str],
    log: &std::path::Path,
) -> Guard {
    let key = alloy_primitives::hex::encode_prefixed(dev_key(4).to_bytes());
    let mut command = net.command(&["solver", "--data-dir", data_dir.to_str().unwrap(), "--model", &model.to_string()]);
    command
        .args(["--stake", "10000000000000000000"])
        .args(extra)
        .env("DML_PRIVATE_KEY", key)
        // The command's home is the test's; the weights are where this process finds them.
        .env("DML_WEIGHTS_DIR", dml_models::builtin::default_weights_dir())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap());
    Guard(command.spawn().expect("dml solver starts"))
}

/// Polls `check` until it returns `Some`; after a minute fails with the solver's log.
async fn eventually<T, F, Fut>(what: &str, log: &std::path::Path, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!("timed out waiting for {what}; the solver's log:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solver_sets_its_configured_terms_and_survives_a_refused_raise() {
    let weights = dml_models::builtin::default_weights_dir();
    if !weights.join("textgenrnn").exists() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("model weights missing in {} (run bash scripts/setup/models.sh)", weights.display());
        }
        eprintln!("skipping: model weights missing in {}", weights.display());
        return;
    }
    let net = Network::start();
    let model = register(&net, &textgenrnn_template(), "0");
    let solver = dev_key(4).address();
    let data_dir = net.dir.path().join("solver");
    let log = net.dir.path().join("solver.log");
    let port = free_port();
    let metrics_url = format!("http://127.0.0.1:{port}/metrics");
    let metrics_addr = format!("127.0.0.1:{port}");

    // First start: 5 %, closed. The pool is empty, so the commission applies at once.
    let mut first = start_solver(
        &net,
        model,
        &data_dir,
        &["--commission", "5%", "--accept-delegations", "false", "--metrics-addr", &metrics_addr],
        &log,
    );
    let five = U256::from(5u64) * WAD / U256::from(100u64);
    eventually("the solver's terms on chain", &log, || async {
        let pool = net.view(IEngine::delegationPoolCall { solver }).await;
        (pool.commission == five && !pool.acceptsDelegations).then_some(())
    })
    .await;
    let label = format!("solver=\"{solver:#x}\"");
    eventually("the commission gauge", &log, || async {
        let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
        text.contains(&format!("dml_solver_delegation_commission{{{label}}} 0.05")).then_some(())
    })
    .await;
    let text = reqwest::get(&metrics_url).await.unwrap().text().await.unwrap();
    let sent = format!("dml_solver_transactions_sent_total{{{label},action=\"delegation_terms\"}} 2");
    assert!(text.contains(&sent), "one call per change: {text}");
    refused(
        &net,
        &["stake", "delegate", &solver.to_string(), "1", "--dev-account", "2"],
        &["does not accept delegations"],
    );
    assert_eq!(first.0.try_wait().unwrap(), None, "the solver runs");
    let _ = first.0.kill();
    let _ = first.0.wait();

    // Restarted with a raise to 8 % within the cooldown: refused, logged,
    // and the solver runs on under 5 % (and opens its pool, which it may).
    let mut second =
        start_solver(&net, model, &data_dir, &["--commission", "8%", "--metrics-addr", &metrics_addr], &log);
    eventually("the pool opened by the restarted solver", &log, || async {
        net.view(IEngine::delegationPoolCall { solver }).await.acceptsDelegations.then_some(())
    })
    .await;
    eventually("the refusal in the log", &log, || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("commission changed within the cooldown").then_some(())
    })
    .await;
    let logged = std::fs::read_to_string(&log).unwrap();
    let line = logged.lines().find(|l| l.contains("commission changed within the cooldown")).unwrap();
    assert!(line.contains("WARN") && line.contains("set the commission to 8%"), "{line}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(second.0.try_wait().unwrap(), None, "a refused raise does not stop the solver");
    let pool = net.view(IEngine::delegationPoolCall { solver }).await;
    assert_eq!((pool.commission, pool.nextCommissionTime), (five, U256::ZERO), "still 5 %, nothing scheduled");
    let text = reqwest::get(&metrics_url).await.unwrap().text().await.unwrap();
    assert!(text.contains(&format!("dml_solver_delegation_commission{{{label}}} 0.05")), "{text}");
}

#[test]
fn every_stake_command_has_help_with_the_common_options() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["delegate", "undelegate", "withdraw", "claim", "status", "pools", "commission", "accept"] {
        let args = ["stake", command, "--help"];
        let help = expect_ok(isolated_command(dir.path()).args(args).output().unwrap(), &args);
        for option in ["--rpc-url", "--account", "--dev-account", "--config", "--json"] {
            assert!(help.contains(option), "`dml stake {command} --help` lacks {option}");
        }
    }
    let help = expect_ok(isolated_command(dir.path()).args(["stake", "--help"]).output().unwrap(), &["stake"]);
    assert!(help.contains("pools") && help.contains("undelegate"), "{help}");
    let bad = isolated_command(dir.path()).args(["stake", "commission", "five"]).output().unwrap();
    let stderr = expect_failure(bad, &["stake", "commission", "five"]);
    assert!(stderr.contains("is not a percentage like 5% or 12.5%"), "{stderr}");
}
