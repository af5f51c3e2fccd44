// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title NonStandardToken: TEST FIXTURE ONLY, never deployed for real
/// @notice An ERC-20 whose `transfer` and `transferFrom` answer as some deployed tokens do, for the SafeERC20
/// checks of the engine's calls in tests: `False` returns `false` and moves nothing (a failure the caller must
/// catch), `Nothing` moves the tokens and returns no data at all (USDT-style, a success).
contract NonStandardToken is ERC20 {
    /// @notice How `transfer` and `transferFrom` answer.
    enum Answer {
        False,
        Nothing
    }

    /// @notice This token's answer.
    Answer public immutable answer;

    /// @notice A token that answers `answer_`.
    /// @param answer_ How `transfer` and `transferFrom` answer.
    constructor(Answer answer_) ERC20("Non-standard", "NST") {
        answer = answer_;
    }

    /// @notice Creates `amount` tokens for `to`; anyone may, it is a test token.
    /// @param to Who receives them.
    /// @param amount How many (base units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice `ERC20.transfer`, answered as `answer` says.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return Always `false` (the `Nothing` answer returns no data instead).
    function transfer(address to, uint256 value) public override returns (bool) {
        if (answer == Answer.False) return false;
        super.transfer(to, value);
        _returnNothing();
    }

    /// @notice `ERC20.transferFrom`, answered as `answer` says.
    /// @param from The holder.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return Always `false` (the `Nothing` answer returns no data instead).
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (answer == Answer.False) return false;
        super.transferFrom(from, to, value);
        _returnNothing();
    }

    function _returnNothing() private pure {
        assembly ("memory-safe") {
            return(0, 0)
        }
    }
}
