// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken: TEST FIXTURE ONLY, never deployed for real
/// @notice OpenZeppelin's ERC20 whose `transferFrom` first makes a call of the test's choosing (`setReentry`): back
/// into the engine that called it, say, while the engine's call is in flight. It records what came of it
/// (`Reentered`, `lastSuccess`, `lastReturnData`) and, if told to propagate, reverts with the callee's revert data;
/// then it transfers as OpenZeppelin's ERC20 does.
contract ReentrantToken is ERC20 {
    /// @notice The call `transferFrom` made first, and what it returned (or its revert data).
    event Reentered(address indexed target, bool success, bytes returnData);

    /// @notice Whom `transferFrom` calls first (zero: nobody).
    address public reentryTarget;
    /// @notice The calldata of that call.
    bytes public reentryData;
    /// @notice Whether a failure of that call makes `transferFrom` revert with its revert data.
    bool public propagate;
    /// @notice Whether the last such call succeeded.
    bool public lastSuccess;
    /// @notice What the last such call returned, or its revert data.
    bytes public lastReturnData;

    constructor() ERC20("Reentrant", "REE") {}

    /// @notice Creates `amount` tokens for `to`; anyone may, it is a test token.
    /// @param to Who receives them.
    /// @param amount How many (base units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the call `transferFrom` makes before transferring.
    /// @param target Whom to call (zero: no call).
    /// @param data The calldata.
    /// @param propagate_ Whether its failure reverts `transferFrom` with the same data.
    function setReentry(address target, bytes calldata data, bool propagate_) external {
        reentryTarget = target;
        reentryData = data;
        propagate = propagate_;
    }

    /// @notice Makes the configured call, records it, then `ERC20.transferFrom`.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return `true`, as OpenZeppelin's ERC20.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        address target = reentryTarget;
        if (target != address(0)) {
            (bool success, bytes memory returnData) = target.call(reentryData);
            lastSuccess = success;
            lastReturnData = returnData;
            emit Reentered(target, success, returnData);
            if (!success && propagate) {
                assembly ("memory-safe") {
                    revert(add(returnData, 0x20), mload(returnData))
                }
            }
        }
        return super.transferFrom(from, to, value);
    }
}
