// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IDmlEngine} from "./IDmlEngine.sol";
import {IDmlTaskReceiver} from "./IDmlTaskReceiver.sol";

/// @title DmlTaskReceiver: base of a contract that requests inference and receives the results
/// @notice Submits tasks to the DML engine with itself as the callback, remembers which tasks it submitted, and
/// accepts `onTaskSolved` only from the engine and only for those tasks (anyone may name any contract as a
/// callback). A derived contract implements `_onTaskSolved`, which must only record: while it runs, every
/// state-changing call into the engine or the DML token reverts.
/// @dev Whitepaper appendix A: contracts that request inference.
abstract contract DmlTaskReceiver is IDmlTaskReceiver {
    /// @notice The engine's task version for every task submitted here.
    uint8 internal constant TASK_VERSION = 0;

    /// @notice The DML engine tasks are submitted to and callbacks come from.
    IDmlEngine public immutable engine;
    /// @notice The DML token fees are paid in (the engine's `baseToken()`).
    IERC20 public immutable token;

    /// @notice Whether this contract submitted the task (and so accepts its callback).
    mapping(bytes32 taskid => bool) public isOwnTask;

    /// @notice `onTaskSolved` was called by `caller`, which is not the engine.
    error NotEngine(address caller);
    /// @notice `onTaskSolved` named `taskid`, which this contract did not submit.
    error UnknownTask(bytes32 taskid);
    /// @notice The engine address is zero (constructor).
    error ZeroEngine();

    /// @param engine_ The DML engine (asked for its `baseToken()`).
    constructor(IDmlEngine engine_) {
        if (address(engine_) == address(0)) revert ZeroEngine();
        engine = engine_;
        token = IERC20(engine_.baseToken());
    }

    /// @notice Called by the engine once `taskid`'s solution is final: checks the caller and the task, then hands
    /// the solution to `_onTaskSolved`.
    /// @param taskid The task, one this contract submitted.
    /// @param cid The solution's CIDv0 multihash.
    function onTaskSolved(bytes32 taskid, bytes calldata cid) external {
        if (msg.sender != address(engine)) revert NotEngine(msg.sender);
        if (!isOwnTask[taskid]) revert UnknownTask(taskid);
        _onTaskSolved(taskid, cid);
    }

    /// @notice Records `taskid`'s final solution. Runs under the engine's reentrancy guard: it must not submit
    /// tasks or move DML, and it must fit the task's callback gas limit.
    /// @param taskid A task this contract submitted.
    /// @param cid The solution's CIDv0 multihash.
    function _onTaskSolved(bytes32 taskid, bytes calldata cid) internal virtual;

    /// @notice Submits a task owned by this contract (refunds come here) with this contract as its callback. The
    /// engine debits `fee + callbackFee` DML from this contract.
    /// @param model The model id.
    /// @param fee The task fee.
    /// @param input The model input.
    /// @param gasLimit The callback's gas (1 to 5,000,000).
    /// @param callbackFee Paid to whoever delivers the callback.
    /// @return taskid The task id.
    function _submitTaskWithCallback(
        bytes32 model,
        uint256 fee,
        bytes memory input,
        uint64 gasLimit,
        uint256 callbackFee
    ) internal returns (bytes32 taskid) {
        return _submitTaskWithCallback(address(this), model, fee, input, gasLimit, callbackFee);
    }

    /// @notice Submits a task owned by `owner` (who may retract it and receives refunds) with this contract as
    /// its callback. The engine debits `fee + callbackFee` DML from this contract.
    /// @param owner The task's owner.
    /// @param model The model id.
    /// @param fee The task fee.
    /// @param input The model input.
    /// @param gasLimit The callback's gas (1 to 5,000,000).
    /// @param callbackFee Paid to whoever delivers the callback.
    /// @return taskid The task id.
    function _submitTaskWithCallback(
        address owner,
        bytes32 model,
        uint256 fee,
        bytes memory input,
        uint64 gasLimit,
        uint256 callbackFee
    ) internal returns (bytes32 taskid) {
        taskid = engine.submitTaskWithCallback(
            TASK_VERSION, owner, model, fee, input, address(this), gasLimit, callbackFee
        );
        isOwnTask[taskid] = true;
    }

    /// @notice Asks the engine to deliver a failed callback again (this contract is the task's callback, so the
    /// engine lets it). The callback fee was paid at the first delivery, so a retry pays nobody.
    /// @param taskid The task.
    /// @param gasLimit The gas the call gets (0: the task's own limit).
    function _retryCallback(bytes32 taskid, uint64 gasLimit) internal {
        engine.retryCallback(taskid, gasLimit);
    }
}
