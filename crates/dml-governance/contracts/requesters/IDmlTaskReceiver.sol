// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IDmlTaskReceiver: what a contract implements to receive the DML engine's callbacks
/// @notice A task submitted with `submitTaskWithCallback` names a callback contract; once the task's solution is
/// final (claimed, or upheld by its contestation) the engine calls `onTaskSolved` on it with exactly the gas the
/// task named. It is never called for a solution that lost a contestation, nor for a retracted task.
/// @dev During the call every state-changing call into the engine or the DML token reverts
/// (`ReentrancyGuardReentrantCall()`), so an implementation only records; anyone may name any contract as a
/// callback, so an implementation checks that the caller is the engine and that the task is one it asked for.
interface IDmlTaskReceiver {
    /// @notice Called by the engine once `taskid`'s solution is final.
    /// @param taskid The task.
    /// @param cid The solution's CIDv0 multihash (34 bytes: 0x12 0x20 and the sha256 digest).
    function onTaskSolved(bytes32 taskid, bytes calldata cid) external;
}
