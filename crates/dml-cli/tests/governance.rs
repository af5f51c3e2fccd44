//! Governance through the real `dml` binary on a real `dml devnet`, whose
//! genesis deploys OpenZeppelin's Governor and TimelockController from their
//! committed bytecode: delegate, propose, vote, queue and execute with
//! `dml gov`, and check what the passed proposals changed on chain.
//!
//! The dev chain's clock is the wall clock, so the tests wait out the short
//! voting delays, periods and timelock delays they start the devnet with,
//! polling the governor's state; nothing asserts how long a step took. The
//! solver of the model registered here is played with alloy (commit, reveal,
//! claim), so no model runs and no weights are needed.

mod devnet_support;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use alloy_dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy_json_abi::Function;
use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolEvent};
use devnet_support::*;
use dml_governance::{IGovernor, ITimelockController, ProposalState};
use dml_primitives::{IDmlToken, IEngine, ONE_DML};
use dml_solver::chain::ChainClient;
use serde_json::Value;

/// How long one transaction may take to be mined.
const MINED: Duration = Duration::from_secs(30);
/// How long any one wait of the tests may take before it counts as hung.
const HUNG: Duration = Duration::from_secs(60);

fn dml(whole: u64) -> U256 {
    U256::from(whole) * ONE_DML
}

/// Prints where the test's time goes (shown with its output when it fails).
fn stepper() -> impl Fn(&str) {
    let started = Instant::now();
    move |what: &str| eprintln!("[{:>5.1} s] {what}", started.elapsed().as_secs_f64())
}

/// `dml gov …` against a devnet, and the governor read directly over JSON-RPC.
struct Gov<'a> {
    net: &'a Devnet,
    reader: ChainClient,
    governor: Address,
    timelock: Address,
}

impl<'a> Gov<'a> {
    async fn new(net: &'a Devnet) -> Gov<'a> {
        let reader = net.client(0).await;
        let governor: Address = net.str("governor").parse().unwrap();
        let timelock: Address = net.str("timelock").parse().unwrap();
        Gov { net, reader, governor, timelock }
    }

    fn run(&self, account: usize, args: &[&str]) -> Output {
        let mut full = vec!["gov"];
        full.extend_from_slice(args);
        self.net.dml(account, &full)
    }

    /// Runs `dml gov ARGS… --json` and parses what it printed.
    fn json(&self, account: usize, args: &[&str]) -> Value {
        let mut full = args.to_vec();
        full.push("--json");
        let output = self.run(account, &full);
        assert_ok(&output, &format!("dml gov {}", args.join(" ")));
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("dml gov {args:?}: not JSON ({e})"))
    }

    /// Runs a `dml gov` command that must be refused; returns its stderr,
    /// which must hold every one of `expected`.
    fn refused(&self, account: usize, args: &[&str], expected: &[&str]) -> String {
        refused(self.run(account, args), &format!("dml gov {}", args.join(" ")), expected)
    }

