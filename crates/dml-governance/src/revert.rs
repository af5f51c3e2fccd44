//! Revert data → a sentence a person can act on.
//!
//! Every sentence starts with the Solidity error's name and a colon
//! (`"GovernorAlreadyCastVote: 0x… has already voted on this proposal"`), so
//! scripts can match on the name while people read the rest. A plain
//! `require` reason (`Error(string)`) is returned unchanged, as the workspace's
//! clients show engine reasons; a `Panic(uint256)` is named by its code.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{Panic, Revert, SolError, SolInterface};
use dml_primitives::ONE_DML;

use crate::{
    abi::{
        IGovernor::IGovernorErrors, ITimelockController::ITimelockControllerErrors, IVotesErrors::IVotesErrorsErrors,
    },
    requesters::{
        IDmlCompetition::IDmlCompetitionErrors, IDmlImageNFT::IDmlImageNFTErrors, IDmlTaskChain::IDmlTaskChainErrors,
    },
    staking::ILiquidityStaking::ILiquidityStakingErrors,
    OperationState, ProposalState,
};

/// Describes revert data from the Governor, the timelock, an OpenZeppelin-style
/// votes token (the DML token included), `LiquidityStaking`, `Error(string)`
/// (Uniswap V2 reverts with these, e.g. "UniswapV2Router: EXPIRED") or
/// `Panic(uint256)`; `None` when the data is none of these.
///
/// ```
/// use alloy_sol_types::SolError;
/// use dml_governance::{decode_revert, IGovernor, alloy_primitives::Address};
///
/// let data = IGovernor::GovernorAlreadyCastVote { voter: Address::repeat_byte(0x11) }.abi_encode();
/// assert_eq!(
///     decode_revert(&data).unwrap(),
///     "GovernorAlreadyCastVote: 0x1111111111111111111111111111111111111111 has already voted on this proposal"
/// );
/// assert_eq!(decode_revert(&[0xde, 0xad]), None);
/// ```
pub fn decode_revert(data: &[u8]) -> Option<String> {
    if let Ok(error) = IGovernorErrors::abi_decode(data) {
        return Some(governor_error(error));
    }
    if let Ok(error) = ITimelockControllerErrors::abi_decode(data) {
        return Some(timelock_error(error));
    }
    if let Ok(error) = IVotesErrorsErrors::abi_decode(data) {
        return Some(votes_error(error));
    }
    if let Ok(error) = ILiquidityStakingErrors::abi_decode(data) {
        return Some(staking_error(error));
    }
    if let Ok(error) = IDmlImageNFTErrors::abi_decode(data) {
        return Some(requester_error(format!("{error:?}")));
    }
    if let Ok(error) = IDmlCompetitionErrors::abi_decode(data) {
        return Some(requester_error(format!("{error:?}")));
    }
    if let Ok(error) = IDmlTaskChainErrors::abi_decode(data) {
        return Some(requester_error(format!("{error:?}")));
    }
    if let Ok(revert) = Revert::abi_decode(data) {
        return Some(revert.reason);
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        let kind = panic.kind().map_or("unknown panic code", |kind| kind.as_str());
        return Some(format!("Panic: {kind} (code {:#x})", panic.code));
    }
    None
}

/// An example requester's error (`DmlImageNFT`, `DmlCompetition`,
/// `DmlTaskChain`), from its debug form `Name(Name { field: value, … })`:
/// `Name: field: value, …`, or the bare name of an error without fields.
fn requester_error(debug: String) -> String {
    let inner = debug.split_once('(').map_or(debug.as_str(), |(_, rest)| rest.strip_suffix(')').unwrap_or(rest));
    match inner.split_once(" { ") {
        Some((name, fields)) => format!("{name}: {}", fields.trim_end_matches(" }")),
        None => inner.to_string(),
    }
}

/// Formats token base units (18 decimals) as DML: `12.5 DML`, `1000 DML`,
/// `0.000000000000000001 DML`. Trailing zeros of the fraction are dropped.
pub fn format_dml(amount: U256) -> String {
    let whole = amount / ONE_DML;
    let fraction = amount % ONE_DML;
    if fraction.is_zero() {
        return format!("{whole} DML");
    }
    let digits = format!("{:0>18}", fraction.to_string());
    format!("{whole}.{} DML", digits.trim_end_matches('0'))
}

