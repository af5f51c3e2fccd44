// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestERC20: TEST FIXTURE ONLY, never deployed for real
/// @notice OpenZeppelin's ERC20 with an unguarded `mint`, for the engine's calls into EVM code (`donateToken`) in
/// tests: its `transferFrom` returns `true` and reverts with OpenZeppelin's custom errors.
contract TestERC20 is ERC20 {
    /// @notice A token named `name_` with the symbol `symbol_`.
    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Creates `amount` tokens for `to`; anyone may, it is a test token.
    /// @param to Who receives them.
    /// @param amount How many (base units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
