//! The whole network through the real binaries: `dml devnet` in one
//! process, `dml task submit --wait` in another, the gateway over HTTP, and
//! a malicious solver contested, outvoted and slashed.
//!
//! Needs the built-in model weights (`bash scripts/setup/models.sh`).

mod devnet_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use devnet_support::*;
use dml_primitives::{task_seed, IEngine, ONE_DML, WAD};

fn dml(amount_milli: u64) -> U256 {
    U256::from(amount_milli) * ONE_DML / U256::from(1000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_from_a_second_terminal_is_answered_and_served_by_the_gateway() {
    if !weights_present() {
        return;
    }
    let mut net = Devnet::start(&["--claim-window", "3", "--vote-period", "3"]);
    assert_eq!(net.solvers().len(), 3, "three solvers by default");
    let reader = net.client(0).await;
    let delegators = assert_seeded_delegations(&net, &reader).await;
    let input = r#"{"prompt":"The network","max_length":40,"temperature":0.5}"#;

    // The second terminal: submit and wait for the output.
    let submitted = net.dml(9, &["task", "submit", "--model", "textgenrnn", "--input", input, "--wait"]);
    assert_ok(&submitted, "dml task submit --wait");
    let printed = submitted.stdout.clone();

    // Which task it was: the owner's only TaskSubmitted log.
    let client = net.client(9).await;
    let head = client.block_number().await.unwrap();
    let logs = client.logs(0, head).await.unwrap();
    let tasks: Vec<IEngine::TaskSubmitted> = logs
        .iter()
        .filter_map(|log| IEngine::TaskSubmitted::decode_log_data(log.data()).ok())
        .filter(|event| event.sender == net.address(9))
        .collect();
    assert_eq!(tasks.len(), 1);
    let task = tasks[0].id;

    // The bytes equal what `dml model run` writes for that input and seed.
    let local = std::process::Command::new(DML)
        .args(["model", "run", "textgenrnn", "--input", input, "--seed", &task_seed(task).to_string()])
        .output()
        .unwrap();
    assert_ok(&local, "dml model run");
    assert_eq!(printed, local.stdout, "the network's answer is the model's output for the task seed");

    // The solution CID is the `ipfs add` CID of those bytes, served by the gateway.
    let solution = client.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
    let cid = dml_content::Cid::from_bytes(&solution.cid).unwrap();
    assert_eq!(cid, dml_content::cid_v0(&local.stdout));
    let url = format!("{}/ipfs/{cid}", net.str("gateway_url"));
    let served = reqwest::get(&url).await.unwrap();
    assert!(served.status().is_success(), "{url}: {}", served.status());
    assert_eq!(served.bytes().await.unwrap().as_ref(), local.stdout.as_slice());

    // The input and the template are served by the CIDs the engine stores.
    let record = client.view(IEngine::tasksCall { taskid: task }).await.unwrap();
    let input_cid = dml_content::Cid::from_bytes(&record.cid).unwrap();
    let served_input = reqwest::get(format!("{}/ipfs/{input_cid}", net.str("gateway_url"))).await.unwrap();
    assert_eq!(served_input.bytes().await.unwrap().as_ref(), input.as_bytes());
    let model = client.view(IEngine::modelsCall { model: net.model_id("textgenrnn") }).await.unwrap();
    let template_cid = dml_content::Cid::from_bytes(&model.cid).unwrap();
    let template = reqwest::get(format!("{}/ipfs/{template_cid}", net.str("gateway_url"))).await.unwrap();
    assert!(template.status().is_success());

    // After the claim window the solver claims: the task is paid.
    let paid = eventually(Duration::from_secs(60), "the claim", || async {
        let s = client.view(IEngine::solutionsCall { taskid: task }).await.unwrap();
        s.claimed.then_some(s.validator)
    })
    .await;
    assert!(net.solvers().iter().any(|(a, _)| *a == paid));
    assert!(net.proc.child.id() > 0);

    // The devnet's indexer has it: the task claimed by the paid solver, and
    // every built-in model with its task count.
    let indexer = net.str("indexer_url");
    let indexed = eventually(Duration::from_secs(30), "the indexer's record of the claim", || async {
        let body: serde_json::Value =
            reqwest::get(format!("{indexer}/api/v1/tasks/{task:#x}")).await.ok()?.json().await.ok()?;
        (body["task"]["status"] == "claimed").then_some(body)
    })
    .await;
    assert_eq!(indexed["task"]["solver"], format!("{paid:#x}"), "{indexed}");
    assert_eq!(indexed["task"]["owner"], format!("{:#x}", net.address(9)));
    let models: serde_json::Value =
        reqwest::get(format!("{indexer}/api/v1/models")).await.unwrap().json().await.unwrap();
    let textgenrnn = format!("{:#x}", net.model_id("textgenrnn"));
    let listed = models.as_array().unwrap().iter().find(|m| m["id"] == textgenrnn).expect("textgenrnn indexed");
    assert!(listed["tasks"].as_u64() >= Some(1), "{listed}");
    for name in dml_models::builtin::BUILTIN_MODEL_NAMES {
        let id = format!("{:#x}", net.model_id(name));
        assert!(models.as_array().unwrap().iter().any(|m| m["id"] == id), "{name} not in {models}");
    }

    // The claim credited the paid solver's pool: both delegators have
    // rewards pending there, as the engine and `dml stake status` say, and
    // the solver's metrics count what it credited.
    let credited: U256 = reader
        .logs_with(0, reader.block_number().await.unwrap(), Some(vec![IEngine::DelegationRewards::SIGNATURE_HASH]))
        .await
        .unwrap()
        .iter()
        .filter_map(|log| IEngine::DelegationRewards::decode_log_data(log.data()).ok())
        .filter(|e| e.task == task && e.solver == paid)
        .map(|e| e.pool)
        .sum();
    assert!(!credited.is_zero(), "the claim credited the pool");
    for (account, delegator) in &delegators {
        let position = reader.view(IEngine::delegationCall { delegator: *delegator, solver: paid }).await.unwrap();
        assert!(!position.pendingRewards.is_zero(), "delegator {delegator} earned from {paid}'s claim");
        let status = net.dml(*account, &["stake", "status", "--json"]);
        assert_ok(&status, "dml stake status");
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        let pool = status["pools"].as_array().unwrap().iter().find(|p| p["solver"] == format!("{paid:#x}")).unwrap();
        assert_ne!(pool["pending_rewards"], "0", "{status}");
    }
    let metrics_url = net.str("metrics_url");
    let line = eventually(Duration::from_secs(30), "the solver's delegator-rewards metric", || async {
        let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
        let prefix = format!("dml_solver_delegator_rewards_total{{solver=\"{paid:#x}\"}} ");
        text.lines().find(|l| l.starts_with(&prefix)).filter(|l| !l.ends_with(" 0")).map(str::to_owned)
    })
    .await;
    let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(value > 0.0, "{line}");
    net.proc.terminate();
}

/// Checks what the devnet's `--json` says it delegated (two dev accounts,
/// 50 DML each to every solver at a 10 % commission) against the engine;
/// returns the delegators with their account numbers.
async fn assert_seeded_delegations(net: &Devnet, reader: &dml_solver::chain::ChainClient) -> Vec<(usize, Address)> {
    let delegators: Vec<Address> =
        net.info["delegators"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(delegators, [net.address(8), net.address(7)], "accounts 8 and 7 delegate by default");
    let pools = net.info["pools"].as_array().unwrap();
    assert_eq!(pools.len(), net.solvers().len());
    for ((solver, _), pool) in net.solvers().iter().zip(pools) {
        assert_eq!(pool["solver"].as_str().unwrap().parse::<Address>().unwrap(), *solver);
        assert_eq!(pool["commission_percent"], "10");
        assert_eq!((&pool["delegated_stake"], &pool["counted_stake"]), (&"100".into(), &"100".into()), "{pool}");
        assert_eq!(pool["delegations"].as_array().unwrap().len(), 2);
        let on_chain = reader.view(IEngine::delegationPoolCall { solver: *solver }).await.unwrap();
        assert_eq!((on_chain.stake, on_chain.commission), (dml(100_000), WAD / U256::from(10)));
        for delegator in &delegators {
            let position =
                reader.view(IEngine::delegationCall { delegator: *delegator, solver: *solver }).await.unwrap();
            assert_eq!(position.stake, dml(50_000), "{delegator} in {solver}'s pool");
        }
    }
    vec![(8, delegators[0]), (7, delegators[1])]
}

/// What the engine's rules pay out, recomputed from the logs.
#[derive(Default, Debug)]
struct Expected {
    /// Change of balance + stake per solver.
    delta: BTreeMap<Address, i128>,
}

impl Expected {
    fn add(&mut self, who: Address, amount: U256) {
        *self.delta.entry(who).or_default() += amount.to::<u128>() as i128;
    }
    fn sub(&mut self, who: Address, amount: U256) {
        *self.delta.entry(who).or_default() -= amount.to::<u128>() as i128;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malicious_solver_is_contested_outvoted_and_slashed() {
    if !weights_present() {
        return;
    }
    let mut net = Devnet::start(&["--malicious", "1", "--claim-window", "8", "--vote-period", "6"]);
    let solvers = net.solvers();
    let cheat = solvers.iter().find(|(_, m)| *m).unwrap().0;
    let honest: Vec<Address> = solvers.iter().filter(|(_, m)| !*m).map(|(a, _)| *a).collect();
    assert_eq!(honest.len(), 2);
    let owner = net.client(9).await;
    let reader = net.client(0).await;

    // Every solver has staked before the first task.
    eventually(Duration::from_secs(30), "the solvers' stakes", || async {
        for (solver, _) in &solvers {
            if reader.view(IEngine::validatorsCall { addr: *solver }).await.unwrap().staked.is_zero() {
                return None;
            }
        }
        Some(())
    })
    .await;
    let mut before = BTreeMap::new();
    for who in solvers.iter().map(|(a, _)| *a).chain([net.address(9)]) {
        before.insert(who, holdings(&reader, who).await);
    }
    let start_block = reader.block_number().await.unwrap() + 1;

    // Four paid tasks; textgenrnn with 300 characters takes the honest
    // solvers long enough that the cheat (who runs nothing) reveals first.
    let model = net.model_id("textgenrnn");
    let fee = dml(500);
    let mut tasks = Vec::new();
    for i in 0..4 {
        let input = format!(r#"{{"prompt":"Task number {i}","max_length":300}}"#);
        tasks.push(submit_task(&owner, model, fee, input.as_bytes()).await.0);
    }
    assert_eq!(tasks.len(), 4);

    // Wait for every task to end: claimed, or its contestation resolved.
    let ended: BTreeSet<B256> = eventually(Duration::from_secs(150), "every task to end", || async {
        let head = reader.block_number().await.unwrap();
        let mut ended = BTreeSet::new();
        for log in reader.logs(start_block, head).await.unwrap() {
            if let Ok(e) = IEngine::SolutionClaimed::decode_log_data(log.data()) {
                ended.insert(e.task);
            }
            if let Ok(e) = IEngine::ContestationResolved::decode_log_data(log.data()) {
                ended.insert(e.task);
            }
        }
        (ended.len() == tasks.len()).then_some(ended)
    })
    .await;
    assert_eq!(ended.len(), 4, "{}", net.log());
    // Let the last finish batches and claims land.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Recompute every payout from the engine's rules and the logs.
    let head = reader.block_number().await.unwrap();
    let all_logs = reader.logs_with(start_block, head, None).await.unwrap();
    let fee_pct = reader.view(IEngine::solutionFeePercentageCall {}).await.unwrap();
    let mut expected = Expected::default();
    // What each task paid whom, for the failure message.
    let mut trace = String::new();
    let mut cheat_tasks = 0;
    for task in &tasks {
        let solution = reader.view(IEngine::solutionsCall { taskid: *task }).await.unwrap();
        let contestation = reader.view(IEngine::contestationsCall { taskid: *task }).await.unwrap();
        let output_is_honest = solution.validator != cheat;
        if !output_is_honest {
            cheat_tasks += 1;
        }
        if contestation.validator.is_zero() {
            assert!(output_is_honest, "every forged solution is contested");
            assert!(solution.claimed);
            // Fee (model fee 0) less the treasury's share, plus the minted
            // reward, less what the claim credited the solver's delegators.
            let kept = fee * (U256::from(WAD) - fee_pct) / U256::from(WAD);
            expected.add(solution.validator, kept);
            let minted = all_logs
                .iter()
                .filter_map(|l| IEngine::RewardsMinted::decode_log_data(l.data()).ok())
                .find(|e| e.task == *task)
                .expect("rewards minted for a claimed task");
            expected.add(solution.validator, minted.solver);
            let credited = all_logs
                .iter()
                .filter_map(|l| IEngine::DelegationRewards::decode_log_data(l.data()).ok())
                .find(|e| e.task == *task)
                .expect("the seeded pool credited for a claimed task");
            assert_eq!(credited.solver, solution.validator);
            expected.sub(solution.validator, credited.pool);
            trace += &format!(
                "task {task}: claimed by {} (fee {kept}, reward {}, to its pool {})\n",
                solution.validator, minted.solver, credited.pool
            );
            continue;
        }
        // Contested: only forged solutions, contested by an honest solver.
        assert!(!output_is_honest, "an honest solution was contested");
        // The slash was fixed when the solution was submitted; the supply,
        // and with it the current slash, grows with every reward minted since.
        let slash = contestation.slashAmount;
        assert!(!slash.is_zero(), "slashing is live on the devnet");
        assert!(honest.contains(&contestation.validator));
        let mut yeas = vec![contestation.validator];
        let mut nays = vec![solution.validator];
        for vote in all_logs.iter().filter_map(|l| IEngine::ContestationVote::decode_log_data(l.data()).ok()) {
            if vote.task == *task && vote.addr != contestation.validator && vote.addr != solution.validator {
                if vote.yea {
                    yeas.push(vote.addr)
                } else {
                    nays.push(vote.addr)
                }
            }
        }
        assert!(!nays.iter().any(|n| honest.contains(n)), "no honest solver voted for a forged output");
        let resolved = all_logs
            .iter()
            .filter_map(|l| IEngine::ContestationResolved::decode_log_data(l.data()).ok())
            .find(|e| e.task == *task)
            .expect("resolved");
        assert!(resolved.contestationWon, "the honest majority wins");
        assert_eq!((resolved.yeas, resolved.nays), (U256::from(yeas.len()), U256::from(nays.len())));
        trace += &format!(
            "task {task}: contested by {}, yeas {yeas:?}, nays {nays:?}, slash {slash}\n",
            contestation.validator
        );
        // Losers lose one slash each; half the pot (rounded up) to the
        // contester, the rest shared by the other yeas.
        let pot = slash * U256::from(nays.len());
        for loser in &nays {
            expected.sub(*loser, slash);
        }
        if yeas.len() == 1 {
            expected.add(yeas[0], pot);
        } else {
            let first = pot - pot / U256::from(2);
            expected.add(yeas[0], first);
            let each = (pot - first) / U256::from(yeas.len() - 1);
            for other in &yeas[1..] {
                expected.add(*other, each);
            }
        }
        // The owner gets the whole fee back.
        expected.add(net.address(9), fee);
    }
    assert!(cheat_tasks >= 1, "the cheat won no race, so nothing was contested:\n{}", net.log());
    expected.sub(net.address(9), fee * U256::from(tasks.len()));
    eprint!("{trace}");

    for (who, was) in &before {
        let now = holdings(&reader, *who).await;
        let delta = now.to::<u128>() as i128 - was.to::<u128>() as i128;
        let want = expected.delta.get(who).copied().unwrap_or(0);
        assert_eq!(delta, want, "{who}: balance + stake changed by {delta}, the rules say {want}\n{trace}");
    }
    assert!(expected.delta[&cheat] < 0, "the cheat was slashed");
    for h in &honest {
        assert!(expected.delta.get(h).copied().unwrap_or(0) > 0, "honest solver {h} earned");
    }
    net.proc.terminate();
}

/// A burst of tasks in one transaction: every task is solved and claimed,
/// and no solver sends more than its commitment, reveal and claim per task.
/// (A burst once left tasks stuck: a commitment mined between the solver's
/// receipt and nonce reads was taken for a replaced transaction and never
/// revealed.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_tasks_is_all_solved_and_claimed() {
    if !weights_present() {
        return;
    }
    const BURST: usize = 60;
    let mut net = Devnet::start(&["--claim-window", "3"]);
    let solvers: Vec<Address> = net.solvers().into_iter().map(|(a, _)| a).collect();
    let owner = net.client(9).await;
    let reader = net.client(0).await;
    eventually(Duration::from_secs(30), "the solvers' stakes", || async {
        for solver in &solvers {
            if reader.view(IEngine::validatorsCall { addr: *solver }).await.unwrap().staked.is_zero() {
                return None;
            }
        }
        Some(())
    })
    .await;
    let mut solver_clients = Vec::new();
    for account in 1..=solvers.len() {
        let client = net.client(account).await;
        assert!(solvers.contains(&client.address()));
        let nonce = client.mined_nonce().await.unwrap();
        solver_clients.push((client, nonce));
    }

    let tasks = bulk_submit_tasks(
        &owner,
        net.model_id("textgenrnn"),
        dml(1),
        br#"{"prompt":"burst","max_length":2}"#,
        BURST,
        BURST,
    )
    .await;
    assert_eq!(tasks.len(), BURST);

    eventually(Duration::from_secs(240), "every task of the burst claimed", || async {
        for task in &tasks {
            if !reader.view(IEngine::solutionsCall { taskid: *task }).await.unwrap().claimed {
                return None;
            }
        }
        Some(())
    })
    .await;
    let mut sent = 0;
    for (client, before) in &solver_clients {
        sent += client.mined_nonce().await.unwrap() - before;
    }
    let most = 3 * (solvers.len() * BURST) as u64;
    assert!(sent <= most, "{sent} solver transactions for {BURST} tasks, more than {most}");
    net.proc.terminate();
}

/// The banner's "Try, in another terminal" commands work as printed: their
/// program is this very binary (nothing put `dml` on PATH), and with ports
/// moved they carry the URLs.
#[test]
fn the_commands_the_banner_suggests_work_as_printed() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port(), free_port()].map(|port| port.to_string());
    let args = ["devnet", "--solvers", "1", "--rpc-port", &ports[0], "--api-port", &ports[1]]
        .into_iter()
        .chain(["--gateway-port", &ports[2], "--metrics-port", "0", "--indexer-port", "0", "--app-port", "0"])
        .map(String::from)
        .collect::<Vec<_>>();
    let (mut proc, stdout) = spawn_devnet(dir.path(), &args);
    let mut lines = BufReader::new(stdout).lines().map(|line| line.unwrap());
    let banner: Vec<String> = lines.by_ref().take_while(|line| line != "Try, in another terminal:").collect();
    assert!(
        banner.iter().any(|line| line.starts_with("DML devnet is running")),
        "no banner: {banner:?}\n{}",
        std::fs::read_to_string(dir.path().join("devnet.log")).unwrap_or_default()
    );
    // `lines` stays open to the end: a devnet whose stdout is closed stops.
    let commands: Vec<String> = lines.by_ref().take(4).map(|line| line.trim_start().to_string()).collect();
    assert_eq!(commands.len(), 4, "{commands:?}");
    assert!(commands[1].contains("--model fashion-diffusion") && commands[1].ends_with("--out picture.png"));

    for command in &commands {
        // The program, as a shell reads the first word (a path in single
        // quotes, or a plain word).
        let program = match command.strip_prefix('\'') {
            Some(rest) => rest.split_once("' ").expect("a closing quote").0.replace(r"'\''", "'"),
            None => command.split_once(' ').unwrap().0.to_string(),
        };
        let path = if program.contains('/') {
            std::path::PathBuf::from(&program)
        } else {
            let paths = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&paths).map(|dir| dir.join(&program)).find(|p| p.is_file()).unwrap_or_default()
        };
        let mode = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{program} in `{command}`: {e}")).permissions();
        assert!(path.is_file() && mode.mode() & 0o111 != 0, "{} is not an executable file", path.display());
        // Every command names the moved RPC port; `task submit` all three.
        let needed = if command.contains(" task submit") { &ports[..] } else { &ports[..1] };
        for port in needed {
            assert!(command.contains(&format!("127.0.0.1:{port}")), "`{command}` lacks port {port}");
        }
    }

    // `model list` and `balance`, run by a shell exactly as printed.
    for command in commands.iter().filter(|c| c.contains(" model list") || c.contains(" balance")) {
        let output = Command::new("sh")
            .args(["-c", command])
            .env_remove("DML_CONFIG")
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_ok(&output, command);
        assert!(!output.stdout.is_empty(), "`{command}` printed nothing");
    }
    proc.terminate();
    drop(lines);
}
