//! Where each piece of state lives: slot numbers and bit fields, laid out as
//! a Solidity contract would declare them (simple variables from slot 0,
//! mappings at `keccak256(key . slot)`, struct fields packed into words).
//!
//! Amounts are packed into 85- or 96-bit fields: every amount is bounded by
//! the 1,000,000 DML cap (< 2^80 base units), so no packed amount can
//! overflow its field. Times are Unix seconds in 40-bit fields (until the
//! year 36812); the engine refuses timestamps beyond that.

use alloy_primitives::U256;

/// Engine simple variables.
pub mod engine {
    /// `owner`.
    pub const OWNER: u64 = 0;
    /// `pauser`.
    pub const PAUSER: u64 = 1;
    /// `treasury`.
    pub const TREASURY: u64 = 2;
    /// `liquidityPool`.
    pub const LIQUIDITY_POOL: u64 = 3;
    /// `prevhash`.
    pub const PREVHASH: u64 = 4;
    /// `version`.
    pub const VERSION: u64 = 5;
    /// Emission cap (the cap less the genesis allocation, 0..96), start time
    /// (96..160) and the delegation cap ratio (160..224): what every claim reads.
    pub const EMISSION: u64 = 6;
    /// `totalEmitted` (0..85), `accruedFees` (85..170), `accruedLiquidityRewards` (170..255), `paused` (255):
    /// the words every claim touches, in one slot.
    pub const LEDGER: u64 = 7;
    /// What a claim reads: solution fee %, treasury reward %, liquidity reward %, claim window.
    pub const CLAIM_PARAMETERS: u64 = 8;
    /// validator minimum %, slash %, retraction fee %, retraction wait.
    pub const STAKE_PARAMETERS: u64 = 9;
    /// vote period, stake-since slack, withdraw unlock time, delegation unbonding time.
    pub const TIME_PARAMETERS: u64 = 10;
    /// maximum commission, commission cooldown.
    pub const DELEGATION_PARAMETERS: u64 = 11;

    /// `models`: id → [addr|fee, rate, template cid digest].
    pub const MODELS: u64 = 20;
    /// `validators`: address → staked (0..96) | pending withdraw (96..192) | since (192..248) | registered (248).
    pub const VALIDATORS: u64 = 21;
    /// `pendingValidatorWithdrawRequestsCount`: address → count.
    pub const WITHDRAW_COUNT: u64 = 22;
    /// `pendingValidatorWithdrawRequests`: address → count → unlock time (0..64) | amount (64..160).
    pub const WITHDRAW_REQUESTS: u64 = 23;
    /// `tasks`: id → [model, input cid digest, owner|fee, solver|times|version|status, solution cid digest].
    pub const TASKS: u64 = 24;
    /// `commitments`: commitment → block number.
    pub const COMMITMENTS: u64 = 25;
    /// `contestations`: id → [validator|blocktime|finish index, slash amount].
    /// Word 1 is written by `submitSolution`: the slash its solver escrowed,
    /// cleared by the claim, the slash of every vote if it is contested.
    pub const CONTESTATIONS: u64 = 26;
    /// `contestationVoted`: id → address → bool.
    pub const VOTED: u64 = 27;
    /// `contestationVoteYeas`: id → address[].
    pub const YEAS: u64 = 28;
    /// `contestationVoteNays`: id → address[].
    pub const NAYS: u64 = 29;
    /// Delegation pools: solver → [terms, bonded, unbonding, rewards, shares] (see
    /// [`pool_word`](super::pool_word)).
    pub const DELEGATION_POOLS: u64 = 30;
    /// Delegations: solver → delegator → [shares | request range, rewards settled].
    pub const DELEGATIONS: u64 = 31;
    /// Unbonding requests: solver → delegator → index → unlock time | unbonding shares.
    pub const UNBONDING_REQUESTS: u64 = 32;
    /// `callbacks`: task id → [callback contract (0..160) | gas limit
    /// (160..224) | status (224..232, see [`CallbackStatus`](super::CallbackStatus)),
    /// callback fee still escrowed].
    pub const CALLBACKS: u64 = 33;
}