/// A 256-bit id (proposal or operation) as 32-byte hex.
fn id(value: U256) -> B256 {
    B256::from(value)
}

/// "A or B or C", or `fallback` when empty.
fn either(names: &[&str], fallback: &str) -> String {
    if names.is_empty() {
        fallback.to_string()
    } else {
        names.join(" or ")
    }
}

fn governor_error(error: IGovernorErrors) -> String {
    use IGovernorErrors as E;
    let name = E::name_by_selector(error.selector()).unwrap_or("GovernorError");
    let text = match error {
        E::GovernorInvalidProposalLength(e) => format!(
            "a proposal needs at least one call and as many targets as values and calldatas (got {} targets, {} values, {} calldatas)",
            e.targets, e.values, e.calldatas
        ),
        E::GovernorAlreadyCastVote(e) => format!("{} has already voted on this proposal", e.voter),
        E::GovernorDisabledDeposit(_) => {
            "the governor takes no ETH (its executor is the timelock; send funds there)".to_string()
        }
        E::GovernorOnlyExecutor(e) => format!(
            "{} is not the governance executor (the timelock); only a passed proposal may call this",
            e.account
        ),
        E::GovernorNonexistentProposal(e) => format!("there is no proposal {}", id(e.proposalId)),
        E::GovernorUnexpectedProposalState(e) => {
            let current = ProposalState::from_u8(e.current).map_or(format!("in state {}", e.current), |s| s.to_string());
            let expected: Vec<&str> =
                ProposalState::from_bitmap(e.expectedStates).into_iter().map(ProposalState::name).collect();
            format!(
                "proposal {} is {current}; this needs it to be {}",
                id(e.proposalId),
                either(&expected, "in another state")
            )
        }
        E::GovernorInvalidVotingPeriod(e) => {
            format!("a voting period of {} s is invalid (it must be at least 1 s)", e.votingPeriod)
        }
        E::GovernorInsufficientProposerVotes(e) => format!(
            "{} has {} of votes; proposing needs at least {} (the proposal threshold)",
            e.proposer,
            format_dml(e.votes),
            format_dml(e.threshold)
        ),
        E::GovernorRestrictedProposer(e) => format!(
            "{} may not submit this proposal (its description ends in #proposer= naming another account)",
            e.proposer
        ),
        E::GovernorInvalidVoteType(_) => "support must be 0 (against), 1 (for) or 2 (abstain)".to_string(),
        E::GovernorInvalidVoteParams(_) => "this governor takes no vote params".to_string(),
        E::GovernorProposalQueueingNotRequired(e) => {
            format!("proposal {} needs no queueing", id(e.proposalId))
        }
        E::GovernorProposalQueueingFailed(e) => {
            format!("proposal {} could not be queued (the timelock returned no eta)", id(e.proposalId))
        }
        E::GovernorAlreadyQueuedProposal(e) => format!("proposal {} is already queued", id(e.proposalId)),
        E::GovernorInvalidSignature(e) => format!("the vote signature is not {}'s", e.voter),
        E::GovernorUnableToCancel(e) => format!(
            "{} may not cancel proposal {} (only its proposer may, while it is Pending)",
            e.account,
            id(e.proposalId)
        ),
        E::GovernorInvalidQuorumFraction(e) => {
            format!("a quorum of {}/{} is over 100 %", e.quorumNumerator, e.quorumDenominator)
        }
        E::ERC6372InconsistentClock(_) => inconsistent_clock(),
        E::InvalidAccountNonce(e) => invalid_nonce(e.account, e.currentNonce),
        E::FailedCall(_) => "a call reverted without a reason".to_string(),
        E::CheckpointUnorderedInsertion(_) => unordered_checkpoint(),
        E::SafeCastOverflowedUintDowncast(e) => downcast(e.bits, e.value),
        E::StringTooLong(e) => format!("the string {:?} is longer than 31 bytes", e.str),
        E::InvalidShortString(_) => "a short string is malformed".to_string(),
    };
    format!("{name}: {text}")
}

