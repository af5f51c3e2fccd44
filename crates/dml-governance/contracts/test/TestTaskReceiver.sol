// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IDmlEngine} from "../requesters/IDmlEngine.sol";
import {IDmlTaskReceiver} from "../requesters/IDmlTaskReceiver.sol";

/// @title TestTaskReceiver: TEST FIXTURE ONLY, never deployed for real
/// @notice A callback contract for the engine's tests. It accepts `onTaskSolved` for any task, as long as the engine
/// calls, and does what its `mode` (set by anyone) says: record the delivery, refuse it, burn all its gas, or call
/// back into the engine or the DML token (which the engine's reentrancy guard refuses). It can also be the
/// requester itself (`submitWithCallback`, then `retry`); it pays fees from its own DML balance, so a test funds it
/// with an ordinary DML `transfer` first.
contract TestTaskReceiver is IDmlTaskReceiver {
    /// @notice `mode`: record the delivery (`lastTask`, `lastCid`, `count`, `lastGasLeft`) and emit `Received`.
    uint8 public constant MODE_RECORD = 0;
    /// @notice `mode`: revert with `Refused(taskid)`.
    uint8 public constant MODE_REVERT = 1;
    /// @notice `mode`: loop until the callback's gas runs out.
    uint8 public constant MODE_BURN_GAS = 2;
    /// @notice `mode`: call `engine.signalCommitment(…)` with a fresh commitment (a call that would succeed
    /// outside a callback, so only the engine's reentrancy guard refuses it) and bubble its revert.
    uint8 public constant MODE_REENTER_ENGINE = 3;
    /// @notice `mode`: call `transfer(this, 0)` on the DML token and bubble its revert.
    uint8 public constant MODE_REENTER_TOKEN = 4;

    /// @notice The DML engine.
    IDmlEngine public immutable engine;
    /// @notice What `onTaskSolved` does (a `MODE_…` constant).
    uint8 public mode;
    /// @notice How many deliveries were recorded.
    uint256 public count;
    /// @notice The last task delivered.
    bytes32 public lastTask;
    /// @notice The last CID delivered.
    bytes public lastCid;
    /// @notice `gasleft()` on entry to the last recorded delivery (a little below the task's callback gas limit).
    uint256 public lastGasLeft;

    /// @notice A delivery was recorded.
    event Received(bytes32 indexed taskid, bytes cid);
    /// @notice This contract submitted `taskid` with itself as owner and callback.
    event Submitted(bytes32 indexed taskid);

    /// @notice `onTaskSolved` in `MODE_REVERT`.
    error Refused(bytes32 taskid);
    /// @notice `onTaskSolved` was called by `caller`, which is not the engine.
    error NotEngine(address caller);
    /// @notice `setMode` with a mode above `MODE_REENTER_TOKEN`.
    error UnknownMode(uint8 mode);

    /// @param engine_ The DML engine.
    constructor(IDmlEngine engine_) {
        engine = engine_;
    }

    /// @notice Sets what `onTaskSolved` does; anyone may, it is a test fixture.
    /// @param mode_ A `MODE_…` constant.
    function setMode(uint8 mode_) external {
        if (mode_ > MODE_REENTER_TOKEN) revert UnknownMode(mode_);
        mode = mode_;
    }

    /// @notice The engine's callback: does what `mode` says.
    /// @param taskid The task.
    /// @param cid Its solution's CID.
    function onTaskSolved(bytes32 taskid, bytes calldata cid) external {
        uint256 gasAtEntry = gasleft();
        if (msg.sender != address(engine)) revert NotEngine(msg.sender);
        uint8 current = mode;
        if (current == MODE_RECORD) {
            count += 1;
            lastTask = taskid;
            lastCid = cid;
            lastGasLeft = gasAtEntry;
            emit Received(taskid, cid);
        } else if (current == MODE_REVERT) {
            revert Refused(taskid);
        } else if (current == MODE_BURN_GAS) {
            uint256 spins;
            while (true) {
                unchecked {
                    ++spins;
                }
            }
        } else if (current == MODE_REENTER_ENGINE) {
            engine.signalCommitment(keccak256(abi.encode(address(this), taskid)));
        } else {
            IERC20(engine.baseToken()).transfer(address(this), 0);
        }
    }

    /// @notice Submits a task owned by this contract with this contract as its callback; the engine debits
    /// `fee + callbackFee` DML from this contract.
    /// @param model The model id.
    /// @param fee The task fee.
    /// @param input The model input.
    /// @param gasLimit The callback's gas.
    /// @param callbackFee The callback fee.
    /// @return taskid The task.
    function submitWithCallback(bytes32 model, uint256 fee, bytes calldata input, uint64 gasLimit, uint256 callbackFee)
        external
        returns (bytes32 taskid)
    {
        taskid = engine.submitTaskWithCallback(0, address(this), model, fee, input, address(this), gasLimit, callbackFee);
        emit Submitted(taskid);
    }

    /// @notice Asks the engine to deliver `taskid`'s failed callback again (this contract owns it and is its callback).
    /// @param taskid The task.
    /// @param gasLimit The gas the callback gets (0: the task's own limit).
    function retry(bytes32 taskid, uint64 gasLimit) external {
        engine.retryCallback(taskid, gasLimit);
    }
}
