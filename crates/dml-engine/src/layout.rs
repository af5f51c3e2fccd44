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
    /// `owner` (bits 0..160) and `paused` (bit 160).
    pub const OWNER_PAUSED: u64 = 0;
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
    /// `emissionCap`: the cap less the genesis allocation.
    pub const EMISSION_CAP: u64 = 6;
    /// `totalEmitted` (0..85), `accruedFees` (85..170), `accruedLiquidityRewards` (170..255).
    pub const LEDGER: u64 = 7;
    /// Fee percentages: solution (0..64), retraction (64..128), treasury reward (128..192), liquidity reward (192..256).
    pub const FEE_PERCENTAGES: u64 = 8;
    /// validator minimum % (0..64), slash % (64..128), min claim time (128..192), min retraction wait (192..256).
    pub const STAKE_PARAMETERS: u64 = 9;
    /// vote period (0..64), stake-since slack (64..128), withdraw unlock time (128..192), start time (192..256).
    pub const TIME_PARAMETERS: u64 = 10;

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
    pub const CONTESTATIONS: u64 = 26;
    /// `contestationVoted`: id → address → bool.
    pub const VOTED: u64 = 27;
    /// `contestationVoteYeas`: id → address[].
    pub const YEAS: u64 = 28;
    /// `contestationVoteNays`: id → address[].
    pub const NAYS: u64 = 29;
}

/// Token simple variables and mappings.
pub mod token {
    /// `totalSupply`.
    pub const TOTAL_SUPPLY: u64 = 0;
    /// `balanceOf`: address → amount.
    pub const BALANCES: u64 = 1;
    /// `allowance`: owner → spender → amount.
    pub const ALLOWANCES: u64 = 2;
}

/// Bit fields of packed words: (offset, width).
pub mod field {
    /// An address in the low bits.
    pub const ADDRESS: (usize, usize) = (0, 160);
    /// `paused` flag beside the owner.
    pub const PAUSED: (usize, usize) = (160, 8);

    /// Ledger: DML minted by the engine so far.
    pub const TOTAL_EMITTED: (usize, usize) = (0, 85);
    /// Ledger: treasury fees and rewards held by the engine.
    pub const ACCRUED_FEES: (usize, usize) = (85, 85);
    /// Ledger: liquidity-staker rewards held by the engine.
    pub const ACCRUED_LIQUIDITY: (usize, usize) = (170, 85);

    /// Four 64-bit parameters per word.
    pub const QUARTER: [(usize, usize); 4] = [(0, 64), (64, 64), (128, 64), (192, 64)];

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

    /// Contestation word 0: when it was submitted.
    pub const CONTEST_TIME: (usize, usize) = (160, 64);
    /// Contestation word 0: next voter index to settle.
    pub const FINISH_INDEX: (usize, usize) = (224, 32);
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