fn timelock_error(error: ITimelockControllerErrors) -> String {
    use ITimelockControllerErrors as E;
    let name = E::name_by_selector(error.selector()).unwrap_or("TimelockError");
    let text = match error {
        E::TimelockInvalidOperationLength(e) => format!(
            "a batch needs as many targets as payloads and values (got {} targets, {} payloads, {} values)",
            e.targets, e.payloads, e.values
        ),
        E::TimelockInsufficientDelay(e) => {
            format!("a delay of {} s is below the timelock's minimum delay of {} s", e.delay, e.minDelay)
        }
        E::TimelockUnexpectedOperationState(e) => {
            let operation = e.operationId;
            let expected = OperationState::from_bitmap(e.expectedStates);
            match expected.as_slice() {
                [OperationState::Ready] => format!("timelock operation {operation} is not ready (its eta has not come)"),
                [OperationState::Unset] => format!("timelock operation {operation} is already scheduled"),
                [OperationState::Waiting, OperationState::Ready] => format!(
                    "timelock operation {operation} is not pending (it was never scheduled, was canceled or already ran)"
                ),
                _ => {
                    let names: Vec<&str> = expected.into_iter().map(OperationState::name).collect();
                    format!("timelock operation {operation} is not {}", either(&names, "in the state this needs"))
                }
            }
        }
        E::TimelockUnexecutedPredecessor(e) => {
            format!("the operation's predecessor {} has not run yet", e.predecessorId)
        }
        E::TimelockUnauthorizedCaller(e) => format!(
            "{} is not the timelock; only the timelock itself (through a proposal) may change its settings",
            e.caller
        ),
        E::AccessControlUnauthorizedAccount(e) => {
            format!("{} does not hold the timelock's {}", e.account, role_name(e.neededRole))
        }
        E::AccessControlBadConfirmation(_) => {
            "an account may only renounce its own roles (callerConfirmation must be the sender)".to_string()
        }
        E::FailedCall(_) => "a call of the operation reverted without a reason".to_string(),
    };
    format!("{name}: {text}")
}

fn votes_error(error: IVotesErrorsErrors) -> String {
    use IVotesErrorsErrors as E;
    let name = E::name_by_selector(error.selector()).unwrap_or("TokenError");
    let text = match error {
        E::ERC5805FutureLookup(e) => {
            format!("timepoint {} is not in the past (clock is {})", e.timepoint, e.clock)
        }
        E::ERC6372InconsistentClock(_) => inconsistent_clock(),
        E::VotesExpiredSignature(e) => format!("the delegation signature expired at {}", e.expiry),
        E::InvalidAccountNonce(e) => invalid_nonce(e.account, e.currentNonce),
        E::ERC2612ExpiredSignature(e) => format!("the permit expired at {}", e.deadline),
        E::ERC2612InvalidSigner(e) => format!("the permit is signed by {}, not by its owner {}", e.signer, e.owner),
        E::ECDSAInvalidSignature(_) => "the signature recovers to no address".to_string(),
        E::ECDSAInvalidSignatureLength(e) => format!("a signature of {} bytes (it must be 65)", e.length),
        E::ECDSAInvalidSignatureS(e) => format!("the signature's s {} is in the upper half of the curve order", e.s),
        E::ERC20InsufficientBalance(e) => {
            format!("{} has {}; this needs {}", e.sender, format_dml(e.balance), format_dml(e.needed))
        }
        E::ERC20InsufficientAllowance(e) => {
            format!("{} may spend {}; this needs {}", e.spender, format_dml(e.allowance), format_dml(e.needed))
        }
        E::ERC20InvalidSender(e) => format!("{} may not send tokens", e.sender),
        E::ERC20InvalidReceiver(e) => format!("{} may not receive tokens", e.receiver),
        E::ERC20InvalidApprover(e) => format!("{} may not approve", e.approver),
        E::ERC20InvalidSpender(e) => format!("{} may not be approved", e.spender),
        E::ERC20ExceededSafeSupply(e) => format!(
            "minting would take the supply to {}, past the {} votes checkpoints can hold",
            e.increasedSupply, e.cap
        ),
        E::CheckpointUnorderedInsertion(_) => unordered_checkpoint(),
        E::SafeCastOverflowedUintDowncast(e) => downcast(e.bits, e.value),
    };
    format!("{name}: {text}")
}