/// Transient storage (EIP-1153): cleared at the end of every transaction.
pub mod transient {
    use alloy_primitives::{b256, U256};

    /// The reentrancy guard, in the transient storage of both the engine
    /// and the token: non-zero while the engine has a call into another
    /// contract in flight. OpenZeppelin's `ReentrancyGuardTransient` slot,
    /// `keccak256(abi.encode(uint256(keccak256("openzeppelin.storage.ReentrancyGuard")) - 1)) & ~bytes32(uint256(0xff))`.
    pub const REENTRANCY_GUARD: U256 =
        U256::from_be_bytes(b256!("9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00").0);
}

/// Token simple variables and mappings.
pub mod token {
    /// `totalSupply` (0..128) and the engine's own balance (128..256): the
    /// engine's escrow moves on almost every call, and a mint changes both, so
    /// they share a slot.
    pub const SUPPLY_AND_ENGINE_BALANCE: u64 = 0;
    /// `balanceOf` and `delegates`: address → amount (0..96) | delegatee
    /// (96..256). A transfer reads both sides' balances anyway, so packing
    /// the delegatee beside the balance makes finding whose votes move free.
    pub const BALANCES: u64 = 1;
    /// `allowance`: owner → spender → amount.
    pub const ALLOWANCES: u64 = 2;
    /// The votes of each delegate: address → checkpoint list (see [`CHECKPOINT`](super::field::CHECKPOINT)).
    pub const VOTE_CHECKPOINTS: u64 = 3;
    /// The total supply's checkpoint list.
    pub const SUPPLY_CHECKPOINTS: u64 = 4;
    /// `nonces`: address → the next nonce of its `permit` and `delegateBySig` signatures.
    pub const NONCES: u64 = 5;
}

/// Bit fields of packed words: (offset, width).
pub mod field {
    /// An address in the low bits.
    pub const ADDRESS: (usize, usize) = (0, 160);

    /// Ledger: DML minted by the engine so far.
    pub const TOTAL_EMITTED: (usize, usize) = (0, 85);
    /// Ledger: treasury fees and rewards held by the engine.
    pub const ACCRUED_FEES: (usize, usize) = (85, 85);
    /// Ledger: liquidity-staker rewards held by the engine.
    pub const ACCRUED_LIQUIDITY: (usize, usize) = (170, 85);
    /// Ledger: the pauser's switch.
    pub const PAUSED: (usize, usize) = (255, 1);

    /// Token: total supply.
    pub const TOTAL_SUPPLY: (usize, usize) = (0, 128);
    /// Token: the engine's balance.
    pub const ENGINE_BALANCE: (usize, usize) = (128, 128);
    /// Token balance word: the amount.
    pub const BALANCE: (usize, usize) = (0, 96);
    /// Token balance word: whom the holder delegates its votes to.
    pub const DELEGATEE: (usize, usize) = (96, 160);
    /// A checkpoint list keeps its length at its slot and its checkpoints
    /// two to a word from `keccak256(slot)` on: checkpoint `i` is the
    /// 128-bit half `i % 2` (0 = low bits) of word `i / 2`. (OpenZeppelin
    /// spends a word per checkpoint; votes and supply fit 80 bits, so two
    /// fit one word and every other new checkpoint costs a reset, not a set.)
    pub const CHECKPOINT: usize = 128;
    /// Checkpoint: from when it holds (the clock: Unix seconds, as uint48).
    pub const CHECKPOINT_KEY: (usize, usize) = (0, 48);
    /// Checkpoint: the votes or the supply from then on.
    pub const CHECKPOINT_VALUE: (usize, usize) = (48, 80);

