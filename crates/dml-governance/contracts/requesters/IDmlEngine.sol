// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IDmlEngine: the part of the DML engine that contracts requesting inference use
/// @notice The engine is a native contract at a fixed address; it is also the DML token's minter and escrow, so
/// `submitTask` and `submitTaskWithCallback` debit the caller's DML balance directly (no `approve` to the
/// engine). A contract that submits tasks must therefore hold DML itself.
/// @dev While the engine's call into a callback contract is in flight, every state-changing call into the engine
/// or the DML token reverts with `ReentrancyGuardReentrantCall()`; views still answer.
interface IDmlEngine {
    /// @notice `task` was submitted with a callback to `callback`, to be called with `gasLimit` gas once its solution
    /// is final; `fee` DML is escrowed for whoever sends the delivering transaction.
    event CallbackRequested(bytes32 indexed task, address indexed callback, uint64 gasLimit, uint256 fee);
    /// @notice The input of a task submitted with a callback (for solvers: it is not in the transaction's calldata).
    event TaskInput(bytes32 indexed task, bytes input);
    /// @notice The callback of `task` returned, having used `gasUsed` gas.
    event CallbackDelivered(bytes32 indexed task, address indexed callback, uint256 gasUsed);
    /// @notice The callback of `task` reverted or ran out of gas; `reason` is its revert data (at most 256 bytes).
    event CallbackFailed(bytes32 indexed task, address indexed callback, bytes reason);
    /// @notice `task` was retracted or its solution lost a contestation: nothing will be delivered, and the
    /// callback fee went back to the task's owner (with the task fee, for a lost contestation).
    event CallbackCancelled(bytes32 indexed task, address indexed callback);

    /// @notice A state-changing call reached the engine or the token while a callback was in flight.
    error ReentrancyGuardReentrantCall();

    /// @notice The DML token (an ordinary ERC-20 besides the engine's direct debits).
    /// @return The token's address.
    function baseToken() external view returns (address);

    /// @notice Submits a task: `fee_` DML is debited from the caller and escrowed until the solution is paid.
    /// @param version_ The task version (0).
    /// @param owner_ Who may retract the task and receives refunds; not zero.
    /// @param model_ The model id; `fee_` must be at least the model's fee.
    /// @param fee_ The fee, in DML base units.
    /// @param input_ The model input (JSON bytes, at most 64 KiB).
    /// @return The task id.
    function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_)
        external
        returns (bytes32);

    /// @notice Records a solver's commitment (`generateCommitment(sender, task, cid)`) at this block.
    /// @param commitment_ The commitment; it must not exist yet.
    function signalCommitment(bytes32 commitment_) external;

    /// @notice `submitTask`, and on the task's final solution a call
    /// `IDmlTaskReceiver(callback_).onTaskSolved(taskid, cid)` with exactly `callbackGasLimit_` gas.
    /// @param version_ The task version (0).
    /// @param owner_ Who may retract the task and receives refunds; not zero.
    /// @param model_ The model id.
    /// @param fee_ The task fee, in DML base units.
    /// @param input_ The model input (JSON bytes).
    /// @param callback_ The contract to call.
    /// @param callbackGasLimit_ The gas the call gets (1 to 5,000,000).
    /// @param callbackFee_ DML debited with `fee_` and paid to the sender of the transaction that first delivers
    /// (the claim, or the contestation settlement the solution survives), whatever the callback does; refunded to
    /// `owner_` if the task is retracted or its solution loses a contestation.
    /// @return The task id.
    function submitTaskWithCallback(
        uint8 version_,
        address owner_,
        bytes32 model_,
        uint256 fee_,
        bytes calldata input_,
        address callback_,
        uint64 callbackGasLimit_,
        uint256 callbackFee_
    ) external returns (bytes32);

    /// @notice Delivers a failed callback again. Only the task's owner or its callback contract may.
    /// @param taskid_ The task.
    /// @param gasLimit_ The gas the call gets (0: the task's own limit).
    function retryCallback(bytes32 taskid_, uint64 gasLimit_) external;

    /// @notice A task's callback.
    /// @param taskid The task.
    /// @return callback The contract called.
    /// @return gasLimit The gas it gets.
    /// @return status 0 none, 1 pending, 2 delivered, 3 failed, 4 cancelled.
    /// @return fee The callback fee still escrowed.
    function callbacks(bytes32 taskid)
        external
        view
        returns (address callback, uint64 gasLimit, uint8 status, uint256 fee);

    /// @notice A task.
    /// @param taskid The task.
    /// @return model The model id (zero: no such task).
    /// @return fee The task fee.
    /// @return owner The task's owner.
    /// @return blocktime When it was submitted.
    /// @return version Its version.
    /// @return cid The CIDv0 multihash of its input.
    function tasks(bytes32 taskid)
        external
        view
        returns (bytes32 model, uint256 fee, address owner, uint64 blocktime, uint8 version, bytes memory cid);

    /// @notice A task's solution.
    /// @param taskid The task.
    /// @return validator The solver (zero: no solution yet).
    /// @return blocktime When it was submitted.
    /// @return claimed True once the solution is final and paid.
    /// @return cid The CIDv0 multihash of the output.
    function solutions(bytes32 taskid)
        external
        view
        returns (address validator, uint64 blocktime, bool claimed, bytes memory cid);

    /// @notice The CIDv0 multihash bytes (0x1220 || sha256 of the dag-pb UnixFS block) `ipfs add` gives for content up
    /// to 256 KiB.
    /// @param content_ The content.
    /// @return The 34-byte multihash.
    function generateIPFSCID(bytes calldata content_) external view returns (bytes memory);
}
