// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {IDmlTaskReceiver} from "../requesters/IDmlTaskReceiver.sol";

/// @title MockDmlEngine: TEST FIXTURE ONLY, never deployed for real
/// @notice Stands in for the DML engine's task callbacks on a bare EVM, for this crate's tests of the contracts that
/// request inference. The real engine is a native contract of the dev chain (dml-engine), which a bare revm does
/// not have. Like the engine, it is its own fee token (`baseToken()` is this contract) and debits submitters
/// directly, without an allowance; it calls a task's callback with exactly the task's gas once the test claims the
/// solution (paying the claimer the callback fee, whatever the callee does), under a reentrancy flag that refuses every state-changing call into it (token included) with
/// `ReentrancyGuardReentrantCall()`. The test plays the solver (`solve`, `claim`) and the contestation (`cancel`).
/// @dev Unlike the engine, `generateIPFSCID` is `0x1220 || sha256(content)` (not of the dag-pb UnixFS block) and
/// task ids come from a counter. Its controls are unguarded: it exists only inside tests.
contract MockDmlEngine is ERC20 {
    /// @dev A task, as `tasks(taskid)` returns it.
    struct Task {
        bytes32 model;
        uint256 fee;
        address owner;
        uint64 blocktime;
        uint8 version;
        bytes cid;
    }

    /// @dev A solution, as `solutions(taskid)` returns it.
    struct Solution {
        address validator;
        uint64 blocktime;
        bool claimed;
        bytes cid;
    }

    /// @dev A callback, as `callbacks(taskid)` returns it.
    struct Callback {
        address callback;
        uint64 gasLimit;
        uint8 status;
        uint256 fee;
    }

    /// @notice Tasks by id.
    mapping(bytes32 taskid => Task) public tasks;
    /// @notice Solutions by task id.
    mapping(bytes32 taskid => Solution) public solutions;
    /// @notice Callbacks by task id (status 0 none, 1 pending, 2 delivered, 3 failed, 4 cancelled).
    mapping(bytes32 taskid => Callback) public callbacks;
    /// @notice Tasks submitted so far (the next task id's counter).
    uint256 public taskCount;

    bool private _inCallback;

    /// @notice As the engine's.
    event TaskSubmitted(bytes32 indexed id, bytes32 indexed model, uint256 fee, address indexed sender);
    /// @notice As the engine's.
    event CallbackRequested(bytes32 indexed task, address indexed callback, uint64 gasLimit, uint256 fee);
    /// @notice As the engine's.
    event TaskInput(bytes32 indexed task, bytes input);
    /// @notice As the engine's.
    event CallbackDelivered(bytes32 indexed task, address indexed callback, uint256 gasUsed);
    /// @notice As the engine's.
    event CallbackFailed(bytes32 indexed task, address indexed callback, bytes reason);
    /// @notice As the engine's.
    event CallbackCancelled(bytes32 indexed task, address indexed callback);

    /// @notice A state-changing call while a callback is in flight.
    error ReentrancyGuardReentrantCall();

    constructor() ERC20("Mock DML", "DML") {}

    /// @dev Refuses the call while a callback is in flight, as the engine's guard does.
    modifier nonReentrant() {
        if (_inCallback) revert ReentrancyGuardReentrantCall();
        _;
    }

    /// @notice The fee token: this contract.
    /// @return This contract's address.
    function baseToken() external view returns (address) {
        return address(this);
    }

    /// @notice Creates `amount` tokens for `to`; anyone may, it is a test fixture.
    /// @param to Who receives them.
    /// @param amount How many (base units).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Counts the commitments signalled (the engine's `signalCommitment` records each one's block).
    uint256 public commitmentCount;

    /// @notice As the engine's `signalCommitment` (whose argument it ignores), minus the bookkeeping:
    /// refused during a callback.
    function signalCommitment(bytes32) external nonReentrant {
        ++commitmentCount;
    }

    /// @notice As the engine's `submitTask`.
    /// @param version_ The task version.
    /// @param owner_ The task's owner.
    /// @param model_ The model.
    /// @param fee_ The fee, debited from the caller.
    /// @param input_ The input.
    /// @return taskid The task.
    function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_)
        external
        nonReentrant
        returns (bytes32 taskid)
    {
        return _submit(version_, owner_, model_, fee_, input_);
    }

    /// @notice As the engine's `submitTaskWithCallback`.
    /// @param version_ The task version.
    /// @param owner_ The task's owner.
    /// @param model_ The model.
    /// @param fee_ The fee, debited from the caller.
    /// @param input_ The input.
    /// @param callback_ The callback contract.
    /// @param callbackGasLimit_ Its gas, 1 to 5,000,000.
    /// @param callbackFee_ The callback fee, debited from the caller.
    /// @return taskid The task.
    function submitTaskWithCallback(
        uint8 version_,
        address owner_,
        bytes32 model_,
        uint256 fee_,
        bytes calldata input_,
        address callback_,
        uint64 callbackGasLimit_,
        uint256 callbackFee_
    ) external nonReentrant returns (bytes32 taskid) {
        require(callbackGasLimit_ != 0 && callbackGasLimit_ <= 5_000_000, "callback gas limit out of range");
        taskid = _submit(version_, owner_, model_, fee_, input_);
        if (callbackFee_ != 0) _transfer(msg.sender, address(this), callbackFee_);
        callbacks[taskid] = Callback(callback_, callbackGasLimit_, 1, callbackFee_);
        emit CallbackRequested(taskid, callback_, callbackGasLimit_, callbackFee_);
        emit TaskInput(taskid, input_);
    }

    /// @notice The test's solver submits `cid` as `taskid`'s solution (not final yet).
    /// @param taskid The task.
    /// @param cid The solution's CID.
    function solve(bytes32 taskid, bytes calldata cid) external nonReentrant {
        require(tasks[taskid].owner != address(0), "task does not exist");
        require(solutions[taskid].validator == address(0), "solution already submitted");
        solutions[taskid] = Solution(msg.sender, uint64(block.timestamp), false, cid);
    }

    /// @notice The solution becomes final: the fee goes to the solver and a pending callback is delivered.
    /// @param taskid The task.
    function claim(bytes32 taskid) external nonReentrant {
        Solution storage solution = solutions[taskid];
        require(solution.validator != address(0), "solution not found");
        require(!solution.claimed, "already claimed");
        require(callbacks[taskid].status != 4, "contestation won");
        solution.claimed = true;
        uint256 fee = tasks[taskid].fee;
        if (fee != 0) _transfer(address(this), solution.validator, fee);
        Callback storage callback = callbacks[taskid];
        if (callback.status == 1) {
            // As the engine: the claimer earns the callback fee whatever the callee does.
            uint256 callbackFee = callback.fee;
            callback.fee = 0;
            if (callbackFee != 0) _transfer(address(this), msg.sender, callbackFee);
            _deliver(taskid, callback.gasLimit);
        }
    }

    /// @notice The solution loses a contestation: the callback is cancelled and both fees go back to the owner.
    /// @param taskid The task.
    function cancel(bytes32 taskid) external nonReentrant {
        Callback storage callback = callbacks[taskid];
        require(callback.status == 1, "callback not pending");
        require(!solutions[taskid].claimed, "already claimed");
        callback.status = 4;
        uint256 refund = tasks[taskid].fee + callback.fee;
        callback.fee = 0;
        if (refund != 0) _transfer(address(this), tasks[taskid].owner, refund);
        emit CallbackCancelled(taskid, callback.callback);
    }

    /// @notice As the engine's `retryCallback`.
    /// @param taskid_ The task.
    /// @param gasLimit_ The gas (0: the task's own limit).
    function retryCallback(bytes32 taskid_, uint64 gasLimit_) external nonReentrant {
        Callback storage callback = callbacks[taskid_];
        require(msg.sender == tasks[taskid_].owner || msg.sender == callback.callback, "not task owner or callback");
        require(callback.status == 3, "callback not failed");
        _deliver(taskid_, gasLimit_ == 0 ? callback.gasLimit : gasLimit_);
    }

    /// @notice `0x1220 || sha256(content_)` (the engine hashes the dag-pb UnixFS block instead).
    /// @param content_ The content.
    /// @return The 34-byte multihash.
    function generateIPFSCID(bytes calldata content_) public pure returns (bytes memory) {
        return abi.encodePacked(hex"1220", sha256(content_));
    }

    /// @dev Refuses token moves and approvals while a callback is in flight, as the engine's token does.
    function _update(address from, address to, uint256 value) internal override {
        if (_inCallback) revert ReentrancyGuardReentrantCall();
        super._update(from, to, value);
    }

    /// @dev See `_update`.
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        if (_inCallback) revert ReentrancyGuardReentrantCall();
        super._approve(owner, spender, value, emitEvent);
    }

    function _submit(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_)
        private
        returns (bytes32 taskid)
    {
        require(owner_ != address(0), "owner is the zero address");
        bytes memory cid = generateIPFSCID(input_);
        taskid = keccak256(abi.encode(msg.sender, ++taskCount, model_, fee_, cid));
        if (fee_ != 0) _transfer(msg.sender, address(this), fee_);
        tasks[taskid] = Task(model_, fee_, owner_, uint64(block.timestamp), version_, cid);
        emit TaskSubmitted(taskid, model_, fee_, msg.sender);
    }

    function _deliver(bytes32 taskid, uint64 gasLimit) private {
        Callback storage callback = callbacks[taskid];
        bytes memory data = abi.encodeCall(IDmlTaskReceiver.onTaskSolved, (taskid, solutions[taskid].cid));
        address target = callback.callback;
        _inCallback = true;
        uint256 before = gasleft();
        (bool success, bytes memory reason) = target.call{gas: gasLimit}(data);
        uint256 used = before - gasleft();
        _inCallback = false;
        if (success) {
            callback.status = 2;
            emit CallbackDelivered(taskid, target, used);
        } else {
            callback.status = 3;
            emit CallbackFailed(taskid, target, reason);
        }
    }
}