fn staking_error(error: ILiquidityStakingErrors) -> String {
    use ILiquidityStakingErrors as E;
    let name = E::name_by_selector(error.selector()).unwrap_or("LiquidityStakingError");
    let text = match error {
        E::ZeroAmount(_) => "the amount is zero (or none of the staked tokens arrived)".to_string(),
        E::InsufficientStake(e) => {
            format!("withdrawing {} LP base units with only {} staked", e.requested, e.staked)
        }
        E::SameToken(e) => format!("{} cannot be both the staking and the reward token", e.token),
        E::ZeroAddress(_) => "a token address is zero".to_string(),
        E::SafeERC20FailedOperation(e) => format!("a transfer of token {} failed or returned false", e.token),
        E::ReentrancyGuardReentrantCall(_) => {
            "the staking contract was called back during one of its own actions".to_string()
        }
    };
    format!("{name}: {text}")
}

fn inconsistent_clock() -> String {
    "the token's clock() does not match its CLOCK_MODE()".to_string()
}

fn invalid_nonce(account: Address, current: U256) -> String {
    format!("the signature's nonce is not {account}'s next one ({current})")
}

fn unordered_checkpoint() -> String {
    "a checkpoint would be written before the latest one".to_string()
}

fn downcast(bits: u8, value: U256) -> String {
    format!("{value} does not fit in {bits} bits")
}

