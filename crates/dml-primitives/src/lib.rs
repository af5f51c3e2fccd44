//! Shared vocabulary of DML: identifiers, amounts, protocol constants and the
//! Solidity ABI of the engine and the DML token.
//!
//! The ABI is declared once, here, with alloy's [`sol!`](alloy_sol_types::sol)
//! macro; every encoder, decoder, selector and event topic elsewhere in the
//! workspace is generated from it. The engine interface is a superset of the
//! Arbius `EngineV1` contract (same function signatures, selectors and event
//! signatures; public getters return their members flattened, as the compiled
//! Solidity contract does), so code written for that engine works against DML.
//!
//! This crate holds no logic and no I/O. It is `no_std` (with `alloc`) because
//! the engine that uses it is compiled to WebAssembly for Arbitrum Stylus.
//!
//! ```
//! use dml_primitives::{IEngine, SolCall};
//! let call = IEngine::claimSolutionCall { taskid_: Default::default() };
//! assert_eq!(call.abi_encode().len(), 4 + 32);
//! ```
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub use alloy_primitives::{self, address, b256, keccak256, Address, Bytes, B256, U256};
pub use alloy_sol_types::{self, SolCall, SolError, SolEvent, SolInterface, SolValue};

/// Identifier of a task: `keccak256(abi.encode(sender, prevhash, model, fee, cid))`.
pub type TaskId = B256;
/// Identifier of a model: `keccak256(abi.encode(sender, addr, fee, cid))`.
pub type ModelId = B256;

/// One DML in base units (18 decimals).
pub const ONE_DML: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
/// The fixed-point unit of percentages and multipliers: 1e18 = 100 %.
pub const WAD: U256 = ONE_DML;
/// Hard cap on the DML supply: 1,000,000 DML.
pub const MAX_SUPPLY: U256 = U256::from_limbs([0x1bce_cced_a100_0000, 0xd3c2, 0, 0]);
/// The divisor that turns a task id into its model seed (≈ 2^53, see DESIGN.md).
pub const SEED_MODULUS: u64 = 0x1F_FFFF_FFFF_FFF0;
/// Largest task input `submitTask` accepts (one IPFS block).
pub const MAX_TASK_INPUT_BYTES: usize = 64 * 1024;
/// Most gas a task's callback may name: `submitTaskWithCallback` refuses more.
pub const MAX_CALLBACK_GAS: u64 = 5_000_000;
/// Most bytes of a failed callback's revert data that `CallbackFailed` carries.
pub const MAX_CALLBACK_REASON_BYTES: usize = 256;
/// Chain id of the local dev chain.
pub const DEV_CHAIN_ID: u64 = 31337;

/// The seed a solver must use for a task: `uint256(id) % 0x1FFFFFFFFFFFF0`.
pub fn task_seed(id: TaskId) -> u64 {
    let seed = U256::from_be_bytes(id.0) % U256::from(SEED_MODULUS);
    seed.to::<u64>()
}