    /// Four 64-bit parameters per word.
    pub const QUARTER: [(usize, usize); 4] = [(0, 64), (64, 64), (128, 64), (192, 64)];
    /// Emission cap.
    pub const EMISSION_CAP: (usize, usize) = (0, 96);
    /// Start of the emission curve.
    pub const START_TIME: (usize, usize) = (96, 64);
    /// The delegation cap ratio, beside what a claim reads anyway.
    pub const DELEGATION_CAP_RATIO: (usize, usize) = (160, 64);

    /// Model word 0: fee beside the address.
    pub const MODEL_FEE: (usize, usize) = (160, 96);

    /// Validator: staked amount.
    pub const STAKED: (usize, usize) = (0, 96);
    /// Validator: amount queued for withdrawal.
    pub const PENDING: (usize, usize) = (96, 96);
    /// Validator: when the stake first reached the minimum.
    pub const SINCE: (usize, usize) = (192, 56);
    /// Validator: has ever deposited.
    pub const REGISTERED: (usize, usize) = (248, 8);

    /// Withdraw request: unlock time.
    pub const UNLOCK_TIME: (usize, usize) = (0, 64);
    /// Withdraw request: amount.
    pub const REQUEST_AMOUNT: (usize, usize) = (64, 96);

    /// Task word 2: fee beside the owner.
    pub const TASK_FEE: (usize, usize) = (160, 96);
    /// Task word 3: submission time beside the solver.
    pub const TASK_TIME: (usize, usize) = (160, 40);
    /// Task word 3: solution time.
    pub const SOLUTION_TIME: (usize, usize) = (200, 40);
    /// Task word 3: task version.
    pub const TASK_VERSION: (usize, usize) = (240, 8);
    /// Task word 3: lifecycle status.
    pub const TASK_STATUS: (usize, usize) = (248, 8);

    /// Callback word 0: the gas the callback is given.
    pub const CALLBACK_GAS: (usize, usize) = (160, 64);
    /// Callback word 0: its [`CallbackStatus`](super::CallbackStatus).
    pub const CALLBACK_STATUS: (usize, usize) = (224, 8);

    /// Contestation word 1: the slash every voter escrows.
    pub const SLASH: (usize, usize) = (0, 128);
    /// Contestation word 1: the part of the accused solver's slash its own
    /// stake could not cover, owed by its delegation pool if it loses (after
    /// the first settlement batch of a lost contestation: the part the pool
    /// could not pay).
    pub const POOL_SHORTFALL: (usize, usize) = (128, 128);