/// A timelock role by name: "PROPOSER_ROLE", …, or its hash when unknown.
fn role_name(role: B256) -> String {
    if role == B256::ZERO {
        return "DEFAULT_ADMIN_ROLE".to_string();
    }
    ["PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"]
        .into_iter()
        .find(|name| keccak256(name.as_bytes()) == role)
        .map_or_else(|| format!("role {role}"), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IGovernor, ITimelockController, IVotesErrors};

    #[test]
    fn names_the_example_contracts_errors_with_their_fields() {
        use crate::{IDmlImageNFT, IDmlTaskChain};
        let data =
            IDmlImageNFT::InvalidPromptLength { length: U256::ZERO, maxLength: U256::from(1000u64) }.abi_encode();
        assert_eq!(decode_revert(&data).unwrap(), "InvalidPromptLength: length: 0, maxLength: 1000");
        let data = IDmlTaskChain::MarkerInPrompt {}.abi_encode();
        assert_eq!(decode_revert(&data).unwrap(), "MarkerInPrompt");
    }

    #[test]
    fn formats_amounts_as_dml() {
        assert_eq!(format_dml(U256::ZERO), "0 DML");
        assert_eq!(format_dml(ONE_DML * U256::from(1_000u64)), "1000 DML");
        assert_eq!(format_dml(ONE_DML * U256::from(25u64) / U256::from(2u64)), "12.5 DML");
        assert_eq!(format_dml(U256::from(1u64)), "0.000000000000000001 DML");
    }

    #[test]
    fn explains_an_unexpected_proposal_state_with_names() {
        let data = IGovernor::GovernorUnexpectedProposalState {
            proposalId: U256::from(0xabcu64),
            current: ProposalState::Active as u8,
            expectedStates: ProposalState::Succeeded.bitmap(),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&data).unwrap(),
            format!(
                "GovernorUnexpectedProposalState: proposal 0x{:064x} is Active; this needs it to be Succeeded",
                0xabc
            )
        );
        let several = B256::with_last_byte(
            ProposalState::Pending.bitmap()[31]
                | ProposalState::Active.bitmap()[31]
                | ProposalState::Queued.bitmap()[31],
        );
        let data = IGovernor::GovernorUnexpectedProposalState {
            proposalId: U256::from(1u64),
            current: ProposalState::Executed as u8,
            expectedStates: several,
        }
        .abi_encode();
        assert!(decode_revert(&data)
            .unwrap()
            .ends_with("is Executed; this needs it to be Pending or Active or Queued"));
    }

    #[test]
    fn explains_insufficient_proposer_votes_in_dml() {
        let proposer = Address::repeat_byte(0x22);
        let data = IGovernor::GovernorInsufficientProposerVotes {
            proposer,
            votes: ONE_DML * U256::from(25u64) / U256::from(2u64),
            threshold: ONE_DML * U256::from(1_000u64),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&data).unwrap(),
            format!(
                "GovernorInsufficientProposerVotes: {proposer} has 12.5 DML of votes; proposing needs at least 1000 DML (the proposal threshold)"
            )
        );
    }

    #[test]
    fn explains_timelock_states_and_roles() {
        let operation = B256::repeat_byte(0x33);
        let not_ready = ITimelockController::TimelockUnexpectedOperationState {
            operationId: operation,
            expectedStates: OperationState::Ready.bitmap(),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&not_ready).unwrap(),
            format!(
                "TimelockUnexpectedOperationState: timelock operation {operation} is not ready (its eta has not come)"
            )
        );
        let account = Address::repeat_byte(0x44);
        let role =
            ITimelockController::AccessControlUnauthorizedAccount { account, neededRole: keccak256("PROPOSER_ROLE") }
                .abi_encode();
        assert_eq!(
            decode_revert(&role).unwrap(),
            format!("AccessControlUnauthorizedAccount: {account} does not hold the timelock's PROPOSER_ROLE")
        );
        let delay =
            ITimelockController::TimelockInsufficientDelay { delay: U256::from(1u64), minDelay: U256::from(60u64) };
        assert!(decode_revert(&delay.abi_encode()).unwrap().starts_with("TimelockInsufficientDelay: a delay of 1 s"));
    }

    #[test]
    fn explains_token_errors() {
        let lookup = IVotesErrors::ERC5805FutureLookup {
            timepoint: U256::from(1_700_000_100u64),
            clock: alloy_primitives::aliases::U48::from(1_700_000_000u64),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&lookup).unwrap(),
            "ERC5805FutureLookup: timepoint 1700000100 is not in the past (clock is 1700000000)"
        );
        let nonce = IVotesErrors::InvalidAccountNonce { account: Address::ZERO, currentNonce: U256::from(3u64) };
        assert!(decode_revert(&nonce.abi_encode()).unwrap().starts_with("InvalidAccountNonce: "));
        let balance = IVotesErrors::ERC20InsufficientBalance {
            sender: Address::ZERO,
            balance: ONE_DML,
            needed: ONE_DML * U256::from(2u64),
        };
        assert!(decode_revert(&balance.abi_encode()).unwrap().ends_with("has 1 DML; this needs 2 DML"));
    }

    #[test]
    fn passes_reasons_through_and_names_panics() {
        let reason = Revert::from("task does not exist").abi_encode();
        assert_eq!(decode_revert(&reason).unwrap(), "task does not exist");
        let panic = Panic::from(alloy_sol_types::PanicKind::UnderOverflow).abi_encode();
        assert!(decode_revert(&panic).unwrap().starts_with("Panic: arithmetic underflow or overflow"));
        assert_eq!(decode_revert(&[]), None);
        assert_eq!(decode_revert(&[0x12, 0x34, 0x56, 0x78]), None);
    }

    #[test]
    fn every_declared_error_gets_a_sentence_starting_with_its_name() {
        // Zeroed arguments are valid for every parameter type these errors use,
        // except the dynamic `string`, which decodes from an empty tail.
        fn check(selectors: &[[u8; 4]], name_of: impl Fn([u8; 4]) -> Option<&'static str>) {
            for selector in selectors {
                let name = name_of(*selector).unwrap();
                let mut data = selector.to_vec();
                data.extend([0u8; 32 * 3]);
                if name == "StringTooLong" {
                    data = selector.to_vec();
                    data.extend(U256::from(32u64).to_be_bytes::<32>());
                    data.extend([0u8; 32]);
                }
                let sentence = decode_revert(&data).unwrap_or_else(|| panic!("{name} did not decode"));
                assert!(sentence.starts_with(&format!("{name}: ")), "{sentence}");
            }
        }
        check(IGovernorErrors::SELECTORS, IGovernorErrors::name_by_selector);
        check(ITimelockControllerErrors::SELECTORS, ITimelockControllerErrors::name_by_selector);
        check(IVotesErrorsErrors::SELECTORS, IVotesErrorsErrors::name_by_selector);
        check(ILiquidityStakingErrors::SELECTORS, ILiquidityStakingErrors::name_by_selector);
    }

    #[test]
    fn explains_staking_errors() {
        use crate::ILiquidityStaking;
        let data =
            ILiquidityStaking::InsufficientStake { staked: U256::from(5u64), requested: U256::from(7u64) }.abi_encode();
        assert_eq!(decode_revert(&data).unwrap(), "InsufficientStake: withdrawing 7 LP base units with only 5 staked");
        assert!(decode_revert(&ILiquidityStaking::ZeroAmount {}.abi_encode()).unwrap().starts_with("ZeroAmount: "));
    }
}