alloy_sol_types::sol! {
    /// The DML engine: models, validators, tasks, solutions, contestations,
    /// emission and parameters. A superset of Arbius EngineV1.
    #[derive(Debug, PartialEq, Eq)]
    interface IEngine {
        // ---- events (Arbius EngineV1) ----
        event ModelRegistered(bytes32 indexed id);
        event ValidatorDeposit(address indexed addr, address indexed validator, uint256 amount);
        event ValidatorWithdrawInitiated(address indexed addr, uint256 indexed count, uint256 unlockTime, uint256 amount);
        event ValidatorWithdrawCancelled(address indexed addr, uint256 indexed count);
        event ValidatorWithdraw(address indexed addr, address indexed to, uint256 indexed count, uint256 amount);
        event TaskSubmitted(bytes32 indexed id, bytes32 indexed model, uint256 fee, address indexed sender);
        event TaskRetracted(bytes32 indexed id);
        event SignalCommitment(address indexed addr, bytes32 indexed commitment);
        event SolutionSubmitted(address indexed addr, bytes32 indexed task);
        event SolutionClaimed(address indexed addr, bytes32 indexed task);
        event ContestationSubmitted(address indexed addr, bytes32 indexed task);
        event ContestationVote(address indexed addr, bytes32 indexed task, bool yea);
        event ContestationVoteFinish(bytes32 indexed id, uint32 indexed start_idx, uint32 end_idx);
        event SignalSupport(address indexed addr, bytes32 indexed model, bool supported);
        event TreasuryTransferred(address indexed to);
        event PauserTransferred(address indexed to);
        event PausedChanged(bool indexed paused);
        event SolutionMineableRateChange(bytes32 indexed id, uint256 rate);
        event VersionChanged(uint256 version);
        event ValidatorMinimumPercentageChanged(uint256 indexed amount);
        event SlashAmountPercentageChanged(uint256 indexed amount);
        event SolutionFeePercentageChanged(uint256 indexed amount);
        event RetractionFeePercentageChanged(uint256 indexed amount);
        event TreasuryRewardPercentageChanged(uint256 indexed amount);
        event MinClaimSolutionTimeChanged(uint256 indexed amount);
        event MinRetractionWaitTimeChanged(uint256 indexed amount);
        event MinContestationVotePeriodTimeChanged(uint256 indexed amount);
        event MaxContestationValidatorStakeSinceChanged(uint256 indexed amount);
        event ExitValidatorMinUnlockTimeChanged(uint256 indexed amount);
        event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
        // ---- DML additions ----
        /// Share of each mint held for liquidity stakers changed.
        event LiquidityRewardPercentageChanged(uint256 indexed amount);
        /// The staking pool that receives the liquidity share changed.
        event LiquidityPoolTransferred(address indexed to);
        /// New DML minted for a paid task: the solver's share (paid with the
        /// fee) and the treasury's and liquidity pool's (held by the engine).
        event RewardsMinted(bytes32 indexed task, uint256 solver, uint256 treasury, uint256 liquidity);
        /// Accrued treasury fees were paid out.
        event AccruedFeesWithdrawn(address indexed to, uint256 amount);
        /// Accrued liquidity rewards were paid out to the pool.
        event LiquidityRewardsWithdrawn(address indexed to, uint256 amount);
        /// A contestation's outcome was settled for the task owner (`refunded`)
        /// or the solver; emitted once, by the first finish batch.
        event ContestationResolved(bytes32 indexed task, bool contestationWon, uint256 yeas, uint256 nays);

        // ---- delegated stake (DML additions, whitepaper §5) ----
        /// `delegator` deposited `amount` to `solver`'s delegation pool for `shares` of it.
        event StakeDelegated(address indexed delegator, address indexed solver, uint256 amount, uint256 shares);
        /// `delegator` started unbonding `amount` from `solver`'s pool: request `index`, withdrawable from `unlockTime`.
        event StakeUndelegated(address indexed delegator, address indexed solver, uint256 indexed index, uint256 amount, uint256 unlockTime);
        /// Unbonded stake left the engine.
        event DelegationWithdrawn(address indexed delegator, address indexed solver, address to, uint256 amount);
        /// A delegator's share of its pool's rewards was paid out.
        event DelegationRewardsPaid(address indexed delegator, address indexed solver, uint256 amount);
        /// A claim paid `solver` and its pool: `commission` kept by the solver, `pool` credited to the delegators.
        event DelegationRewards(bytes32 indexed task, address indexed solver, uint256 commission, uint256 pool);
        /// A lost contestation took the rest of the slash from `solver`'s pool: from its stake and from its unbonding stake.
        event DelegationSlashed(bytes32 indexed task, address indexed solver, uint256 stake, uint256 unbonding);
        /// `solver`'s commission becomes `commission` at `effectiveTime` (now for a cut, after the cooldown for a raise).
        event DelegationCommissionChanged(address indexed solver, uint256 commission, uint256 effectiveTime);
        /// `solver` opened or closed its pool to new delegations.
        event DelegationsAccepted(address indexed solver, bool accepted);
        /// The cap on counted delegation, as a multiple of the solver's own stake (1e18 = 1×), changed.
        event DelegationCapRatioChanged(uint256 indexed amount);
        /// The highest commission a solver may set changed.
        event MaxDelegationCommissionChanged(uint256 indexed amount);
        /// The time between commission changes (and before a raise applies) changed.
        event DelegationCommissionCooldownChanged(uint256 indexed amount);
        /// The unbonding delay of delegated stake changed.
        event DelegationUnbondingTimeChanged(uint256 indexed amount);

        // ---- calls into other contracts (DML additions) ----
        /// `from` gave `amount` of the ERC-20 `token` to the treasury.
        event TokenDonated(address indexed token, address indexed from, uint256 amount);
        /// A state-changing call reached the engine or the token while the engine had a call into another
        /// contract in flight (OpenZeppelin's `ReentrancyGuard` error); views are still answered.
        error ReentrancyGuardReentrantCall();
        /// An ERC-20 call answered something other than `true` or nothing, or `token` has no code
        /// (OpenZeppelin's `SafeERC20` error).
        error SafeERC20FailedOperation(address token);
        /// Moves `amount` of the ERC-20 `token` from the sender to the treasury with `transferFrom`
        /// (the sender approves the engine first), by `SafeERC20`'s rules: the token's revert bubbles up.
        /// DML is debited directly, as every engine function debits it. Emits `TokenDonated`.
        function donateToken(address token, uint256 amount) external;

        // ---- callbacks: contracts that request inference (DML additions, whitepaper appendix A) ----
        /// `task` was submitted with a callback: once its solution is final (claimed, or upheld by its
        /// contestation) the engine calls `IDmlTaskReceiver(callback).onTaskSolved(task, cid)` with
        /// exactly `gasLimit` gas; `fee` DML is escrowed for whoever sends the delivering transaction.
        event CallbackRequested(bytes32 indexed task, address indexed callback, uint64 gasLimit, uint256 fee);
        /// The input of a task submitted with a callback, for solvers: such a task is usually submitted
        /// by a contract, so its input is not in the transaction's calldata.
        event TaskInput(bytes32 indexed task, bytes input);
        /// The callback of `task` returned, having used `gasUsed` gas.
        event CallbackDelivered(bytes32 indexed task, address indexed callback, uint256 gasUsed);
        /// The callback of `task` reverted or ran out of its gas; `reason` is its revert data (at most
        /// 256 bytes). The task's owner or the callback contract may `retryCallback`.
        event CallbackFailed(bytes32 indexed task, address indexed callback, bytes reason);
        /// The task was retracted or its solution lost a contestation: nothing will be delivered, and
        /// the callback fee went back to the task's owner.
        event CallbackCancelled(bytes32 indexed task, address indexed callback);
        /// `submitTask`, and on the task's final solution a call to `callback_` with `callbackGasLimit_`
        /// gas (1 to 5,000,000). `callbackFee_` DML is debited with `fee_` and paid to the sender of the
        /// transaction that delivers (claim or contestation finish), or refunded to `owner_` if nothing is.
        function submitTaskWithCallback(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_, address callback_, uint64 callbackGasLimit_, uint256 callbackFee_) external returns (bytes32);
        /// Delivers a failed callback again, with `gasLimit_` gas (0: the task's own limit). Only the
        /// task's owner or its callback contract may.
        function retryCallback(bytes32 taskid_, uint64 gasLimit_) external;
        /// A task's callback: its contract, gas limit, status (0 none, 1 pending, 2 delivered,
        /// 3 failed, 4 cancelled) and the fee still escrowed.
        function callbacks(bytes32 taskid) external view returns (address callback, uint64 gasLimit, uint8 status, uint256 fee);

        // ---- roles and parameters ----
        function owner() external view returns (address);
        function transferOwnership(address to_) external;
        function baseToken() external view returns (address);
        function treasury() external view returns (address);
        function pauser() external view returns (address);
        function paused() external view returns (bool);
        function accruedFees() external view returns (uint256);
        function prevhash() external view returns (bytes32);
        function startBlockTime() external view returns (uint64);
        function version() external view returns (uint256);
        function validatorMinimumPercentage() external view returns (uint256);
        function slashAmountPercentage() external view returns (uint256);
        function solutionFeePercentage() external view returns (uint256);
        function retractionFeePercentage() external view returns (uint256);
        function treasuryRewardPercentage() external view returns (uint256);
        function minClaimSolutionTime() external view returns (uint256);
        function minRetractionWaitTime() external view returns (uint256);
        function minContestationVotePeriodTime() external view returns (uint256);
        function maxContestationValidatorStakeSince() external view returns (uint256);
        function exitValidatorMinUnlockTime() external view returns (uint256);
        function liquidityRewardPercentage() external view returns (uint256);
        function liquidityPool() external view returns (address);
        function accruedLiquidityRewards() external view returns (uint256);
        function emissionCap() external view returns (uint256);
        function totalEmitted() external view returns (uint256);

        function transferTreasury(address to_) external;
        function transferPauser(address to_) external;
        function transferLiquidityPool(address to_) external;
        function setPaused(bool paused_) external;
        function setSolutionMineableRate(bytes32 model_, uint256 rate_) external;
        function setVersion(uint256 version_) external;
        function setValidatorMinimumPercentage(uint256 amount_) external;
        function setSlashAmountPercentage(uint256 amount_) external;
        function setSolutionFeePercentage(uint256 amount_) external;
        function setRetractionFeePercentage(uint256 amount_) external;
        function setTreasuryRewardPercentage(uint256 amount_) external;
        function setLiquidityRewardPercentage(uint256 amount_) external;
        function setMinClaimSolutionTime(uint256 amount_) external;
        function setMinRetractionWaitTime(uint256 amount_) external;
        function setMinContestationVotePeriodTime(uint256 amount_) external;
        function setMaxContestationValidatorStakeSince(uint256 amount_) external;
        function setExitValidatorMinUnlockTime(uint256 amount_) external;

        // ---- delegated stake: parameters (governance) ----
        function delegationCapRatio() external view returns (uint256);
        function maxDelegationCommission() external view returns (uint256);
        function delegationCommissionCooldown() external view returns (uint256);
        function delegationUnbondingTime() external view returns (uint256);
        function setDelegationCapRatio(uint256 amount_) external;
        function setMaxDelegationCommission(uint256 amount_) external;
        function setDelegationCommissionCooldown(uint256 amount_) external;
        function setDelegationUnbondingTime(uint256 amount_) external;

        // ---- delegated stake ----
        /// Deposits `amount_` DML of the sender's to `solver_`'s delegation pool.
        function delegateStake(address solver_, uint256 amount_) external;
        /// Starts unbonding `amount_` of the sender's stake in `solver_`'s pool (`type(uint256).max`: all
        /// of it); returns the request's index.
        function undelegateStake(address solver_, uint256 amount_) external returns (uint256);
        /// Pays every unbonded request of the sender's in `solver_`'s pool to `to_`; returns the amount.
        function withdrawDelegation(address solver_, address to_) external returns (uint256);
        /// Pays the sender's pending rewards from `solver_`'s pool; returns the amount.
        function claimDelegationRewards(address solver_) external returns (uint256);
        /// The sender (a solver) sets the share of its earnings it keeps before its pool is paid.
        function setDelegationCommission(uint256 commission_) external;
        /// The sender (a solver) opens or closes its pool to new delegations.
        function setAcceptDelegations(bool accept_) external;
        /// A solver's pool: its bonded and unbonding stake and shares, the rewards it holds for its
        /// delegators, its commission (and a scheduled change) and whether it takes new delegations.
        function delegationPool(address solver) external view returns (uint256 stake, uint256 shares, uint256 unbondingStake, uint256 unbondingShares, uint256 rewardReserve, uint256 commission, uint256 nextCommission, uint256 nextCommissionTime, bool acceptsDelegations);
        /// One delegator's position in a solver's pool: bonded stake and shares, rewards not yet
        /// paid, stake unbonding (and how much of it is withdrawable now), and its requests' index range.
        function delegation(address delegator, address solver) external view returns (uint256 stake, uint256 shares, uint256 pendingRewards, uint256 unbonding, uint256 withdrawable, uint256 firstRequest, uint256 endRequest);
        /// An unbonding request: when it unlocks, what it is worth now, and its unbonding shares.
        function delegationUnbondingRequest(address delegator, address solver, uint256 index) external view returns (uint256 unlockTime, uint256 amount, uint256 shares);
        /// What a solver's eligibility counts: its own free stake, its pool's stake, and the part of that the cap counts.
        function solverStake(address solver) external view returns (uint256 own, uint256 delegated, uint256 counted);

        // ---- public state getters (flattened, as Solidity generates them) ----
        function models(bytes32 model) external view returns (uint256 fee, address addr, uint256 rate, bytes cid);
        function validators(address addr) external view returns (uint256 staked, uint256 since, address addr);
        function pendingValidatorWithdrawRequestsCount(address addr) external view returns (uint256);
        function pendingValidatorWithdrawRequests(address addr, uint256 count) external view returns (uint256 unlockTime, uint256 amount);
        function validatorWithdrawPendingAmount(address addr) external view returns (uint256);
        function tasks(bytes32 taskid) external view returns (bytes32 model, uint256 fee, address owner, uint64 blocktime, uint8 version, bytes cid);
        function commitments(bytes32 commitment) external view returns (uint256);
        function solutions(bytes32 taskid) external view returns (address validator, uint64 blocktime, bool claimed, bytes cid);
        function contestations(bytes32 taskid) external view returns (address validator, uint64 blocktime, uint32 finish_start_index, uint256 slashAmount);
        function contestationVoted(bytes32 taskid, address addr) external view returns (bool);
        function contestationVotedIndex(bytes32 taskid) external view returns (uint256);
        function contestationVoteYeas(bytes32 taskid, uint256 idx) external view returns (address);
        function contestationVoteNays(bytes32 taskid, uint256 idx) external view returns (address);

        // ---- pure and derived views ----
        function getSlashAmount() external view returns (uint256);
        function getValidatorMinimum() external view returns (uint256);
        function getPsuedoTotalSupply() external view returns (uint256);
        function generateIPFSCID(bytes calldata content_) external pure returns (bytes memory);
        function hashModel(Model memory o_, address sender_) external pure returns (bytes32);
        function hashTask(Task memory o_, address sender_, bytes32 prevhash_) external pure returns (bytes32);
        function targetTs(uint256 t) external view returns (uint256);
        function diffMul(uint256 t, uint256 ts) external view returns (uint256);
        function reward(uint256 t, uint256 ts) external view returns (uint256);
        function getReward() external view returns (uint256);
        function generateCommitment(address sender_, bytes32 taskid_, bytes calldata cid_) external pure returns (bytes32);
        function validatorCanVote(address addr_, bytes32 taskid_) external view returns (uint256);

        // ---- protocol ----
        function withdrawAccruedFees() external;
        function withdrawLiquidityRewards() external;
        function registerModel(address addr_, uint256 fee_, bytes calldata template_) external returns (bytes32);
        function validatorDeposit(address validator_, uint256 amount_) external;
        function initiateValidatorWithdraw(uint256 amount_) external returns (uint256);
        function cancelValidatorWithdraw(uint256 count_) external;
        function validatorWithdraw(uint256 count_, address to_) external;
        function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_) external returns (bytes32);
        function bulkSubmitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_, uint256 n_) external;
        function retractTask(bytes32 taskid_) external;
        function signalCommitment(bytes32 commitment_) external;
        function bulkSignalCommitment(bytes32[] calldata commitments_) external;
        function signalSupport(bytes32 model_, bool support_) external;
        function submitSolution(bytes32 taskid_, bytes calldata cid_) external;
        function bulkSubmitSolution(bytes32[] calldata taskids_, bytes[] calldata cids_) external;
        function claimSolution(bytes32 taskid_) external;
        function bulkClaimSolution(bytes32[] calldata taskids_) external;
        function submitContestation(bytes32 taskid_) external;
        function voteOnContestation(bytes32 taskid_, bool yea_) external;
        function contestationVoteFinish(bytes32 taskid_, uint32 amnt_) external;
    }

    /// What a contract implements to receive the engine's callbacks (`submitTaskWithCallback`).
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlTaskReceiver {
        /// Called by the engine once `taskid`'s solution `cid` (a CIDv0 multihash) is final.
        function onTaskSolved(bytes32 taskid, bytes calldata cid) external;
    }

    /// A model as `hashModel` takes it (Arbius EngineV1 layout).
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Model {
        uint256 fee;
        address addr;
        uint256 rate;
        bytes cid;
    }

    /// A task as `hashTask` takes it (Arbius EngineV1 layout).
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Task {
        bytes32 model;
        uint256 fee;
        address owner;
        uint64 blocktime;
        uint8 version;
        bytes cid;
    }

    /// The DML token: a standard ERC-20 whose supply only the engine mints.
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlToken {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);

        function name() external view returns (string memory);
        function symbol() external view returns (string memory);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function cap() external view returns (uint256);
        function engine() external view returns (address);
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);

        // ---- votes (ERC-5805, ERC-6372), as OpenZeppelin's ERC20Votes ----
        /// `delegator` now delegates its votes to `toDelegate`.
        event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate);
        /// The votes `delegate` holds changed.
        event DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes);

        /// The clock votes are counted by: the block timestamp.
        function clock() external view returns (uint48);
        /// `"mode=timestamp"`.
        function CLOCK_MODE() external view returns (string memory);
        /// Whom `account` delegates its votes to (zero: nobody, so they count nowhere).
        function delegates(address account) external view returns (address);
        /// Delegates the sender's votes.
        function delegate(address delegatee) external;
        /// Delegates the votes of the account that signed an EIP-712 `Delegation`.
        function delegateBySig(address delegatee, uint256 nonce, uint256 expiry, uint8 v, bytes32 r, bytes32 s) external;
        /// Votes delegated to `account` now.
        function getVotes(address account) external view returns (uint256);
        /// Votes delegated to `account` at a past `timepoint`.
        function getPastVotes(address account, uint256 timepoint) external view returns (uint256);
        /// Total supply at a past `timepoint`.
        function getPastTotalSupply(uint256 timepoint) external view returns (uint256);
        /// How many checkpoints `account`'s votes have.
        function numCheckpoints(address account) external view returns (uint32);
        /// One of `account`'s checkpoints.
        function checkpoints(address account, uint32 pos) external view returns (Checkpoint208 memory);

        // ---- EIP-2612 permit and its EIP-712 domain ----
        /// The next nonce of `owner`'s signatures (shared by `permit` and `delegateBySig`).
        function nonces(address owner) external view returns (uint256);
        /// The EIP-712 domain separator: name "DML", version "1", this chain, this contract.
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        /// The EIP-712 domain's fields (ERC-5267).
        function eip712Domain() external view returns (bytes1 fields, string memory name, string memory version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] memory extensions);
        /// Sets an allowance by `owner`'s EIP-712 `Permit` signature.
        function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

        // ---- custom errors, as OpenZeppelin's ----
        /// A past look-up at or after the current clock.
        error ERC5805FutureLookup(uint256 timepoint, uint48 clock);
        /// A `delegateBySig` signature past its expiry.
        error VotesExpiredSignature(uint256 expiry);
        /// A signature with another nonce than the account's next.
        error InvalidAccountNonce(address account, uint256 currentNonce);
        /// A `permit` signature past its deadline.
        error ERC2612ExpiredSignature(uint256 deadline);
        /// A `permit` signed by someone else than `owner`.
        error ERC2612InvalidSigner(address signer, address owner);
        /// The signature recovers to no address.
        error ECDSAInvalidSignature();
        /// The signature's `s` is in the upper half of the curve order (malleable).
        error ECDSAInvalidSignatureS(bytes32 s);
    }

    /// The ERC-20 functions the engine calls on other tokens, and OpenZeppelin's
    /// ERC-20 errors (`IERC20Errors`) that such tokens revert with.
    #[derive(Debug, PartialEq, Eq)]
    interface IERC20 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);

        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);

        /// `sender` holds `balance`, less than the `needed` amount.
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        /// `spender` may move `allowance`, less than the `needed` amount.
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
        /// A transfer from the zero address.
        error ERC20InvalidSender(address sender);
        /// A transfer to the zero address.
        error ERC20InvalidReceiver(address receiver);
    }

    /// A checkpoint of votes or supply: from time `_key` on, `_value`.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Checkpoint208 {
        uint48 _key;
        uint208 _value;
    }

    /// The EIP-712 `Delegation` message `delegateBySig` takes.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Delegation {
        address delegatee;
        uint256 nonce;
        uint256 expiry;
    }

    /// The EIP-2612 `Permit` message.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

