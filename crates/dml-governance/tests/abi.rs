//! The `sol!` declarations match the compiled contracts: every declared
//! function, event and error exists in the artifact's JSON ABI with the same
//! selector or topic (computed from the JSON, independently of `sol!`), the
//! same return types and the same indexed parameters, and everything the
//! compiled contracts expose is declared (but for the token-receiver hooks).

use std::collections::BTreeSet;

use alloy_json_abi::JsonAbi;
use alloy_sol_types::{SolCall, SolEvent, SolType, TopicList};
use dml_governance::{
    GovernanceContract, IGovernor, IGovernor::IGovernorCalls, IGovernor::IGovernorErrors, IGovernor::IGovernorEvents,
    ITimelockController as Tl, ITimelockController::ITimelockControllerCalls,
    ITimelockController::ITimelockControllerErrors, ITimelockController::ITimelockControllerEvents, IVotesErrors,
};

/// ERC-721/1155 receiver hooks: the contracts accept NFTs sent to them, but no
/// client calls these.
const RECEIVER_HOOKS: [&str; 3] = [
    "onERC721Received(address,address,uint256,bytes)",
    "onERC1155Received(address,address,uint256,uint256,bytes)",
    "onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)",
];

fn abi(contract: GovernanceContract) -> JsonAbi {
    serde_json::from_value(contract.artifact().abi.clone()).expect("artifact ABI parses")
}