    /// Pool terms: a scheduled commission raise.
    pub const NEXT_COMMISSION: (usize, usize) = (0, 64);
    /// Pool terms: when the scheduled raise applies.
    pub const NEXT_COMMISSION_TIME: (usize, usize) = (64, 40);
    /// Pool terms: when the solver last changed its commission.
    pub const COMMISSION_CHANGED: (usize, usize) = (104, 40);
    /// Pool terms: the pool takes no new delegations.
    pub const POOL_CLOSED: (usize, usize) = (144, 8);
    /// Bonded and unbonding pool words: the stake (DML).
    pub const POOL_STAKE: (usize, usize) = (0, 80);
    /// Unbonding pool word, and the bonded shares word: the shares
    /// outstanding. A pool's shares never exceed 2^32 per unit of stake (see
    /// `MAX_SHARES_PER_STAKE_BITS` in the delegation flow), so they fit 112 bits.
    pub const POOL_SHARES: (usize, usize) = (80, 112);
    /// Bonded shares word: the bonded shares outstanding.
    pub const BONDED_SHARES: (usize, usize) = (0, 112);
    /// Bonded pool word: rewards credited by claims since the last delegator
    /// action, not yet in the accumulator. A claim only adds to this field of
    /// a word it reads anyway; the next delegator action folds it into the
    /// reward per share (the shares have not changed in between, so the
    /// result is the same as crediting each claim at once).
    pub const UNCREDITED: (usize, usize) = (80, 96);
    /// Bonded pool word: the commission in force (1e18 = 100 %), read by every claim.
    pub const COMMISSION: (usize, usize) = (192, 63);
    /// Bonded pool word: a raise is scheduled in the terms word.
    pub const COMMISSION_SCHEDULED: (usize, usize) = (255, 1);
    /// Rewards pool word: rewards per bonded share, summed, scaled by 2^96.
    pub const REWARD_PER_SHARE: (usize, usize) = (0, 160);
    /// Rewards pool word: the DML the engine holds for the pool's delegators
    /// (credited less paid; what is not owed to anyone is rounding dust,
    /// paid to the last delegator to leave).
    pub const REWARD_RESERVE: (usize, usize) = (160, 96);
    /// Delegation word 0: the delegator's bonded shares.
    pub const DELEGATED_SHARES: (usize, usize) = (0, 112);
    /// Delegation word 0: index of its oldest unwithdrawn unbonding request.
    pub const FIRST_REQUEST: (usize, usize) = (112, 32);
    /// Delegation word 0: one past its newest unbonding request.
    pub const END_REQUEST: (usize, usize) = (144, 32);
    /// Delegation word 1: the pool's reward per share when its rewards were last settled.
    pub const SETTLED_REWARD_PER_SHARE: (usize, usize) = (0, 160);
    /// Delegation word 1: the fraction of a wei (scaled by 2^96) owed to it.
    pub const REWARD_REMAINDER: (usize, usize) = (160, 96);
    /// Unbonding request: when it unlocks.
    pub const REQUEST_UNLOCK: (usize, usize) = (0, 40);
    /// Unbonding request: its shares of the unbonding pool.
    pub const REQUEST_SHARES: (usize, usize) = (40, 112);

    /// Contestation word 0: when it was submitted.
    pub const CONTEST_TIME: (usize, usize) = (160, 64);
    /// Contestation word 0: next voter index to settle.
    pub const FINISH_INDEX: (usize, usize) = (224, 32);
}

/// A governance parameter, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Share of a task fee for the treasury.
    SolutionFee,
    /// Share of a mint for the treasury.
    TreasuryReward,
    /// Share of a mint for liquidity stakers.
    LiquidityReward,
    /// Claim window in seconds.
    MinClaimTime,
    /// Minimum stake as a share of emitted supply.
    ValidatorMinimum,
    /// Slash as a share of the token's whole supply.
    Slash,
    /// Share of a retracted fee for the treasury.
    RetractionFee,
    /// Seconds before a task may be retracted.
    MinRetractionWait,
    /// Contestation vote period in seconds.
    VotePeriod,
    /// Slack on a voter's `since`.
    StakeSinceSlack,
    /// Withdraw unlock delay in seconds.
    ExitUnlock,
    /// Unbonding delay of delegated stake in seconds.
    DelegationUnbonding,
    /// Cap on counted delegation, as a multiple of the solver's own stake (1e18 = 1×).
    DelegationCapRatio,
    /// Highest commission a solver may set.
    MaxCommission,
    /// Seconds between commission changes, and before a raise applies.
    CommissionCooldown,
    /// Emission cap.
    EmissionCap,
    /// Start of the emission curve.
    StartTime,
}