/// The DML token's EIP-712 domain name.
pub const TOKEN_EIP712_NAME: &str = "DML";
/// The DML token's EIP-712 domain version.
pub const TOKEN_EIP712_VERSION: &str = "1";

/// The standard Solidity `Error(string)` revert payload.
pub use alloy_sol_types::Revert as RevertReason;

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn constants_have_their_decimal_values() {
        assert_eq!(ONE_DML, U256::from(10u64).pow(U256::from(18)));
        assert_eq!(MAX_SUPPLY, U256::from(1_000_000u64) * ONE_DML);
        assert_eq!(SEED_MODULUS, 0x1FFFFFFFFFFFF0);
    }

    #[test]
    fn selectors_match_arbius_engine_v1() {
        // Selectors of the deployed Arbius EngineV1 (keccak of the signature).
        let cases: [(&str, [u8; 4]); 6] = [
            ("submitTask(uint8,address,bytes32,uint256,bytes)", IEngine::submitTaskCall::SELECTOR),
            ("signalCommitment(bytes32)", IEngine::signalCommitmentCall::SELECTOR),
            ("submitSolution(bytes32,bytes)", IEngine::submitSolutionCall::SELECTOR),
            ("claimSolution(bytes32)", IEngine::claimSolutionCall::SELECTOR),
            ("contestationVoteFinish(bytes32,uint32)", IEngine::contestationVoteFinishCall::SELECTOR),
            ("bulkSubmitSolution(bytes32[],bytes[])", IEngine::bulkSubmitSolutionCall::SELECTOR),
        ];
        for (signature, selector) in cases {
            assert_eq!(keccak256(signature.as_bytes())[..4], selector, "{signature}");
        }
        assert_eq!(IEngine::bulkSubmitSolutionCall::SELECTOR, hex!("65d445fb"));
        assert_eq!(IDmlToken::transferCall::SELECTOR, hex!("a9059cbb"));
    }

    #[test]
    fn event_topics_match_their_signatures() {
        assert_eq!(IEngine::TaskSubmitted::SIGNATURE_HASH, keccak256("TaskSubmitted(bytes32,bytes32,uint256,address)"));
        assert_eq!(IDmlToken::Transfer::SIGNATURE_HASH, keccak256("Transfer(address,address,uint256)"));
    }

    #[test]
    fn seed_is_task_id_modulo_the_seed_modulus() {
        assert_eq!(task_seed(B256::ZERO), 0);
        let id = B256::with_last_byte(0xff);
        assert_eq!(task_seed(id), 0xff);
        let max = B256::repeat_byte(0xff);
        let expected = U256::MAX % U256::from(SEED_MODULUS);
        assert_eq!(U256::from(task_seed(max)), expected);
        assert!(task_seed(max) < SEED_MODULUS);
    }
}
