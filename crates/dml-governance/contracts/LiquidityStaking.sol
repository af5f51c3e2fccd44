// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title The one call LiquidityStaking makes on the DML engine.
/// @notice The engine pays every liquidity reward it has accrued to its `liquidityPool()`; anyone may call it.
interface ILiquidityRewardsSource {
    /// @notice Transfers all accrued liquidity rewards to the engine's liquidity pool. Reverts with
    /// "liquidity pool not set" when there is none and with "paused" while the engine is paused.
    function withdrawLiquidityRewards() external;
}

/// @title LiquidityStaking: stake the DML/WETH LP token, earn the engine's liquidity rewards in DML
/// @notice Every stake, withdraw and claim (and the permissionless `pull`) first asks the engine to pay out
/// its accrued liquidity rewards, then shares whatever reward tokens arrived since the last action among the
/// stakers present before that action, in proportion to their stake. Rewards are therefore stake × time
/// measured in pulls. There is no reward rate, no duration and no `notifyRewardAmount`: the amount to share is
/// always the reward token balance that arrived (from the engine or from anyone transferring it here).
/// @dev Exact integer accounting, in reward units × PRECISION ("scaled" units):
///   held × PRECISION == totalOwedScaled + carried + queued × PRECISION
/// always holds, where held is the reward balance as of the last pull. Rewards that arrive while nobody is
/// staked are queued and shared right after the next stake lands; the remainder of each division is carried
/// into the next one; a payout is the floor of what is owed, and the fraction stays owed. Nothing is ever lost
/// to rounding, and the contract never pays more than it holds.
contract LiquidityStaking is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The scale of `rewardPerShare` and of every `…Scaled` amount.
    uint256 public constant PRECISION = 1e18;

    /// @notice The token staked: the DML/WETH Uniswap V2 pair's LP token.
    IERC20 public immutable stakingToken;
    /// @notice The token paid out: DML.
    IERC20 public immutable rewardToken;
    /// @notice The contract whose `withdrawLiquidityRewards()` pays this contract (the DML engine).
    address public immutable engine;

    uint256 private _totalStaked;
    mapping(address account => uint256) private _balances;
    /// @dev Reward per staked unit, scaled by PRECISION, summed over every distribution.
    uint256 private _rewardPerShare;
    /// @dev `_rewardPerShare` when the account's owed rewards were last brought up to date.
    mapping(address account => uint256) private _rewardPerShareSettled;
    /// @dev Rewards owed to the account as of its last settlement, scaled.
    mapping(address account => uint256) private _owedScaled;
    /// @dev The sum of every account's owed rewards, settled or not, scaled.
    uint256 private _totalOwedScaled;
    /// @dev The remainder of the last distribution's division, scaled; joins the next distribution.
    uint256 private _carried;
    /// @dev Reward tokens that arrived while nobody was staked, waiting for the first staker(s).
    uint256 private _queued;
    /// @dev The reward token balance as of the last pull, less what was paid since.
    uint256 private _held;
    /// @dev Reward tokens paid out, ever.
    uint256 private _totalPaid;

    /// @notice `account` staked `amount` LP tokens (the amount this contract received).
    event Staked(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount` LP tokens.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice `account` was paid `amount` reward tokens.
    event RewardPaid(address indexed account, uint256 amount);
    /// @notice `amount` reward tokens were shared among the stakers; `carried` (scaled) waits for the next share.
    event RewardsDistributed(uint256 amount, uint256 carried);
    /// @notice `amount` reward tokens arrived while nobody was staked; the first staker(s) will get them.
    event RewardsQueued(uint256 amount);
    /// @notice The engine's `withdrawLiquidityRewards()` reverted with `reason`; the action went on without it.
    event RewardPullFailed(bytes reason);

    /// @notice A stake or withdrawal of zero, or a stake of which nothing arrived.
    error ZeroAmount();
    /// @notice Withdrawing `requested` LP tokens with only `staked` staked.
    error InsufficientStake(uint256 staked, uint256 requested);
    /// @notice The staking and reward tokens are the same token (balance deltas could not tell them apart).
    error SameToken(address token);
    /// @notice A token address of zero.
    error ZeroAddress();

    /// @notice Stakes `stakingToken_` for `rewardToken_` paid by `engine_` (address zero or an address without
    /// code: no pulls, only reward tokens transferred here directly are shared).
    /// @param stakingToken_ The LP token to stake.
    /// @param rewardToken_ The reward token (DML).
    /// @param engine_ The contract whose `withdrawLiquidityRewards()` pays this contract.
    constructor(IERC20 stakingToken_, IERC20 rewardToken_, address engine_) {
        if (address(stakingToken_) == address(0) || address(rewardToken_) == address(0)) revert ZeroAddress();
        if (stakingToken_ == rewardToken_) revert SameToken(address(rewardToken_));
        stakingToken = stakingToken_;
        rewardToken = rewardToken_;
        engine = engine_;
    }

    // ---- actions ----

    /// @notice Pulls and shares the rewards so far, then stakes `amount` LP tokens (approve them first). Rewards
    /// waiting for a first staker are shared right after the stake lands.
    /// @param amount LP tokens to move from the caller to this contract.
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _pull();
        _settle(msg.sender);
        uint256 before = stakingToken.balanceOf(address(this));
        stakingToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = stakingToken.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        _balances[msg.sender] += received;
        _totalStaked += received;
        emit Staked(msg.sender, received);
        if (_queued != 0) _distribute(0);
    }

    /// @notice Pulls and shares the rewards so far, then returns `amount` of the caller's LP tokens.
    /// @param amount LP tokens to return.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 staked = _balances[msg.sender];
        if (amount > staked) revert InsufficientStake(staked, amount);
        _pull();
        _settle(msg.sender);
        _withdraw(msg.sender, amount);
    }

    /// @notice Pulls and shares the rewards so far, then pays the caller every whole reward token owed.
    function claim() external nonReentrant {
        _pull();
        _settle(msg.sender);
        _pay(msg.sender);
    }

    /// @notice Pulls and shares the rewards so far, returns all the caller's LP tokens and pays every whole
    /// reward token owed.
    function exit() external nonReentrant {
        _pull();
        _settle(msg.sender);
        uint256 staked = _balances[msg.sender];
        if (staked != 0) _withdraw(msg.sender, staked);
        _pay(msg.sender);
    }

    /// @notice Pulls the engine's rewards and shares whatever arrived (anyone may call it).
    function pull() external nonReentrant {
        _pull();
    }

    // ---- views ----

    /// @notice LP tokens staked by everyone.
    /// @return The total stake.
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @notice LP tokens `account` has staked.
    /// @param account The staker.
    /// @return Its stake.
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @notice The reward per staked unit shared so far, scaled by PRECISION.
    /// @return The accumulator.
    function rewardPerShare() external view returns (uint256) {
        return _rewardPerShare;
    }

    /// @notice The reward tokens `claim` would pay `account` now, counting what arrived here but was not shared
    /// yet (not what the engine has still to pay).
    /// @param account The staker.
    /// @return Whole reward tokens.
    function earned(address account) external view returns (uint256) {
        uint256 owed = owedScaled(account);
        uint256 total = _totalStaked;
        if (total != 0) {
            uint256 increment = (undistributed() * PRECISION + _carried) / total;
            owed += _balances[account] * increment;
        }
        return owed / PRECISION;
    }

    /// @notice Rewards owed to `account` from what was shared so far, scaled by PRECISION (a payout takes the
    /// whole tokens and leaves the fraction).
    /// @param account The staker.
    /// @return Scaled rewards owed.
    function owedScaled(address account) public view returns (uint256) {
        return _owedScaled[account] + _balances[account] * (_rewardPerShare - _rewardPerShareSettled[account]);
    }

    /// @notice Rewards owed to everyone from what was shared so far, scaled by PRECISION.
    /// @return The sum of every `owedScaled`.
    function totalOwedScaled() external view returns (uint256) {
        return _totalOwedScaled;
    }

    /// @notice The remainder of the last share's division, scaled by PRECISION; it joins the next share.
    /// @return Scaled rewards not yet shared.
    function carried() external view returns (uint256) {
        return _carried;
    }

    /// @notice Reward tokens here that no staker is owed yet: those waiting for a first staker and those that
    /// arrived since the last pull. `rewardToken.balanceOf(this) × PRECISION == totalOwedScaled() + carried() +
    /// undistributed() × PRECISION` always holds.
    /// @return Whole reward tokens.
    function undistributed() public view returns (uint256) {
        uint256 balance = rewardToken.balanceOf(address(this));
        return _queued + (balance > _held ? balance - _held : 0);
    }

    /// @notice Reward tokens paid out, ever.
    /// @return The sum of every `RewardPaid`.
    function totalPaid() external view returns (uint256) {
        return _totalPaid;
    }

    // ---- internals ----

    /// @dev Asks the engine to pay (a revert is caught: a paused engine or an unset pool never blocks stakers),
    /// then shares the balance that arrived since the last pull, measured, never taken from a return value.
    function _pull() private {
        if (engine.code.length != 0) {
            try ILiquidityRewardsSource(engine).withdrawLiquidityRewards() {}
            catch (bytes memory reason) {
                emit RewardPullFailed(reason);
            }
        }
        uint256 balance = rewardToken.balanceOf(address(this));
        uint256 arrived = balance > _held ? balance - _held : 0;
        _held += arrived;
        if (_totalStaked == 0) {
            if (arrived != 0) {
                _queued += arrived;
                emit RewardsQueued(arrived);
            }
        } else if (arrived != 0 || _queued != 0) {
            _distribute(arrived);
        }
    }

    /// @dev Shares `arrived` plus the queue plus the carried remainder among the current stake
    /// (`_totalStaked` is not zero).
    function _distribute(uint256 arrived) private {
        uint256 amount = arrived + _queued;
        _queued = 0;
        uint256 total = _totalStaked;
        uint256 numerator = amount * PRECISION + _carried;
        uint256 increment = numerator / total;
        _carried = numerator - increment * total;
        _rewardPerShare += increment;
        _totalOwedScaled += increment * total;
        emit RewardsDistributed(amount, _carried);
    }

    /// @dev Brings `account`'s owed rewards up to the current accumulator (before its stake changes).
    function _settle(address account) private {
        uint256 perShare = _rewardPerShare;
        uint256 settled = _rewardPerShareSettled[account];
        if (perShare != settled) {
            _owedScaled[account] += _balances[account] * (perShare - settled);
            _rewardPerShareSettled[account] = perShare;
        }
    }

    /// @dev Returns `amount` LP tokens to `account` (settled, `amount` at most its stake).
    function _withdraw(address account, uint256 amount) private {
        _balances[account] -= amount;
        _totalStaked -= amount;
        emit Withdrawn(account, amount);
        stakingToken.safeTransfer(account, amount);
    }

    /// @dev Pays `account` (settled) the whole reward tokens it is owed; the fraction stays owed.
    function _pay(address account) private {
        uint256 payout = _owedScaled[account] / PRECISION;
        if (payout == 0) return;
        uint256 scaled = payout * PRECISION;
        _owedScaled[account] -= scaled;
        _totalOwedScaled -= scaled;
        _held -= payout;
        _totalPaid += payout;
        emit RewardPaid(account, payout);
        rewardToken.safeTransfer(account, payout);
    }
}