impl Param {
    /// The slot and bit field that hold this parameter.
    pub fn location(self) -> (u64, (usize, usize)) {
        use engine::*;
        use field::QUARTER;
        match self {
            Self::SolutionFee => (CLAIM_PARAMETERS, QUARTER[0]),
            Self::TreasuryReward => (CLAIM_PARAMETERS, QUARTER[1]),
            Self::LiquidityReward => (CLAIM_PARAMETERS, QUARTER[2]),
            Self::MinClaimTime => (CLAIM_PARAMETERS, QUARTER[3]),
            Self::ValidatorMinimum => (STAKE_PARAMETERS, QUARTER[0]),
            Self::Slash => (STAKE_PARAMETERS, QUARTER[1]),
            Self::RetractionFee => (STAKE_PARAMETERS, QUARTER[2]),
            Self::MinRetractionWait => (STAKE_PARAMETERS, QUARTER[3]),
            Self::VotePeriod => (TIME_PARAMETERS, QUARTER[0]),
            Self::StakeSinceSlack => (TIME_PARAMETERS, QUARTER[1]),
            Self::ExitUnlock => (TIME_PARAMETERS, QUARTER[2]),
            Self::DelegationUnbonding => (TIME_PARAMETERS, QUARTER[3]),
            Self::DelegationCapRatio => (EMISSION, field::DELEGATION_CAP_RATIO),
            Self::MaxCommission => (DELEGATION_PARAMETERS, QUARTER[0]),
            Self::CommissionCooldown => (DELEGATION_PARAMETERS, QUARTER[1]),
            Self::EmissionCap => (EMISSION, field::EMISSION_CAP),
            Self::StartTime => (EMISSION, field::START_TIME),
        }
    }
}

/// Words of a task record, relative to its base slot.
pub mod task_word {
    /// Model id.
    pub const MODEL: u64 = 0;
    /// Input CID digest.
    pub const INPUT_CID: u64 = 1;
    /// Owner and fee.
    pub const OWNER_FEE: u64 = 2;
    /// Solver, times, version, status.
    pub const STATE: u64 = 3;
    /// Solution CID digest.
    pub const SOLUTION_CID: u64 = 4;
}

/// Words of a delegation pool record, relative to its base slot.
pub mod pool_word {
    /// Scheduled commission raise, last change, closed flag.
    pub const TERMS: u64 = 0;
    /// Bonded stake, rewards not yet folded in, and the commission in force:
    /// all a claim touches.
    pub const BONDED: u64 = 1;
    /// Unbonding stake and shares.
    pub const UNBONDING: u64 = 2;
    /// Reward per share and the reward reserve.
    pub const REWARDS: u64 = 3;
    /// Bonded shares.
    pub const SHARES: u64 = 4;
}

/// Where a task's callback stands (`callbacks(task).status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CallbackStatus {
    /// The task has no callback.
    None = 0,
    /// Waiting for the task's final solution.
    Pending = 1,
    /// Called, and the call returned.
    Delivered = 2,
    /// Called, and the call reverted or ran out of gas; may be retried.
    Failed = 3,
    /// Never to be called: the task was retracted or its solution lost a contestation.
    Cancelled = 4,
}

impl CallbackStatus {
    /// The status a stored field holds (unknown values read as `None`).
    pub fn from_field(value: U256) -> Self {
        match value.to::<u8>() {
            1 => Self::Pending,
            2 => Self::Delivered,
            3 => Self::Failed,
            4 => Self::Cancelled,
            _ => Self::None,
        }
    }

    /// Its name, as clients print it: `none`, `pending`, `delivered`, `failed`, `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Lifecycle of a task (task word 3, status field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TaskStatus {
    /// No such task (never submitted, or retracted and deleted).
    None = 0,
    /// Submitted, no solution yet.
    Open = 1,
    /// A solution is in; claimable after the claim window.
    Solved = 2,
    /// The solution is contested; settled by `contestationVoteFinish`.
    Contested = 3,
    /// Paid to the solver (claimed, or a contestation failed).
    Claimed = 4,
    /// A contestation succeeded; the owner was refunded.
    Refunded = 5,
}

impl TaskStatus {
    /// Decodes the status field.
    pub fn from_word(value: U256) -> Self {
        match value.to::<u8>() {
            1 => Self::Open,
            2 => Self::Solved,
            3 => Self::Contested,
            4 => Self::Claimed,
            5 => Self::Refunded,
            _ => Self::None,
        }
    }
}
