// SPDX-License-Identifier: MIT
// The ERC-20 of the bench's token workloads, deployed on every node alike.
// Compiled bytecode: bench_token.json (solc 0.8.30, optimizer 200 runs,
// evmVersion cancun); rebuild with `node compile_token.mjs` where solc is
// installed (crates/dml-chain/tests/js has it).
pragma solidity 0.8.30;

contract BenchToken {
    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);

    /// Credits `amount` to each of `to` (open to anyone: a bench token).
    function mintEach(address[] calldata to, uint256 amount) external {
        for (uint256 i = 0; i < to.length; i++) {
            balanceOf[to[i]] += amount;
            emit Transfer(address(0), to[i], amount);
        }
        totalSupply += amount * to.length;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        uint256 balance = balanceOf[msg.sender];
        require(balance >= value, "insufficient balance");
        unchecked {
            balanceOf[msg.sender] = balance - value;
        }
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
