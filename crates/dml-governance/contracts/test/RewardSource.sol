// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title RewardSource: TEST FIXTURE ONLY, never deployed for real
/// @notice Stands in for the DML engine's liquidity payout in tests on a bare EVM. The real engine is a native
/// contract of the dev chain (dml-engine), which a bare revm does not have. It holds reward tokens and, on
/// `withdrawLiquidityRewards()`, transfers a preset amount (at most its balance) to its liquidity pool, with the
/// engine's revert reasons. Its setters are unguarded: it exists only inside tests.
contract RewardSource {
    using SafeERC20 for IERC20;

    /// @notice The token it pays (DML in tests).
    IERC20 public immutable rewardToken;
    /// @notice Where `withdrawLiquidityRewards()` pays (the engine's `liquidityPool()`).
    address public liquidityPool;
    /// @notice How much the next `withdrawLiquidityRewards()` pays (at most the balance).
    uint256 public nextPayout;
    /// @notice Whether `withdrawLiquidityRewards()` reverts with "paused", as the paused engine does.
    bool public paused;

    /// @notice A source paying `rewardToken_`.
    /// @param rewardToken_ The token it pays.
    constructor(IERC20 rewardToken_) {
        rewardToken = rewardToken_;
    }

    /// @notice Sets where rewards go (address zero: "liquidity pool not set").
    /// @param pool The new pool.
    function setLiquidityPool(address pool) external {
        liquidityPool = pool;
    }

    /// @notice Sets what the next `withdrawLiquidityRewards()` pays.
    /// @param amount Reward tokens.
    function setNextPayout(uint256 amount) external {
        nextPayout = amount;
    }

    /// @notice Makes `withdrawLiquidityRewards()` revert with "paused" (or not).
    /// @param paused_ Whether it reverts.
    function setPaused(bool paused_) external {
        paused = paused_;
    }

    /// @notice Pays `nextPayout` (at most the balance) to the pool, then zeroes `nextPayout`, as the engine pays
    /// everything accrued once.
    function withdrawLiquidityRewards() external {
        require(!paused, "paused");
        address pool = liquidityPool;
        require(pool != address(0), "liquidity pool not set");
        uint256 amount = nextPayout;
        uint256 balance = rewardToken.balanceOf(address(this));
        if (amount > balance) amount = balance;
        nextPayout = 0;
        if (amount != 0) rewardToken.safeTransfer(pool, amount);
    }
}
