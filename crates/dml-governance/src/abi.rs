//! The Solidity ABI of the compiled contracts, declared once with alloy's
//! [`sol!`](alloy_sol_types::sol): `DMLGovernor` ([`IGovernor`]), OpenZeppelin's
//! `TimelockController` ([`ITimelockController`]) and the custom errors an
//! OpenZeppelin-style votes token reverts with ([`IVotesErrors`]).
//!
//! The declarations follow the committed artifacts' ABI exactly (same names,
//! types and order of parameters); the crate's tests compare every selector and
//! topic with the artifact JSON. Overloaded functions get alloy's suffixes in
//! declaration order: the first declared overload is `_0`, the next `_1`.
//!
//! Proposal and operation states travel as `uint8` (and bitmaps of them as
//! `bytes32`); [`ProposalState`](crate::ProposalState) and
//! [`OperationState`](crate::OperationState) give them names.

// `sol!` gives each event a constructor taking every field; `ProposalCreated` has nine.
#![allow(clippy::too_many_arguments)]

alloy_sol_types::sol! {
    /// `DMLGovernor`: OpenZeppelin 5.x `Governor` with `GovernorSettings`,
    /// `GovernorCountingSimple`, `GovernorVotes`, `GovernorVotesQuorumFraction`,
    /// `GovernorTimelockControl` and `GovernorStorage`.
    ///
    /// Timepoints (snapshots, deadlines, `clock`) are the token's clock:
    /// seconds. Votes and thresholds are token base units.
    #[derive(Debug, PartialEq, Eq)]
    interface IGovernor {
        // ---- events ----
        /// A proposal was made; voting runs from `voteStart` to `voteEnd` (clock timepoints).
        event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description);
        /// A passed proposal went to the timelock; it may run from `etaSeconds` on.
        event ProposalQueued(uint256 proposalId, uint256 etaSeconds);
        /// A proposal's calls ran.
        event ProposalExecuted(uint256 proposalId);
        /// A proposal was canceled.
        event ProposalCanceled(uint256 proposalId);
        /// `voter` voted (`support`: 0 against, 1 for, 2 abstain) with `weight` votes.
        event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason);
        /// As `VoteCast`, with the extra `params` a counting module may read.
        event VoteCastWithParams(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason, bytes params);
        /// Governance changed the voting delay.
        event VotingDelaySet(uint256 oldVotingDelay, uint256 newVotingDelay);
        /// Governance changed the voting period.
        event VotingPeriodSet(uint256 oldVotingPeriod, uint256 newVotingPeriod);
        /// Governance changed the proposal threshold.
        event ProposalThresholdSet(uint256 oldProposalThreshold, uint256 newProposalThreshold);
        /// Governance changed the quorum numerator (percent).
        event QuorumNumeratorUpdated(uint256 oldQuorumNumerator, uint256 newQuorumNumerator);
        /// Governance moved execution to another timelock.
        event TimelockChange(address oldTimelock, address newTimelock);
        /// The EIP-712 domain changed (ERC-5267).
        event EIP712DomainChanged();

        // ---- errors (Governor, GovernorVotesQuorumFraction and the utilities they use) ----
        /// A proposal's targets, values and calldatas differ in length, or are empty.
        error GovernorInvalidProposalLength(uint256 targets, uint256 calldatas, uint256 values);
        /// `voter` already voted on this proposal.
        error GovernorAlreadyCastVote(address voter);
        /// ETH sent to a governor whose executor is another contract.
        error GovernorDisabledDeposit();
        /// A governance-only function called by someone else than the executor.
        error GovernorOnlyExecutor(address account);
        /// No proposal has this id.
        error GovernorNonexistentProposal(uint256 proposalId);
        /// The proposal is in state `current`; the call needs one of the states whose bit is set in `expectedStates`.
        error GovernorUnexpectedProposalState(uint256 proposalId, uint8 current, bytes32 expectedStates);
        /// A voting period of zero.
        error GovernorInvalidVotingPeriod(uint256 votingPeriod);
        /// `proposer` has `votes`, below the proposal threshold.
        error GovernorInsufficientProposerVotes(address proposer, uint256 votes, uint256 threshold);
        /// The description restricts the proposal to another proposer (`#proposer=` suffix).
        error GovernorRestrictedProposer(address proposer);
        /// `support` is not a vote type of the counting module.
        error GovernorInvalidVoteType();
        /// Vote params the counting module does not take.
        error GovernorInvalidVoteParams();
        /// Queueing a proposal that needs no queueing.
        error GovernorProposalQueueingNotRequired(uint256 proposalId);
        /// Queueing returned no eta.
        error GovernorProposalQueueingFailed(uint256 proposalId);
        /// The proposal is already queued.
        error GovernorAlreadyQueuedProposal(uint256 proposalId);
        /// A vote signature that does not recover to `voter`.
        error GovernorInvalidSignature(address voter);
        /// `account` may not cancel the proposal (only its proposer, while Pending).
        error GovernorUnableToCancel(uint256 proposalId, address account);
        /// A quorum numerator above the denominator.
        error GovernorInvalidQuorumFraction(uint256 quorumNumerator, uint256 quorumDenominator);
        /// The token's `clock()` and `CLOCK_MODE()` disagree.
        error ERC6372InconsistentClock();
        /// A vote signature with another nonce than the voter's next.
        error InvalidAccountNonce(address account, uint256 currentNonce);
        /// A low-level call reverted without data.
        error FailedCall();
        /// A checkpoint written before the last one.
        error CheckpointUnorderedInsertion();
        /// A value too large for its narrower integer type.
        error SafeCastOverflowedUintDowncast(uint8 bits, uint256 value);
        /// A short string longer than 31 bytes.
        error StringTooLong(string str);
        /// A malformed short string.
        error InvalidShortString();

        // ---- identity, clock, counting ----
        /// "DML Governor".
        function name() external view returns (string memory);
        /// The governor's version ("1").
        function version() external view returns (string memory);
        /// How votes are counted: "support=bravo&quorum=for,abstain".
        function COUNTING_MODE() external pure returns (string memory);
        /// The current timepoint of the token's clock (seconds).
        function clock() external view returns (uint48);
        /// The token's clock mode ("mode=timestamp").
        function CLOCK_MODE() external view returns (string memory);
        /// The votes token.
        function token() external view returns (address);
        /// The timelock that executes passed proposals.
        function timelock() external view returns (address);
        /// Whether the governor implements an ERC-165 interface.
        function supportsInterface(bytes4 interfaceId) external view returns (bool);
        /// EIP-712 type hash of a signed vote.
        function BALLOT_TYPEHASH() external view returns (bytes32);
        /// EIP-712 type hash of a signed vote with reason and params.
        function EXTENDED_BALLOT_TYPEHASH() external view returns (bytes32);
        /// The EIP-712 domain's fields (ERC-5267).
        function eip712Domain() external view returns (bytes1 fields, string memory name, string memory version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] memory extensions);
        /// The next nonce of `owner`'s vote signatures.
        function nonces(address owner) external view returns (uint256);

        // ---- proposals ----
        /// The id of a proposal: `keccak256(abi.encode(targets, values, calldatas, descriptionHash))`.
        function hashProposal(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external pure returns (uint256);
        /// The id a proposal with these calls has (equal to `hashProposal` here).
        function getProposalId(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external view returns (uint256);
        /// The proposal's state (`ProposalState` as `uint8`).
        function state(uint256 proposalId) external view returns (uint8);
        /// Votes needed to propose (token base units).
        function proposalThreshold() external view returns (uint256);
        /// The timepoint at which votes are counted; voting starts after it.
        function proposalSnapshot(uint256 proposalId) external view returns (uint256);
        /// The last timepoint of voting.
        function proposalDeadline(uint256 proposalId) external view returns (uint256);
        /// Who made the proposal.
        function proposalProposer(uint256 proposalId) external view returns (address);
        /// When a queued proposal may run (unix seconds); 0 when not queued.
        function proposalEta(uint256 proposalId) external view returns (uint256);
        /// Whether the proposal must be queued before it runs (always, through the timelock).
        function proposalNeedsQueuing(uint256 proposalId) external view returns (bool);
        /// Seconds between a proposal and its snapshot.
        function votingDelay() external view returns (uint256);
        /// Seconds a vote stays open.
        function votingPeriod() external view returns (uint256);
        /// Votes needed for quorum at `timepoint` (for + abstain).
        function quorum(uint256 timepoint) external view returns (uint256);
        /// The current quorum numerator (percent).
        function quorumNumerator() external view returns (uint256);
        /// The quorum numerator in force at `timepoint`.
        function quorumNumerator(uint256 timepoint) external view returns (uint256);
        /// The quorum denominator (100).
        function quorumDenominator() external view returns (uint256);
        /// `account`'s votes at `timepoint`.
        function getVotes(address account, uint256 timepoint) external view returns (uint256);
        /// `account`'s votes at `timepoint` given vote params.
        function getVotesWithParams(address account, uint256 timepoint, bytes memory params) external view returns (uint256);
        /// Whether `account` voted on the proposal.
        function hasVoted(uint256 proposalId, address account) external view returns (bool);
        /// The proposal's tally.
        function proposalVotes(uint256 proposalId) external view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes);
        /// Proposes calls; returns the proposal id.
        function propose(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory description) external returns (uint256);
        /// Queues a succeeded proposal in the timelock; returns its id.
        function queue(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external returns (uint256);
        /// Queues a succeeded proposal by id (its calls are stored on chain).
        function queue(uint256 proposalId) external;
        /// Runs a queued proposal whose eta has come; returns its id.
        function execute(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external payable returns (uint256);
        /// Runs a queued proposal by id.
        function execute(uint256 proposalId) external payable;
        /// Cancels a pending proposal (its proposer only); returns its id.
        function cancel(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) external returns (uint256);
        /// Cancels a pending proposal by id.
        function cancel(uint256 proposalId) external;
        /// Votes: `support` 0 against, 1 for, 2 abstain; returns the weight.
        function castVote(uint256 proposalId, uint8 support) external returns (uint256);
        /// Votes with a reason.
        function castVoteWithReason(uint256 proposalId, uint8 support, string calldata reason) external returns (uint256);
        /// Votes with a reason and params.
        function castVoteWithReasonAndParams(uint256 proposalId, uint8 support, string calldata reason, bytes memory params) external returns (uint256);
        /// Casts `voter`'s EIP-712-signed vote.
        function castVoteBySig(uint256 proposalId, uint8 support, address voter, bytes memory signature) external returns (uint256);
        /// Casts `voter`'s EIP-712-signed vote with reason and params.
        function castVoteWithReasonAndParamsBySig(uint256 proposalId, uint8 support, address voter, string calldata reason, bytes memory params, bytes memory signature) external returns (uint256);
        /// How many proposals were made.
        function proposalCount() external view returns (uint256);
        /// The stored calls of a proposal.
        function proposalDetails(uint256 proposalId) external view returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash);
        /// The `index`-th proposal (in order of creation) and its calls.
        function proposalDetailsAt(uint256 index) external view returns (uint256 proposalId, address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash);

        // ---- governance-only (called by the timelock as part of a proposal) ----
        /// Sets the voting delay (seconds).
        function setVotingDelay(uint48 newVotingDelay) external;
        /// Sets the voting period (seconds).
        function setVotingPeriod(uint32 newVotingPeriod) external;
        /// Sets the proposal threshold (token base units).
        function setProposalThreshold(uint256 newProposalThreshold) external;
        /// Sets the quorum numerator (percent).
        function updateQuorumNumerator(uint256 newQuorumNumerator) external;
        /// Moves execution to another timelock.
        function updateTimelock(address newTimelock) external;
        /// Makes a call from the governor itself (to recover assets sent to it).
        function relay(address target, uint256 value, bytes calldata data) external payable;
    }

    /// OpenZeppelin 5.x `TimelockController`, compiled unmodified: the executor
    /// of passed proposals and the owner of everything governance controls.
    #[derive(Debug, PartialEq, Eq)]
    interface ITimelockController {
        // ---- events ----
        /// Call `index` of operation `id` was scheduled, runnable after `delay` seconds.
        event CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay);
        /// Call `index` of operation `id` ran.
        event CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data);
        /// Operation `id` was scheduled with a non-zero salt.
        event CallSalt(bytes32 indexed id, bytes32 salt);
        /// Operation `id` was canceled.
        event Cancelled(bytes32 indexed id);
        /// The minimum delay changed.
        event MinDelayChange(uint256 oldDuration, uint256 newDuration);
        /// `role`'s admin role changed.
        event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole);
        /// `account` was granted `role` by `sender`.
        event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
        /// `account` lost `role` (revoked by `sender`, or renounced).
        event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);

        // ---- errors ----
        /// A batch whose targets, payloads and values differ in length.
        error TimelockInvalidOperationLength(uint256 targets, uint256 payloads, uint256 values);
        /// A delay below the minimum.
        error TimelockInsufficientDelay(uint256 delay, uint256 minDelay);
        /// The operation is not in one of the states whose bit is set in `expectedStates`.
        error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates);
        /// The operation's predecessor has not run.
        error TimelockUnexecutedPredecessor(bytes32 predecessorId);
        /// A self-administration call (`updateDelay`) not made by the timelock itself.
        error TimelockUnauthorizedCaller(address caller);
        /// `account` lacks `neededRole`.
        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
        /// `renounceRole` with a confirmation other than the sender.
        error AccessControlBadConfirmation();
        /// A call of the operation reverted without data.
        error FailedCall();

        // ---- roles ----
        /// The role of those who may schedule (the governor).
        function PROPOSER_ROLE() external view returns (bytes32);
        /// The role of those who may execute (`address(0)` holding it: anyone).
        function EXECUTOR_ROLE() external view returns (bytes32);
        /// The role of those who may cancel.
        function CANCELLER_ROLE() external view returns (bytes32);
        /// The admin of every role (zero).
        function DEFAULT_ADMIN_ROLE() external view returns (bytes32);
        /// Whether `account` holds `role`.
        function hasRole(bytes32 role, address account) external view returns (bool);
        /// The admin role of `role`.
        function getRoleAdmin(bytes32 role) external view returns (bytes32);
        /// Grants `role` (its admin only).
        function grantRole(bytes32 role, address account) external;
        /// Revokes `role` (its admin only).
        function revokeRole(bytes32 role, address account) external;
        /// Gives up one of the sender's roles; `callerConfirmation` must be the sender.
        function renounceRole(bytes32 role, address callerConfirmation) external;
        /// Whether the timelock implements an ERC-165 interface.
        function supportsInterface(bytes4 interfaceId) external view returns (bool);

        // ---- operations ----
        /// Seconds an operation waits between scheduling and execution, at least.
        function getMinDelay() external view returns (uint256);
        /// When operation `id` becomes ready (unix seconds); 0 unset, 1 done.
        function getTimestamp(bytes32 id) external view returns (uint256);
        /// Operation `id`'s state (`OperationState` as `uint8`).
        function getOperationState(bytes32 id) external view returns (uint8);
        /// Whether operation `id` was ever scheduled.
        function isOperation(bytes32 id) external view returns (bool);
        /// Whether operation `id` waits or is ready.
        function isOperationPending(bytes32 id) external view returns (bool);
        /// Whether operation `id` may run now.
        function isOperationReady(bytes32 id) external view returns (bool);
        /// Whether operation `id` ran.
        function isOperationDone(bytes32 id) external view returns (bool);
        /// The id of a single-call operation.
        function hashOperation(address target, uint256 value, bytes calldata data, bytes32 predecessor, bytes32 salt) external pure returns (bytes32);
        /// The id of a batch operation (what the governor schedules).
        function hashOperationBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata payloads, bytes32 predecessor, bytes32 salt) external pure returns (bytes32);
        /// Schedules a single call (proposer role).
        function schedule(address target, uint256 value, bytes calldata data, bytes32 predecessor, bytes32 salt, uint256 delay) external;
        /// Schedules a batch (proposer role).
        function scheduleBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata payloads, bytes32 predecessor, bytes32 salt, uint256 delay) external;
        /// Cancels a pending operation (canceller role).
        function cancel(bytes32 id) external;
        /// Runs a ready single-call operation (executor role).
        function execute(address target, uint256 value, bytes calldata payload, bytes32 predecessor, bytes32 salt) external payable;
        /// Runs a ready batch (executor role).
        function executeBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata payloads, bytes32 predecessor, bytes32 salt) external payable;
        /// Changes the minimum delay; only the timelock itself may call it (through a proposal).
        function updateDelay(uint256 newDelay) external;
    }

    /// The custom errors an OpenZeppelin 5.x `ERC20` + `ERC20Permit` +
    /// `ERC20Votes` token reverts with. The native DML token reverts with
    /// exactly these, so one decoder serves both.
    #[derive(Debug, PartialEq, Eq)]
    interface IVotesErrors {
        /// A look-up of votes or supply at `timepoint`, not before the current `clock`.
        error ERC5805FutureLookup(uint256 timepoint, uint48 clock);
        /// The token's `clock()` and `CLOCK_MODE()` disagree.
        error ERC6372InconsistentClock();
        /// A `delegateBySig` signature past its expiry.
        error VotesExpiredSignature(uint256 expiry);
        /// A signature with another nonce than the account's next.
        error InvalidAccountNonce(address account, uint256 currentNonce);
        /// A `permit` signature past its deadline.
        error ERC2612ExpiredSignature(uint256 deadline);
        /// A `permit` signed by someone else than `owner`.
        error ERC2612InvalidSigner(address signer, address owner);
        /// A signature that recovers to no address.
        error ECDSAInvalidSignature();
        /// A signature of the wrong length.
        error ECDSAInvalidSignatureLength(uint256 length);
        /// A signature whose `s` is in the upper half of the curve order (malleable).
        error ECDSAInvalidSignatureS(bytes32 s);
        /// `sender` has `balance`, less than the `needed` amount.
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        /// `spender` may spend `allowance`, less than the `needed` amount.
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
        /// A transfer from the zero address.
        error ERC20InvalidSender(address sender);
        /// A transfer to the zero address.
        error ERC20InvalidReceiver(address receiver);
        /// An approval by the zero address.
        error ERC20InvalidApprover(address approver);
        /// An approval of the zero address.
        error ERC20InvalidSpender(address spender);
        /// A mint that would take the supply past what checkpoints can hold.
        error ERC20ExceededSafeSupply(uint256 increasedSupply, uint256 cap);
        /// A checkpoint written before the last one.
        error CheckpointUnorderedInsertion();
        /// A value too large for its narrower integer type.
        error SafeCastOverflowedUintDowncast(uint8 bits, uint256 value);
    }
}
