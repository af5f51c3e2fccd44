// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title DonationReference: TEST FIXTURE ONLY, never deployed for real
/// @notice The engine's `donateToken` as an OpenZeppelin-style Solidity contract (SafeERC20, a transient
/// reentrancy guard, the same event), to compare the gas of the native engine's call into EVM code with.
contract DonationReference is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice `from` gave `amount` of the ERC-20 `token` to the treasury.
    event TokenDonated(address indexed token, address indexed from, uint256 amount);

    /// @notice Where donations go.
    address public immutable treasury;

    /// @notice A reference donating to `treasury_`.
    /// @param treasury_ Where donations go.
    constructor(address treasury_) {
        treasury = treasury_;
    }

    /// @notice Moves `amount` of `token` from the sender to the treasury (the sender approves this contract first).
    /// @param token The ERC-20.
    /// @param amount How much (base units).
    function donateToken(IERC20 token, uint256 amount) external nonReentrant {
        token.safeTransferFrom(msg.sender, treasury, amount);
        emit TokenDonated(address(token), msg.sender, amount);
    }
}
