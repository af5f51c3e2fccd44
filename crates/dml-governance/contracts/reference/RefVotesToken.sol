// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/**
 * @title Reference votes token
 * @notice OpenZeppelin's own ERC-20 + ERC-2612 + ERC-5805 token with a timestamp clock, the behaviour the native DML
 * token reproduces. Deployed only by tests and the gas benchmark that compares the two; never part of a deployment.
 */
contract RefVotesToken is ERC20, ERC20Permit, ERC20Votes {
    /**
     * @param holder Receives the whole supply.
     * @param supply Tokens minted, in base units (18 decimals).
     */
    constructor(address holder, uint256 supply) ERC20("Reference Votes", "RVOTE") ERC20Permit("Reference Votes") {
        _mint(holder, supply);
    }

    /// @notice The ERC-6372 clock: seconds, as the DML token counts.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Describes the clock per ERC-6372.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
