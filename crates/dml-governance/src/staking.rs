//! `LiquidityStaking` (contracts/LiquidityStaking.sol): stake the DML/WETH LP
//! token, earn the engine's liquidity rewards in DML, shared per pull by a
//! reward-per-share accumulator with exact integer accounting.
//!
//! The declaration follows the artifact's ABI; the crate's tests compare it.

alloy_sol_types::sol! {
    /// `LiquidityStaking`. Amounts are token base units; `…Scaled` amounts and
    /// `rewardPerShare` are reward units × `PRECISION` (10¹⁸). Always:
    /// `rewardToken.balanceOf(this) × PRECISION == totalOwedScaled + carried + undistributed × PRECISION`.
    #[derive(Debug, PartialEq, Eq)]
    interface ILiquidityStaking {
        // ---- events ----
        /// `account` staked `amount` LP tokens (what arrived).
        event Staked(address indexed account, uint256 amount);
        /// `account` withdrew `amount` LP tokens.
        event Withdrawn(address indexed account, uint256 amount);
        /// `account` was paid `amount` reward tokens.
        event RewardPaid(address indexed account, uint256 amount);
        /// `amount` reward tokens were shared; `carried` (scaled) waits for the next share.
        event RewardsDistributed(uint256 amount, uint256 carried);
        /// `amount` reward tokens arrived while nobody was staked; the first staker(s) get them.
        event RewardsQueued(uint256 amount);
        /// The engine's `withdrawLiquidityRewards()` reverted with `reason`; the action went on.
        event RewardPullFailed(bytes reason);

        // ---- errors ----
        /// A stake or withdrawal of zero, or a stake of which nothing arrived.
        error ZeroAmount();
        /// Withdrawing `requested` with only `staked` staked.
        error InsufficientStake(uint256 staked, uint256 requested);
        /// The staking and reward tokens are the same (constructor).
        error SameToken(address token);
        /// A token address of zero (constructor).
        error ZeroAddress();
        /// A token transfer that failed or returned false (OpenZeppelin's SafeERC20).
        error SafeERC20FailedOperation(address token);
        /// A call back into the contract during one of its actions.
        error ReentrancyGuardReentrantCall();

        // ---- actions ----
        /// Pulls and shares the rewards so far, then stakes `amount` LP tokens (approved first).
        function stake(uint256 amount) external;
        /// Pulls and shares the rewards so far, then returns `amount` of the caller's LP tokens.
        function withdraw(uint256 amount) external;
        /// Pulls and shares the rewards so far, then pays every whole reward token owed.
        function claim() external;
        /// `withdraw` of the whole stake, then `claim`.
        function exit() external;
        /// Pulls the engine's rewards and shares what arrived (anyone may call it).
        function pull() external;

        // ---- views ----
        /// The scale of `rewardPerShare` and the `…Scaled` amounts (10¹⁸).
        function PRECISION() external view returns (uint256);
        /// The LP token.
        function stakingToken() external view returns (address);
        /// The reward token (DML).
        function rewardToken() external view returns (address);
        /// The contract pulled from (the engine).
        function engine() external view returns (address);
        /// Everyone's stake.
        function totalStaked() external view returns (uint256);
        /// `account`'s stake.
        function balanceOf(address account) external view returns (uint256);
        /// Reward per staked unit shared so far, scaled.
        function rewardPerShare() external view returns (uint256);
        /// What `claim` would pay `account` now (counting rewards here not yet shared).
        function earned(address account) external view returns (uint256);
        /// `account`'s owed rewards from what was shared, scaled.
        function owedScaled(address account) external view returns (uint256);
        /// Everyone's owed rewards, scaled.
        function totalOwedScaled() external view returns (uint256);
        /// The last share's remainder, scaled.
        function carried() external view returns (uint256);
        /// Reward tokens here nobody is owed yet (queued, or arrived since the last pull).
        function undistributed() external view returns (uint256);
        /// Reward tokens paid out, ever.
        function totalPaid() external view returns (uint256);
    }
}
