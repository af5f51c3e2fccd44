// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IEngine {
    function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_)
        external
        returns (bytes32);
    function tasks(bytes32 taskid)
        external
        view
        returns (bytes32 model, uint256 fee, address owner, uint64 blocktime, uint8 version, bytes memory cid);
}

interface IERC20 {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// A user contract that requests inference: it pulls DML from its user with
/// transferFrom (after the user's approve) and submits tasks it owns.
contract TaskRequester {
    IEngine public immutable engine;
    IERC20 public immutable token;
    bytes32 public lastTask;

    event Requested(bytes32 indexed task);

    constructor(address engine_, address token_) {
        engine = IEngine(engine_);
        token = IERC20(token_);
    }

    function pull(address from, uint256 amount) external {
        require(token.transferFrom(from, address(this), amount), "transferFrom failed");
    }

    function request(bytes32 model, uint256 fee, bytes calldata input) external returns (bytes32 id) {
        id = engine.submitTask(0, address(this), model, fee, input);
        lastTask = id;
        (, uint256 storedFee, address owner,,,) = engine.tasks(id);
        require(owner == address(this) && storedFee == fee, "task read back differs");
        emit Requested(id);
    }

    function taskOwner(bytes32 id) external view returns (address owner) {
        (,, owner,,,) = engine.tasks(id);
    }
}
