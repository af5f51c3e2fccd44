//! The committed bytecode governs: on a bare revm, OpenZeppelin's votes token,
//! the timelock and `DMLGovernor` are deployed from this crate's payloads, and
//! a proposal to change the timelock's delay goes Pending → Active →
//! Succeeded → Queued → Executed, with the reverts on the way explained by
//! `decode_revert`. Run on Cancun (Arbitrum's target) and Osaka (the dev chain's).

mod support;

use alloy_primitives::{address, keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use dml_governance::{
    decode_revert, governor_deploy_code, ref_votes_token_deploy_code, support as vote, timelock_deploy_code,
    GovernorParams, IGovernor, ITimelockController, OperationState, ProposalState,
};
use dml_primitives::{IDmlToken, ONE_DML};
use revm::primitives::hardfork::SpecId;
use support::{Evm, Reverted};

const HOLDER: Address = address!("00000000000000000000000000000000000a11ce");
const NOBODY: Address = address!("0000000000000000000000000000000000000b0b");
const START: u64 = 1_700_000_000;
const TIMELOCK_DELAY: u64 = 60;
const VOTING_DELAY: u64 = 10;
const VOTING_PERIOD: u64 = 100;

struct Deployment {
    token: Address,
    timelock: Address,
    governor: Address,
}

fn deploy(evm: &mut Evm) -> Deployment {
    let supply = U256::from(1_000_000u64) * ONE_DML;
    let token = evm.deploy(HOLDER, ref_votes_token_deploy_code(HOLDER, supply));
    // The timelock's proposer is the governor, deployed next: its CREATE address.
    let predicted_governor = evm.next_create_address(HOLDER, 1);
    let timelock = evm.deploy(
        HOLDER,
        timelock_deploy_code(U256::from(TIMELOCK_DELAY), &[predicted_governor], &[Address::ZERO], Address::ZERO),
    );
    let params = GovernorParams {
        voting_delay: VOTING_DELAY,
        voting_period: VOTING_PERIOD,
        proposal_threshold: U256::from(1_000u64) * ONE_DML,
        quorum_percent: 4,
        timelock_delay: TIMELOCK_DELAY,
    };
    let governor = evm.deploy(HOLDER, governor_deploy_code(&params, token, timelock).unwrap());
    assert_eq!(governor, predicted_governor);
    Deployment { token, timelock, governor }
}

fn state(evm: &mut Evm, governor: Address, id: U256) -> ProposalState {
    let value = evm.call(governor, IGovernor::stateCall { proposalId: id }).unwrap();
    ProposalState::from_u8(value).unwrap()
}

fn sentence(result: Result<Vec<Log>, Reverted>) -> String {
    let Reverted(data) = result.expect_err("the transaction reverts");
    decode_revert(&data).unwrap_or_else(|| panic!("undecoded revert data {data}"))
}

fn emitted<E: SolEvent>(logs: &[Log]) -> E {
    let log = logs.iter().find(|log| log.topics().first() == Some(&E::SIGNATURE_HASH)).expect("the event is emitted");
    E::decode_log(log).unwrap().data
}

fn run_flow(spec: SpecId) {
    let mut evm = Evm::new(spec, START);
    let Deployment { token, timelock, governor } = deploy(&mut evm);

    // The deployment is wired as intended.
    assert_eq!(evm.call(governor, IGovernor::nameCall {}).unwrap(), "DML Governor");
    assert_eq!(evm.call(governor, IGovernor::CLOCK_MODECall {}).unwrap(), "mode=timestamp");
    assert_eq!(evm.call(governor, IGovernor::clockCall {}).unwrap().to::<u64>(), START);
    assert_eq!(evm.call(governor, IGovernor::tokenCall {}).unwrap(), token);
    assert_eq!(evm.call(governor, IGovernor::timelockCall {}).unwrap(), timelock);
    assert_eq!(evm.call(governor, IGovernor::votingDelayCall {}).unwrap(), U256::from(VOTING_DELAY));
    assert_eq!(evm.call(governor, IGovernor::votingPeriodCall {}).unwrap(), U256::from(VOTING_PERIOD));
    assert_eq!(evm.call(governor, IGovernor::quorumNumerator_0Call {}).unwrap(), U256::from(4u64));
    assert_eq!(evm.call(governor, IGovernor::quorumDenominatorCall {}).unwrap(), U256::from(100u64));
    assert_eq!(evm.call(governor, IGovernor::COUNTING_MODECall {}).unwrap(), "support=bravo&quorum=for,abstain");
    let proposer_role = evm.call(timelock, ITimelockController::PROPOSER_ROLECall {}).unwrap();
    assert_eq!(proposer_role, keccak256("PROPOSER_ROLE"));
    let has_role = ITimelockController::hasRoleCall { role: proposer_role, account: governor };
    assert!(evm.call(timelock, has_role).unwrap());
    let anyone_executes = ITimelockController::hasRoleCall {
        role: evm.call(timelock, ITimelockController::EXECUTOR_ROLECall {}).unwrap(),
        account: Address::ZERO,
    };
    assert!(evm.call(timelock, anyone_executes).unwrap());
    assert_eq!(evm.call(timelock, ITimelockController::getMinDelayCall {}).unwrap(), U256::from(TIMELOCK_DELAY));

    // Votes count once delegated; the checkpoint must be in the past to count.
    evm.transact(HOLDER, token, IDmlToken::delegateCall { delegatee: HOLDER }).unwrap();
    evm.now += 1;

    // The proposal: the timelock may only change its own delay by running a call to itself.
    let targets = vec![timelock];
    let values = vec![U256::ZERO];
    let calldatas: Vec<Bytes> =
        vec![ITimelockController::updateDelayCall { newDelay: U256::from(30u64) }.abi_encode().into()];
    let description = "Shorten the timelock delay to 30 s".to_string();
    let description_hash = keccak256(description.as_bytes());
    let propose = IGovernor::proposeCall {
        targets: targets.clone(),
        values: values.clone(),
        calldatas: calldatas.clone(),
        description: description.clone(),
    };

    // Someone without votes may not propose.
    let refused = sentence(evm.transact(NOBODY, governor, propose.clone()));
    assert_eq!(
        refused,
        format!("GovernorInsufficientProposerVotes: {NOBODY} has 0 DML of votes; proposing needs at least 1000 DML (the proposal threshold)")
    );

    let logs = evm.transact(HOLDER, governor, propose).unwrap();
    let created: IGovernor::ProposalCreated = emitted(&logs);
    let id = created.proposalId;
    let hashed = IGovernor::hashProposalCall {
        targets: targets.clone(),
        values: values.clone(),
        calldatas: calldatas.clone(),
        descriptionHash: description_hash,
    };
    assert_eq!(evm.call(governor, hashed).unwrap(), id);
    assert_eq!(created.proposer, HOLDER);
    assert_eq!(created.voteStart, U256::from(START + 1 + VOTING_DELAY));
    assert_eq!(created.voteEnd, U256::from(START + 1 + VOTING_DELAY + VOTING_PERIOD));
    assert_eq!(evm.call(governor, IGovernor::proposalCountCall {}).unwrap(), U256::from(1u64));
    let details = evm.call(governor, IGovernor::proposalDetailsAtCall { index: U256::ZERO }).unwrap();
    assert_eq!((details.proposalId, details.targets, details.descriptionHash), (id, targets.clone(), description_hash));
    assert!(evm.call(governor, IGovernor::proposalNeedsQueuingCall { proposalId: id }).unwrap());
    assert_eq!(state(&mut evm, governor, id), ProposalState::Pending);

    // Voting opens after the snapshot.
    let snapshot = evm.call(governor, IGovernor::proposalSnapshotCall { proposalId: id }).unwrap();
    evm.now = snapshot.to::<u64>();
    assert_eq!(state(&mut evm, governor, id), ProposalState::Pending);
    let early =
        sentence(evm.transact(HOLDER, governor, IGovernor::castVoteCall { proposalId: id, support: vote::FOR }));
    assert_eq!(
        early,
        format!("GovernorUnexpectedProposalState: proposal {} is Pending; this needs it to be Active", B256::from(id))
    );
    evm.now += 1;
    assert_eq!(state(&mut evm, governor, id), ProposalState::Active);
    let quorum = evm.call(governor, IGovernor::quorumCall { timepoint: snapshot }).unwrap();
    assert_eq!(quorum, U256::from(40_000u64) * ONE_DML);

    let vote_for = IGovernor::castVoteWithReasonCall { proposalId: id, support: vote::FOR, reason: "shorter".into() };
    let logs = evm.transact(HOLDER, governor, vote_for).unwrap();
    let cast: IGovernor::VoteCast = emitted(&logs);
    assert_eq!(
        (cast.voter, cast.weight, cast.reason.as_str()),
        (HOLDER, U256::from(1_000_000u64) * ONE_DML, "shorter")
    );
    assert!(evm.call(governor, IGovernor::hasVotedCall { proposalId: id, account: HOLDER }).unwrap());
    let twice =
        sentence(evm.transact(HOLDER, governor, IGovernor::castVoteCall { proposalId: id, support: vote::AGAINST }));
    assert_eq!(twice, format!("GovernorAlreadyCastVote: {HOLDER} has already voted on this proposal"));
    let tally = evm.call(governor, IGovernor::proposalVotesCall { proposalId: id }).unwrap();
    assert_eq!((tally.againstVotes, tally.forVotes, tally.abstainVotes), (U256::ZERO, cast.weight, U256::ZERO));

    // After the deadline it has passed; queueing schedules it in the timelock.
    let deadline = evm.call(governor, IGovernor::proposalDeadlineCall { proposalId: id }).unwrap();
    evm.now = deadline.to::<u64>();
    assert_eq!(state(&mut evm, governor, id), ProposalState::Active);
    evm.now += 1;
    assert_eq!(state(&mut evm, governor, id), ProposalState::Succeeded);
    let queued_at = evm.now;
    let queue = IGovernor::queue_0Call {
        targets: targets.clone(),
        values: values.clone(),
        calldatas: calldatas.clone(),
        descriptionHash: description_hash,
    };
    let logs = evm.transact(HOLDER, governor, queue).unwrap();
    let queued: IGovernor::ProposalQueued = emitted(&logs);
    assert_eq!(queued.etaSeconds, U256::from(queued_at + TIMELOCK_DELAY));
    assert_eq!(evm.call(governor, IGovernor::proposalEtaCall { proposalId: id }).unwrap(), queued.etaSeconds);
    let scheduled: ITimelockController::CallScheduled = emitted(&logs);
    let operation = scheduled.id;
    assert_eq!(scheduled.delay, U256::from(TIMELOCK_DELAY));
    evm.now += 1;
    assert_eq!(state(&mut evm, governor, id), ProposalState::Queued);
    let operation_state = evm.call(timelock, ITimelockController::getOperationStateCall { id: operation }).unwrap();
    assert_eq!(OperationState::from_u8(operation_state), Some(OperationState::Waiting));

    // Before its eta the timelock refuses, and the Governor passes its error on.
    let execute_by_id = IGovernor::execute_1Call { proposalId: id };
    let too_early = sentence(evm.transact(NOBODY, governor, execute_by_id.clone()));
    assert_eq!(
        too_early,
        format!("TimelockUnexpectedOperationState: timelock operation {operation} is not ready (its eta has not come)")
    );
    assert_eq!(state(&mut evm, governor, id), ProposalState::Queued);

    // From the eta on anyone may execute (the executor role is open).
    evm.now = queued.etaSeconds.to::<u64>();
    let logs = evm.transact(NOBODY, governor, execute_by_id).unwrap();
    let executed: IGovernor::ProposalExecuted = emitted(&logs);
    assert_eq!(executed.proposalId, id);
    let changed: ITimelockController::MinDelayChange = emitted(&logs);
    assert_eq!((changed.oldDuration, changed.newDuration), (U256::from(TIMELOCK_DELAY), U256::from(30u64)));
    assert_eq!(state(&mut evm, governor, id), ProposalState::Executed);
    assert_eq!(evm.call(timelock, ITimelockController::getMinDelayCall {}).unwrap(), U256::from(30u64));
    assert!(evm.call(timelock, ITimelockController::isOperationDoneCall { id: operation }).unwrap());

    // Only the timelock itself may change its delay, and nobody may call the
    // governor's governance-only setters directly.
    let direct =
        sentence(evm.transact(HOLDER, timelock, ITimelockController::updateDelayCall { newDelay: U256::ZERO }));
    assert!(direct.starts_with(&format!("TimelockUnauthorizedCaller: {HOLDER} is not the timelock")), "{direct}");
    let setter =
        sentence(evm.transact(HOLDER, governor, IGovernor::setVotingDelayCall { newVotingDelay: Default::default() }));
    assert!(setter.starts_with(&format!("GovernorOnlyExecutor: {HOLDER}")), "{setter}");

    // The votes token explains a look-up of the present.
    let now = U256::from(evm.now);
    let future = evm.call(token, IDmlToken::getPastVotesCall { account: HOLDER, timepoint: now }).unwrap_err();
    assert_eq!(
        decode_revert(&future.0).unwrap(),
        format!("ERC5805FutureLookup: timepoint {now} is not in the past (clock is {now})")
    );
}

#[test]
fn a_proposal_runs_through_the_timelock_on_cancun() {
    run_flow(SpecId::CANCUN);
}

#[test]
fn a_proposal_runs_through_the_timelock_on_osaka() {
    run_flow(SpecId::OSAKA);
}