/// The declared call has a function in `abi` with its selector, signature and return types.
fn check_call<C: SolCall>(abi: &JsonAbi) {
    let function = abi
        .functions()
        .find(|function| function.selector() == C::SELECTOR)
        .unwrap_or_else(|| panic!("{} is declared but not in the compiled ABI", C::SIGNATURE));
    let declared = format!("{}{}", C::SIGNATURE, <C::ReturnTuple<'_> as SolType>::SOL_NAME);
    assert_eq!(function.signature_with_outputs(), declared);
}

/// The declared event has an event in `abi` with its topic and indexed parameters.
fn check_event<E: SolEvent>(abi: &JsonAbi) {
    let event = abi
        .events()
        .find(|event| event.selector() == E::SIGNATURE_HASH)
        .unwrap_or_else(|| panic!("{} is declared but not in the compiled ABI", E::SIGNATURE));
    assert_eq!(event.signature(), E::SIGNATURE);
    assert!(!event.anonymous && !E::ANONYMOUS);
    let indexed = event.inputs.iter().filter(|input| input.indexed).count();
    assert_eq!(<E::TopicList as TopicList>::COUNT, 1 + indexed, "indexed parameters of {}", E::SIGNATURE);
}

macro_rules! check_all {
    ($check:ident, $abi:expr, $($item:ty),+ $(,)?) => {{
        let abi = $abi;
        let mut count = 0usize;
        $( $check::<$item>(&abi); count += 1; )+
        count
    }};
}

fn compiled_functions(abi: &JsonAbi) -> BTreeSet<String> {
    abi.functions().map(|function| function.signature()).filter(|s| !RECEIVER_HOOKS.contains(&s.as_str())).collect()
}

fn set(signatures: &[&str]) -> BTreeSet<String> {
    signatures.iter().map(|signature| signature.to_string()).collect()
}

#[test]
fn governor_functions_match_the_artifact() {
    use IGovernor as G;
    let checked = check_all!(
        check_call,
        abi(GovernanceContract::Governor),
        G::nameCall,
        G::versionCall,
        G::COUNTING_MODECall,
        G::clockCall,
        G::CLOCK_MODECall,
        G::tokenCall,
        G::timelockCall,
        G::supportsInterfaceCall,
        G::BALLOT_TYPEHASHCall,
        G::EXTENDED_BALLOT_TYPEHASHCall,
        G::eip712DomainCall,
        G::noncesCall,
        G::hashProposalCall,
        G::getProposalIdCall,
        G::stateCall,
        G::proposalThresholdCall,
        G::proposalSnapshotCall,
        G::proposalDeadlineCall,
        G::proposalProposerCall,
        G::proposalEtaCall,
        G::proposalNeedsQueuingCall,
        G::votingDelayCall,
        G::votingPeriodCall,
        G::quorumCall,
        G::quorumNumerator_0Call,
        G::quorumNumerator_1Call,
        G::quorumDenominatorCall,
        G::getVotesCall,
        G::getVotesWithParamsCall,
        G::hasVotedCall,
        G::proposalVotesCall,
        G::proposeCall,
        G::queue_0Call,
        G::queue_1Call,
        G::execute_0Call,
        G::execute_1Call,
        G::cancel_0Call,
        G::cancel_1Call,
        G::castVoteCall,
        G::castVoteWithReasonCall,
        G::castVoteWithReasonAndParamsCall,
        G::castVoteBySigCall,
        G::castVoteWithReasonAndParamsBySigCall,
        G::proposalCountCall,
        G::proposalDetailsCall,
        G::proposalDetailsAtCall,
        G::setVotingDelayCall,
        G::setVotingPeriodCall,
        G::setProposalThresholdCall,
        G::updateQuorumNumeratorCall,
        G::updateTimelockCall,
        G::relayCall,
    );
    assert_eq!(checked, IGovernorCalls::SELECTORS.len(), "every declared function is in the list above");
    assert_eq!(set(IGovernorCalls::SIGNATURES), compiled_functions(&abi(GovernanceContract::Governor)));
}

#[test]
fn governor_overloads_are_numbered_in_declaration_order() {
    assert_eq!(IGovernor::quorumNumerator_0Call::SIGNATURE, "quorumNumerator()");
    assert_eq!(IGovernor::quorumNumerator_1Call::SIGNATURE, "quorumNumerator(uint256)");
    assert_eq!(IGovernor::queue_0Call::SIGNATURE, "queue(address[],uint256[],bytes[],bytes32)");
    assert_eq!(IGovernor::queue_1Call::SIGNATURE, "queue(uint256)");
    assert_eq!(IGovernor::execute_1Call::SIGNATURE, "execute(uint256)");
    assert_eq!(IGovernor::cancel_1Call::SIGNATURE, "cancel(uint256)");
}

#[test]
fn governor_events_and_errors_match_the_artifact() {
    use IGovernor as G;
    let abi = abi(GovernanceContract::Governor);
    let checked = check_all!(
        check_event,
        abi.clone(),
        G::ProposalCreated,
        G::ProposalQueued,
        G::ProposalExecuted,
        G::ProposalCanceled,
        G::VoteCast,
        G::VoteCastWithParams,
        G::VotingDelaySet,
        G::VotingPeriodSet,
        G::ProposalThresholdSet,
        G::QuorumNumeratorUpdated,
        G::TimelockChange,
        G::EIP712DomainChanged,
    );
    assert_eq!(checked, IGovernorEvents::SELECTORS.len());
    let compiled_events: BTreeSet<String> = abi.events().map(|event| event.signature()).collect();
    assert_eq!(set(IGovernorEvents::SIGNATURES), compiled_events);

    let compiled_errors: BTreeSet<String> = abi.errors().map(|error| error.signature()).collect();
    assert_eq!(set(IGovernorErrors::SIGNATURES), compiled_errors);
    for error in abi.errors() {
        assert!(IGovernorErrors::SELECTORS.contains(&error.selector().0), "{}", error.signature());
    }
}

#[test]
fn timelock_functions_events_and_errors_match_the_artifact() {
    let abi = abi(GovernanceContract::Timelock);
    let checked = check_all!(
        check_call,
        abi.clone(),
        Tl::PROPOSER_ROLECall,
        Tl::EXECUTOR_ROLECall,
        Tl::CANCELLER_ROLECall,
        Tl::DEFAULT_ADMIN_ROLECall,
        Tl::hasRoleCall,
        Tl::getRoleAdminCall,
        Tl::grantRoleCall,
        Tl::revokeRoleCall,
        Tl::renounceRoleCall,
        Tl::supportsInterfaceCall,
        Tl::getMinDelayCall,
        Tl::getTimestampCall,
        Tl::getOperationStateCall,
        Tl::isOperationCall,
        Tl::isOperationPendingCall,
        Tl::isOperationReadyCall,
        Tl::isOperationDoneCall,
        Tl::hashOperationCall,
        Tl::hashOperationBatchCall,
        Tl::scheduleCall,
        Tl::scheduleBatchCall,
        Tl::cancelCall,
        Tl::executeCall,
        Tl::executeBatchCall,
        Tl::updateDelayCall,
    );
    assert_eq!(checked, ITimelockControllerCalls::SELECTORS.len());
    assert_eq!(set(ITimelockControllerCalls::SIGNATURES), compiled_functions(&abi));

    let checked = check_all!(
        check_event,
        abi.clone(),
        Tl::CallScheduled,
        Tl::CallExecuted,
        Tl::CallSalt,
        Tl::Cancelled,
        Tl::MinDelayChange,
        Tl::RoleAdminChanged,
        Tl::RoleGranted,
        Tl::RoleRevoked,
    );
    assert_eq!(checked, ITimelockControllerEvents::SELECTORS.len());
    let compiled_events: BTreeSet<String> = abi.events().map(|event| event.signature()).collect();
    assert_eq!(set(ITimelockControllerEvents::SIGNATURES), compiled_events);

    let compiled_errors: BTreeSet<String> = abi.errors().map(|error| error.signature()).collect();
    assert_eq!(set(ITimelockControllerErrors::SIGNATURES), compiled_errors);
}

#[test]
fn votes_errors_are_those_of_openzeppelins_token() {
    let token = abi(GovernanceContract::RefVotesToken);
    let token_errors: BTreeSet<String> = token.errors().map(|error| error.signature()).collect();
    // The reference token overrides the clock (a timestamp), which drops the
    // consistency check of OpenZeppelin's default `CLOCK_MODE`; the Governor
    // still has it (GovernorVotes checks the token's clock).
    let governor_errors: BTreeSet<String> =
        abi(GovernanceContract::Governor).errors().map(|error| error.signature()).collect();
    for signature in IVotesErrors::IVotesErrorsErrors::SIGNATURES {
        let known = token_errors.contains(*signature)
            || (*signature == "ERC6372InconsistentClock()" && governor_errors.contains(*signature));
        assert!(known, "{signature} is declared but OpenZeppelin's token has no such error");
    }
    // What the token may revert with is declared (the short-string errors only
    // come from the EIP-712 constructor and are declared on IGovernor).
    let declared: BTreeSet<String> = set(IVotesErrors::IVotesErrorsErrors::SIGNATURES);
    let constructor_only = set(&["StringTooLong(string)", "InvalidShortString()"]);
    let missing: Vec<&String> =
        token_errors.iter().filter(|s| !declared.contains(*s) && !constructor_only.contains(*s)).collect();
    assert!(missing.is_empty(), "undeclared token errors: {missing:?}");
}

#[test]
fn every_compiled_error_is_explained_by_decode_revert() {
    for contract in GovernanceContract::ALL {
        for error in abi(contract).errors() {
            // Encoded with zero arguments (a string as the empty string).
            let mut data = error.selector().to_vec();
            for input in &error.inputs {
                if input.ty == "string" {
                    data.extend([0u8; 31].iter().chain(&[32u8 * error.inputs.len() as u8]));
                } else {
                    data.extend([0u8; 32]);
                }
            }
            for input in &error.inputs {
                if input.ty == "string" {
                    data.extend([0u8; 32]);
                }
            }
            let sentence = dml_governance::decode_revert(&data)
                .unwrap_or_else(|| panic!("{} of {} is not decoded", error.signature(), contract.name()));
            assert!(sentence.starts_with(&format!("{}: ", error.name)), "{sentence}");
        }
    }
}

#[test]
fn the_native_tokens_errors_are_openzeppelins() {
    // The DML token (dml-primitives' `IDmlToken`, run by the engine) reverts
    // with OZ's errors, so `decode_revert` and every OZ-aware client read
    // them; each must be one OZ's reference token declares, signature for
    // signature.
    let token = abi(GovernanceContract::RefVotesToken);
    let oz: BTreeSet<String> = token.errors().map(|error| error.signature()).collect();
    for signature in dml_primitives::IDmlToken::IDmlTokenErrors::SIGNATURES {
        assert!(oz.contains(*signature), "the DML token's {signature} is not an error of OZ's ERC20Votes");
        assert!(IVotesErrors::IVotesErrorsErrors::SIGNATURES.contains(signature), "{signature} is not decoded");
    }
    assert!(dml_primitives::IDmlToken::IDmlTokenErrors::SIGNATURES.len() >= 7);
}

#[test]
fn staking_and_uniswap_bindings_match_their_artifacts() {
    use dml_governance::{
        ILiquidityStaking as S, IUniswapV2Factory as F, IUniswapV2Pair as P, IUniswapV2Router02 as R, UniswapContract,
        IWETH9 as W,
    };
    let staking = abi(GovernanceContract::LiquidityStaking);
    let checked = check_all!(
        check_call,
        staking.clone(),
        S::stakeCall,
        S::withdrawCall,
        S::claimCall,
        S::exitCall,
        S::pullCall,
        S::PRECISIONCall,
        S::stakingTokenCall,
        S::rewardTokenCall,
        S::engineCall,
        S::totalStakedCall,
        S::balanceOfCall,
        S::rewardPerShareCall,
        S::earnedCall,
        S::owedScaledCall,
        S::totalOwedScaledCall,
        S::carriedCall,
        S::undistributedCall,
        S::totalPaidCall,
    );
    assert_eq!(checked, S::ILiquidityStakingCalls::SELECTORS.len());
    assert_eq!(set(S::ILiquidityStakingCalls::SIGNATURES), compiled_functions(&staking));
    check_all!(
        check_event,
        staking.clone(),
        S::Staked,
        S::Withdrawn,
        S::RewardPaid,
        S::RewardsDistributed,
        S::RewardsQueued,
        S::RewardPullFailed
    );
    let compiled_events: BTreeSet<String> = staking.events().map(|event| event.signature()).collect();
    assert_eq!(set(S::ILiquidityStakingEvents::SIGNATURES), compiled_events);
    let compiled_errors: BTreeSet<String> = staking.errors().map(|error| error.signature()).collect();
    assert_eq!(set(S::ILiquidityStakingErrors::SIGNATURES), compiled_errors);

    let uniswap = |contract: UniswapContract| -> JsonAbi {
        serde_json::from_value(contract.artifact().abi.clone()).expect("artifact ABI parses")
    };
    check_all!(check_call, uniswap(UniswapContract::Factory), F::createPairCall, F::getPairCall, F::allPairsLengthCall);
    check_all!(check_event, uniswap(UniswapContract::Factory), F::PairCreated);
    check_all!(
        check_call,
        uniswap(UniswapContract::Pair),
        P::getReservesCall,
        P::token0Call,
        P::token1Call,
        P::balanceOfCall,
        P::totalSupplyCall,
        P::approveCall,
        P::transferCall,
        P::mintCall,
        P::syncCall,
    );
    check_all!(check_event, uniswap(UniswapContract::Pair), P::Sync);
    check_all!(
        check_call,
        uniswap(UniswapContract::Router02),
        R::factoryCall,
        R::WETHCall,
        R::addLiquidityCall,
        R::addLiquidityETHCall,
        R::removeLiquidityETHCall,
        R::swapExactETHForTokensCall,
        R::swapExactTokensForETHCall,
        R::getAmountsOutCall,
        R::quoteCall,
    );
    check_all!(
        check_call,
        uniswap(UniswapContract::Weth9),
        W::depositCall,
        W::withdrawCall,
        W::balanceOfCall,
        W::approveCall
    );
}