    /// Proposes as `account` and returns the proposal id the command printed.
    fn propose(&self, account: usize, actions: &[&str], description: &str) -> U256 {
        let mut args = vec!["propose", "--description", description];
        args.extend_from_slice(actions);
        let printed = self.json(account, &args);
        let id: U256 = printed["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(printed["id_hex"], B256::from(id).to_string());
        id
    }

    /// The governor's clock: the time a transaction sent now would see.
    async fn clock(&self) -> u64 {
        self.reader.token_view(IDmlToken::clockCall {}).await.unwrap().to::<u64>()
    }

    /// Waits until the clock is past `time`.
    async fn wait_past(&self, time: u64) {
        eventually(HUNG, &format!("the clock to pass {time}"), || async { (self.clock().await > time).then_some(()) })
            .await;
    }

    async fn state(&self, id: U256) -> ProposalState {
        let raw = self.reader.view_of(self.governor, IGovernor::stateCall { proposalId: id }).await.unwrap();
        ProposalState::from_u8(raw).unwrap()
    }

    async fn wait_state(&self, id: U256, state: ProposalState) {
        eventually(HUNG, &format!("proposal {id} to be {state}"), || async {
            let now = self.state(id).await;
            (now == state).then_some(())
        })
        .await;
    }

    async fn eta(&self, id: U256) -> u64 {
        self.reader.view_of(self.governor, IGovernor::proposalEtaCall { proposalId: id }).await.unwrap().to::<u64>()
    }
}

/// Asserts that a command failed and said each of `expected` on stderr.
fn refused(output: Output, what: &str, expected: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{what} should have been refused; it printed {}", stdout(&output));
    for part in expected {
        assert!(stderr.contains(part), "{what}: expected {part:?} in:\n{stderr}");
    }
    stderr
}

/// Why the chain refuses `from` calling `to` with `calldata`: the revert of
/// `eth_estimateGas`, decoded as the CLI decodes it.
async fn refusal(net: &Devnet, from: Address, to: Address, calldata: Vec<u8>) -> String {
    let provider = ProviderBuilder::new().connect_http(net.rpc_url().parse().unwrap());
    let request = TransactionRequest::default().with_from(from).with_to(to).with_input(Bytes::from(calldata));
    let error = provider.estimate_gas(request).await.expect_err("the call should revert");
    let data = error.as_error_resp().and_then(|payload| payload.as_revert_data()).expect("revert data");
    dml_governance::decode_revert(&data).unwrap_or_else(|| format!("undecoded revert {data}"))
}

/// Plays a solver: commits to `output`'s CID for `task`, then reveals it in
/// the next block.
async fn solve(solver: &ChainClient, task: B256, output: &[u8]) {
    let cid = Bytes::from(dml_content::cid_v0(output).to_bytes());
    let commitment = solver
        .view(IEngine::generateCommitmentCall { sender_: solver.address(), taskid_: task, cid_: cid.clone() })
        .await
        .unwrap();
    let committed = solver.send_and_wait(IEngine::signalCommitmentCall { commitment_: commitment }, MINED).await;
    assert!(committed.unwrap().success);
    let revealed = solver.send_and_wait(IEngine::submitSolutionCall { taskid_: task, cid_: cid }, MINED).await;
    assert!(revealed.unwrap().success);
}

/// Claims `task` once its claim window is over; returns the claim's block.
async fn claim(gov: &Gov<'_>, solver: &ChainClient, task: B256) -> u64 {
    let solved_at = solver.view(IEngine::solutionsCall { taskid: task }).await.unwrap().blocktime;
    let window = solver.view(IEngine::minClaimSolutionTimeCall {}).await.unwrap().to::<u64>();
    gov.wait_past(solved_at + window).await;
    let receipt = solver.send_and_wait(IEngine::claimSolutionCall { taskid_: task }, MINED).await.unwrap();
    assert!(receipt.success);
    receipt.block
}

/// The `RewardsMinted` of `task` in `block`, if it minted.
async fn minted(reader: &ChainClient, block: u64, task: B256) -> Option<IEngine::RewardsMinted> {
    let logs = reader.logs_with(block, block, None).await.unwrap();
    logs.iter().filter_map(|log| IEngine::RewardsMinted::decode_log_data(log.data()).ok()).find(|e| e.task == task)
}

fn write_template(dir: &Path) -> String {
    let template = dml_models::template::builtin_template("textgenrnn").unwrap();
    let path = dir.join("model.json");
    std::fs::write(&path, template.bytes).unwrap();
    path.display().to_string()
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_pass_fail_and_are_refused_through_the_cli() {
    let step = stepper();
    // Accounts 2..=9 each play a part below: none seeds delegations.
    let net = Devnet::start(&[
        "--solvers",
        "1",
        "--delegators",
        "0",
        "--voting-delay",
        "3",
        "--voting-period",
        "15",
        "--timelock-delay",
        "4",
        "--proposal-threshold",
        "100",
        "--claim-window",
        "2",
    ]);
    let gov = Gov::new(&net).await;
    let reader = &gov.reader;
    let engine = reader.engine();
    assert_eq!(reader.view(IEngine::ownerCall {}).await.unwrap(), gov.timelock, "the timelock owns the engine");
    assert_eq!(reader.view(IEngine::treasuryCall {}).await.unwrap(), gov.timelock, "the timelock is the treasury");
    let timelock_of = reader.view_of(gov.governor, IGovernor::timelockCall {}).await.unwrap();
    assert_eq!(timelock_of, gov.timelock);
    step("devnet up");

    // A new model, registered through the CLI with no reward rate.
    let registered = net.dml(3, &["model", "register", "--template", &write_template(net.dir.path()), "--json"]);
    assert_ok(&registered, "dml model register");
    let registered: Value = serde_json::from_slice(&registered.stdout).unwrap();
    let model: B256 = registered["id"].as_str().unwrap().parse().unwrap();
    assert!(reader.view(IEngine::modelsCall { model }).await.unwrap().rate.is_zero());

    // Votes: 2 and 4 delegate to themselves, 5 lends its votes to 4, and 6
    // keeps 100 DML (under 1 % of the 11,000 DML supply, 1,000 of which is in
    // the DML/WETH pair: below the 4 % quorum) and delegates.
    let (a2, a4, a5, a7, a9) = (net.address(2), net.address(4), net.address(5), net.address(7), net.address(9));
    assert_ok(&net.dml(6, &["transfer", &a9.to_string(), "900"]), "dml transfer");
    assert_eq!(gov.json(2, &["delegate"])["votes"], "1000");
    assert_eq!(gov.json(4, &["delegate"])["votes"], "1000");
    let lent = gov.json(5, &["delegate", &a4.to_string()]);
    assert_eq!(lent["delegate"].as_str().unwrap().parse::<Address>().unwrap(), a4);
    assert_eq!(lent["votes"], "2000", "4's own 1000 and 5's");
    assert_eq!(gov.json(6, &["delegate"])["votes"], "100");
    let fifth = gov.json(0, &["votes", &a5.to_string()]);
    assert_eq!(fifth["delegate"].as_str().unwrap().parse::<Address>().unwrap(), a4);
    assert_eq!(fifth["votes"], "0", "lent votes are the delegate's");
    let seventh = gov.json(0, &["votes", &a7.to_string()]);
    assert_eq!(
        (&seventh["delegate"], &seventh["votes"], &seventh["balance"]),
        (&Value::Null, &"0".into(), &"1000".into())
    );
    let delegated_at = reader.latest_timestamp().await.unwrap();
    step("delegated");

    // Before governance acts, a claim on the new model mints nothing; its fee
    // share accrues to the treasury.
    let solver = net.client(3).await;
    let owner = net.client(8).await;
    let deposit = IEngine::validatorDepositCall { validator_: solver.address(), amount_: dml(20) };
    assert!(solver.send_and_wait(deposit, MINED).await.unwrap().success);
    let (task1, _) = submit_task(&owner, model, dml(10), br#"{"prompt":"before"}"#).await;
    solve(&solver, task1, b"first output").await;
    let claimed = claim(&gov, &solver, task1).await;
    assert!(minted(reader, claimed, task1).await.is_none(), "a rate of 0 mints nothing");
    let accrued = reader.view(IEngine::accruedFeesCall {}).await.unwrap();
    assert!(!accrued.is_zero(), "the solution fee share accrued");
    step("first task claimed");

    // Refusals before anything is proposed: too few votes, a bad signature,
    // an argument that does not fit its type. Nothing was proposed.
    gov.wait_past(delegated_at).await;
    let rate_action = ["--target", "engine", "--call", "setSolutionMineableRate(bytes32,uint256)"];
    let model_text = model.to_string();
    let rate_args = format!("{model_text},1ether");
    let mut low = vec!["propose"];
    low.extend(rate_action);
    low.extend(["--args", &rate_args, "--description", "from a small holder"]);
    gov.refused(
        7,
        &low,
        &[
            "propose refused: GovernorInsufficientProposerVotes: ",
            "has 0 DML of votes; proposing needs at least 100 DML",
        ],
    );
    let bad_type = [
        "propose",
        "--target",
        "engine",
        "--call",
        "setSolutionFeePercentage(uint256)",
        "--args",
        "lots",
        "--description",
        "x",
    ];
    gov.refused(2, &bad_type, &["argument 1 of setSolutionFeePercentage(uint256) (`lots`) is not a valid uint256"]);
    let bad_signature = ["propose", "--target", "engine", "--call", "setSolutionFeePercentage", "--description", "x"];
    gov.refused(2, &bad_signature, &["is not a function signature like `transfer(address,uint256)`"]);
    let bad_target = ["propose", "--target", "treasury", "--call", "withdrawAccruedFees()", "--description", "x"];
    gov.refused(2, &bad_target, &["neither an address"]);
    assert!(reader.view_of(gov.governor, IGovernor::proposalCountCall {}).await.unwrap().is_zero());

    // P1: reward the new model. Voting before its snapshot is refused.
    let mut rate = rate_action.to_vec();
    rate.extend(["--args", &rate_args]);
    let p1 = gov.propose(2, &rate, "# Reward the new model\n\nGive it the full rate.");
    let early =
        gov.refused(2, &["vote", &p1.to_string(), "--for"], &["castVote refused: GovernorUnexpectedProposalState: "]);
    assert!(early.contains("is Pending; this needs it to be Active"), "{early}");
    let hashed = reader
        .view_of(
            gov.governor,
            IGovernor::hashProposalCall {
                targets: vec![engine],
                values: vec![U256::ZERO],
                calldatas: vec![IEngine::setSolutionMineableRateCall { model_: model, rate_: ONE_DML }
                    .abi_encode()
                    .into()],
                descriptionHash: alloy_primitives::keccak256("# Reward the new model\n\nGive it the full rate."),
            },
        )
        .await
        .unwrap();
    assert_eq!(hashed, p1, "the printed id is the governor's hashProposal");

    // P2: pay from the treasury what the engine accrued for it.
    let recipient = Address::repeat_byte(0x5e);
    let pay_args = format!("{recipient},{accrued}");
    let pay = [
        "--target",
        "engine",
        "--call",
        "withdrawAccruedFees()",
        "--target",
        "token",
        "--call",
        "transfer(address,uint256)",
        "--args",
        &pay_args,
    ];
    let p2 = gov.propose(2, &pay, "Pay the accrued fees to the recipient");
    // P3: a parameter change.
    let fee_before = reader.view(IEngine::solutionFeePercentageCall {}).await.unwrap();
    let new_fee = U256::from(5u64) * U256::from(10u64).pow(U256::from(16u64));
    assert_ne!(fee_before, new_fee);
    let fee = ["--target", "engine", "--call", "setSolutionFeePercentage(uint256)", "--args", "0.05ether"];
    let p3 = gov.propose(2, &fee, "Solution fee to 5 %");
    // P4: too few votes for quorum. P5: outvoted.
    let p4 = gov.propose(
        2,
        &["--target", "engine", "--call", "setMinClaimSolutionTime(uint256)", "--args", "1"],
        "Claim at once",
    );
    let treasury_move = ["--target", "engine", "--call", "transferTreasury(address)", "--args", &a9.to_string()];
    let p5 = gov.propose(2, &treasury_move, "Move the treasury to account 9");
    step("proposed");

    // The list and a decoded proposal.
    let listed = gov.json(0, &["list"]);
    let proposals = listed["proposals"].as_array().unwrap();
    let ids: Vec<U256> = proposals.iter().map(|p| p["id"].as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(ids, [p1, p2, p3, p4, p5]);
    assert_eq!(proposals[0]["title"], "Reward the new model");
    assert_eq!(proposals[4]["proposer"].as_str().unwrap().parse::<Address>().unwrap(), a2);
    let shown = gov.json(0, &["show", &p2.to_string()]);
    let actions = shown["actions"].as_array().unwrap();
    let names: Vec<&str> = actions.iter().map(|a| a["target_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["engine", "token"]);
    let signatures: Vec<&str> = actions.iter().map(|a| a["signature"].as_str().unwrap()).collect();
    assert_eq!(signatures, ["withdrawAccruedFees()", "transfer(address,uint256)"]);
    assert_eq!(actions[1]["arguments"], serde_json::json!([recipient.to_checksum(None), accrued.to_string()]));
    assert_eq!(shown["description"], "Pay the accrued fees to the recipient");

    // Votes, each once its proposal is active.
    for (id, account, side, weight) in [
        (p1, 2, "--for", "1000"),
        (p2, 2, "--for", "1000"),
        (p3, 2, "--for", "1000"),
        (p4, 6, "--for", "100"),
        (p5, 2, "--for", "1000"),
        (p5, 4, "--against", "2000"),
    ] {
        gov.wait_state(id, ProposalState::Active).await;
        let cast = gov.json(account, &["vote", &id.to_string(), side, "--reason", "tested"]);
        assert_eq!((cast["weight"].as_str(), cast["reason"].as_str()), (Some(weight), Some("tested")), "{cast}");
    }
    step("voted");
    gov.refused(
        2,
        &["vote", &p1.to_string(), "--against"],
        &["castVote refused: GovernorAlreadyCastVote: ", "has already voted on this proposal"],
    );
    gov.refused(2, &["show", "12345"], &["GovernorNonexistentProposal: there is no proposal 12345"]);
    gov.refused(2, &["vote", "12345", "--for"], &["GovernorNonexistentProposal: there is no proposal 12345"]);
    let future = (gov.clock().await + 3_600).to_string();
    gov.refused(
        0,
        &["votes", &a2.to_string(), "--at", &future],
        &["ERC5805FutureLookup: timepoint ", "is not in the past"],
    );
    let snapshot = gov.json(0, &["show", &p1.to_string()])["snapshot"].as_u64().unwrap();
    assert_eq!(gov.json(0, &["votes", &a4.to_string(), "--at", &snapshot.to_string()])["past_votes"], "2000");

    // The votes close: three passed, one short of quorum, one outvoted.
    for id in [p1, p2, p3] {
        gov.wait_state(id, ProposalState::Succeeded).await;
    }
    for id in [p4, p5] {
        gov.wait_state(id, ProposalState::Defeated).await;
    }
    step("votes closed");
    let late = gov.refused(6, &["vote", &p1.to_string(), "--for"], &["GovernorUnexpectedProposalState: "]);
    assert!(late.contains("is Succeeded; this needs it to be Active"), "{late}");
    let short = gov.json(0, &["show", &p4.to_string()]);
    assert_eq!(
        (&short["state"], &short["quorum"], &short["quorum_reached"]),
        (&"defeated".into(), &"440".into(), &false.into())
    );
    let outvoted = gov.json(0, &["show", &p5.to_string()]);
    assert_eq!((&outvoted["votes"]["for"], &outvoted["votes"]["against"]), (&"1000".into(), &"2000".into()));
    assert_eq!(outvoted["quorum_reached"], true);
    let text = stdout(&gov.run(0, &["show", &p4.to_string()]));
    assert!(text.contains("state        Defeated") && text.contains("(not reached)"), "{text}");
    gov.refused(
        2,
        &["queue", &p5.to_string()],
        &["queue refused: GovernorUnexpectedProposalState: ", "is Defeated; this needs it to be Succeeded"],
    );

    // Queue the three; the timelock refuses to run them before their eta.
    for id in [p1, p2, p3] {
        let queued = gov.json(9, &["queue", &id.to_string()]);
        assert_eq!(queued["eta"].as_u64().unwrap(), gov.eta(id).await);
    }
    gov.refused(
        9,
        &["execute", &p1.to_string()],
        &["execute refused: TimelockUnexpectedOperationState: ", "is not ready (its eta has not come)"],
    );
    gov.wait_past(gov.eta(p3).await.saturating_sub(1)).await;
    let timelock_before = reader.token_view(IDmlToken::balanceOfCall { account: gov.timelock }).await.unwrap();
    for id in [p1, p2, p3] {
        let executed = gov.json(9, &["execute", &id.to_string()]);
        assert!(executed["transaction"].is_string());
        assert_eq!(gov.state(id).await, ProposalState::Executed);
    }
    step("executed");

    // What they did: the rate, the payment, the fee.
    assert_eq!(reader.view(IEngine::modelsCall { model }).await.unwrap().rate, ONE_DML);
    assert_eq!(reader.token_view(IDmlToken::balanceOfCall { account: recipient }).await.unwrap(), accrued);
    assert_eq!(reader.token_view(IDmlToken::balanceOfCall { account: gov.timelock }).await.unwrap(), timelock_before);
    assert!(reader.view(IEngine::accruedFeesCall {}).await.unwrap().is_zero(), "the fees were withdrawn");
    assert_eq!(reader.view(IEngine::solutionFeePercentageCall {}).await.unwrap(), new_fee);
    assert_eq!(reader.view(IEngine::treasuryCall {}).await.unwrap(), gov.timelock, "the outvoted move never ran");

    // The next claim on the model mints, and the solver is paid exactly the
    // fee less the treasury's share plus its share of the mint.
    let fee_paid = dml(10);
    let (task2, _) = submit_task(&owner, model, fee_paid, br#"{"prompt":"after"}"#).await;
    solve(&solver, task2, b"second output").await;
    let balance_before = solver.dml_balance().await.unwrap();
    let claimed = claim(&gov, &solver, task2).await;
    let rewards = minted(reader, claimed, task2).await.expect("the claim mints a reward");
    assert!(!rewards.solver.is_zero(), "{rewards:?}");
    let treasury_fee = reader.view(IEngine::accruedFeesCall {}).await.unwrap() - rewards.treasury;
    assert_eq!(solver.dml_balance().await.unwrap() - balance_before, fee_paid - treasury_fee + rewards.solver);
    step("rewarded");

    let listed = stdout(&gov.run(0, &["list"]));
    for expected in ["Executed", "Defeated", "Reward the new model", "Move the treasury to account 9"] {
        assert!(listed.contains(expected), "{listed}");
    }
}

/// Every owner-only engine function (its `set*` and `transfer*`), with
/// arguments of the right types: the engine must refuse them before it looks
/// at the values.
fn engine_setters(model: B256, other: Address) -> Vec<(String, Vec<u8>)> {
    IEngine::IEngineCalls::SIGNATURES
        .iter()
        .filter(|signature| {
            // A solver sets its own pool's terms; every other setter is the owner's.
            let solver_terms =
                **signature == "setDelegationCommission(uint256)" || **signature == "setAcceptDelegations(bool)";
            (signature.starts_with("set") || signature.starts_with("transfer"))
                && !signature.starts_with("setPaused")
                && !solver_terms
        })
        .map(|signature| {
            let function = Function::parse(signature).unwrap();
            let values: Vec<DynSolValue> = function
                .inputs
                .iter()
                .map(|param| match param.resolve().unwrap() {
                    DynSolType::Address => DynSolValue::Address(other),
                    DynSolType::FixedBytes(32) => DynSolValue::FixedBytes(model, 32),
                    DynSolType::Uint(bits) => DynSolValue::Uint(U256::from(1u64), bits),
                    DynSolType::Bool => DynSolValue::Bool(true),
                    unexpected => panic!("{signature}: no test value for {unexpected:?}"),
                })
                .collect();
            (signature.to_string(), function.abi_encode_input(&values).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_timelock_sets_parameters_and_the_guardian_only_pauses() {
    let step = stepper();
    let net = Devnet::start(&[
        "--solvers",
        "1",
        "--voting-delay",
        "2",
        "--voting-period",
        "6",
        "--timelock-delay",
        "2",
        "--proposal-threshold",
        "100",
    ]);
    let gov = Gov::new(&net).await;
    let reader = &gov.reader;
    let engine = reader.engine();
    let (guardian, stranger) = (net.address(0), net.address(9));
    assert_eq!(reader.view(IEngine::pauserCall {}).await.unwrap(), guardian, "account 0 is the pause guardian");
    assert_eq!(reader.view(IEngine::ownerCall {}).await.unwrap(), gov.timelock);
    step("devnet up");

    // Every setter, from the guardian (the former owner) and from anyone else.
    let setters = engine_setters(net.model_id("textgenrnn"), stranger);
    assert!(setters.len() >= 17, "{setters:?}");
    for name in [
        "transferOwnership(address)",
        "transferTreasury(address)",
        "transferPauser(address)",
        "transferLiquidityPool(address)",
        "setSolutionMineableRate(bytes32,uint256)",
    ] {
        assert!(setters.iter().any(|(signature, _)| signature == name), "{name} is covered");
    }
    for (signature, calldata) in &setters {
        for from in [guardian, stranger] {
            let reason = refusal(&net, from, engine, calldata.clone()).await;
            assert_eq!(reason, "Ownable: caller is not the owner", "{signature} from {from}");
        }
    }
    let unpause = IEngine::setPausedCall { paused_: false }.abi_encode();
    for from in [guardian, stranger] {
        assert_eq!(refusal(&net, from, engine, unpause.clone()).await, "only the owner may unpause");
    }
    let pause = IEngine::setPausedCall { paused_: true }.abi_encode();
    assert_eq!(refusal(&net, stranger, engine, pause).await, "not pauser");
    // Governance's own settings answer only to governance.
    let delay =
        IGovernor::setVotingDelayCall { newVotingDelay: alloy_primitives::aliases::U48::from(1u64) }.abi_encode();
    let reason = refusal(&net, guardian, gov.governor, delay).await;
    assert!(reason.starts_with("GovernorOnlyExecutor: "), "{reason}");
    let timelock_delay = ITimelockController::updateDelayCall { newDelay: U256::ZERO }.abi_encode();
    let reason = refusal(&net, guardian, gov.timelock, timelock_delay).await;
    assert!(reason.starts_with("TimelockUnauthorizedCaller: "), "{reason}");
    let schedule = ITimelockController::scheduleCall {
        target: engine,
        value: U256::ZERO,
        data: unpause.clone().into(),
        predecessor: B256::ZERO,
        salt: B256::ZERO,
        delay: U256::from(3_600u64),
    }
    .abi_encode();
    let reason = refusal(&net, guardian, gov.timelock, schedule).await;
    assert!(reason.contains("does not hold the timelock's PROPOSER_ROLE"), "{reason}");
    step("setters refused");

    // The guardian pauses; paused, the engine refuses work, and nobody but
    // the timelock may unpause it.
    let guardian_client = net.client(0).await;
    let paused = guardian_client.send_and_wait(IEngine::setPausedCall { paused_: true }, MINED).await.unwrap();
    assert!(paused.success);
    assert!(reader.view(IEngine::pausedCall {}).await.unwrap());
    let withdraw = IEngine::withdrawAccruedFeesCall {}.abi_encode();
    assert_eq!(refusal(&net, stranger, engine, withdraw.clone()).await, "paused");
    assert_eq!(refusal(&net, guardian, engine, unpause).await, "only the owner may unpause");

    // A proposal unpauses it.
    assert_eq!(gov.json(2, &["delegate"])["votes"], "1000");
    gov.wait_past(reader.latest_timestamp().await.unwrap()).await;
    let id = gov.propose(2, &["--target", "engine", "--call", "setPaused(bool)", "--args", "false"], "Unpause");
    let shown = gov.json(0, &["show", &id.to_string()]);
    assert_eq!(shown["actions"][0]["signature"], "setPaused(bool)");
    assert_eq!(shown["actions"][0]["arguments"], serde_json::json!(["false"]));
    gov.wait_state(id, ProposalState::Active).await;
    assert_eq!(gov.json(2, &["vote", &id.to_string(), "--for"])["weight"], "1000");
    gov.wait_state(id, ProposalState::Succeeded).await;
    gov.json(2, &["queue", &id.to_string()]);
    gov.wait_past(gov.eta(id).await.saturating_sub(1)).await;
    gov.json(2, &["execute", &id.to_string()]);
    assert!(!reader.view(IEngine::pausedCall {}).await.unwrap(), "the proposal unpaused the engine");
    let provider = ProviderBuilder::new().connect_http(net.rpc_url().parse().unwrap());
    let request = TransactionRequest::default().with_from(stranger).with_to(engine).with_input(Bytes::from(withdraw));
    assert!(provider.estimate_gas(request).await.is_ok(), "unpaused, the engine works again");
    step("unpaused by proposal");
}
