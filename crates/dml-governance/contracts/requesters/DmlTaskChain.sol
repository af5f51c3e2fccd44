// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Bytes} from "@openzeppelin/contracts/utils/Bytes.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {DmlTaskReceiver} from "./DmlTaskReceiver.sol";
import {DmlTasks} from "./DmlTasks.sol";
import {IDmlEngine} from "./IDmlEngine.sol";

/// @title DmlTaskChain: a text model continuing its own output, one task per step
/// @notice `start` takes a deposit for every step and submits the first task, `{"prompt":"…","max_length":N}`.
/// When a step's solution is final the engine calls back and the step's output CID is recorded. Then anyone who
/// has the output (from IPFS) calls `advance` with it: the contract checks it against the recorded CID with the
/// engine's own `generateIPFSCID`, and either finishes the chain (the step limit is reached, or the output contains
/// the marker) or submits the next step, whose prompt is the last 1,000 bytes of the output. A finished chain
/// refunds what is left of its deposit to the starter.
/// @dev Whitepaper appendix A.4. The callback only records (the engine's reentrancy guard forbids submitting from
/// it), which is why a separate `advance` submits the next step. Tasks are owned by this contract: a solution that
/// loses a contestation refunds its fees here, and `resubmit` spends them on the same input again. Each chain's
/// deposit is accounted apart, so chains never pay for each other.
contract DmlTaskChain is DmlTaskReceiver {
    using SafeERC20 for IERC20;

    /// @notice The longest prompt a step gets, in bytes (the model takes up to 1,024 characters).
    uint256 public constant MAX_PROMPT_BYTES = 1000;
    /// @notice The most characters a step may generate (`max_length`; the model's own limit).
    uint32 public constant MAX_GENERATED_LENGTH = 1000;
    /// @notice The longest marker, in bytes.
    uint256 public constant MAX_MARKER_BYTES = 256;

    /// @notice `ChainFinished.reason`: the step limit was reached.
    uint8 public constant FINISHED_MAX_STEPS = 1;
    /// @notice `ChainFinished.reason`: the last output contains the marker.
    uint8 public constant FINISHED_MARKER = 2;
    /// @notice `ChainFinished.reason`: the starter stopped the chain.
    uint8 public constant FINISHED_STOPPED = 3;
    /// @notice `ChainFinished.reason`: the last output cannot be a prompt (empty, or not UTF-8).
    uint8 public constant FINISHED_UNUSABLE_OUTPUT = 4;

    /// @dev One chain (the first slot packs starter, step counts, maxLength and the finish reason).
    struct Chain {
        address starter;
        uint16 maxSteps;
        uint16 steps;
        uint32 maxLength;
        uint8 finishReason;
        bytes32 model;
        bytes32 currentTask;
        uint256 deposit;
        bytes marker;
        bytes prompt;
    }

    /// @dev Where a task belongs: its chain and its step (1-based).
    struct StepRef {
        uint256 chainId;
        uint16 step;
    }

    /// @notice The task fee of each step, in DML base units.
    uint256 public immutable taskFee;
    /// @notice The callback fee of each step (paid to whoever delivers the callback), in DML base units.
    uint256 public immutable callbackFee;
    /// @notice The gas the engine gives each callback.
    uint64 public immutable callbackGasLimit;
    /// @notice How many chains were started; ids run from 1 to this.
    uint256 public chainCount;

    mapping(uint256 chainId => Chain) private _chains;
    mapping(uint256 chainId => bytes32[]) private _tasks;
    mapping(bytes32 taskid => StepRef) private _steps;
    mapping(bytes32 taskid => bytes) private _solutions;

    /// @notice `starter` started chain `chainId` on `model` with `prompt`, depositing `deposit` DML for `maxSteps`
    /// steps of up to `maxLength` generated characters; it ends early at an output containing `marker`.
    event ChainStarted(
        uint256 indexed chainId,
        address indexed starter,
        bytes32 indexed model,
        uint16 maxSteps,
        uint32 maxLength,
        bytes marker,
        string prompt,
        uint256 deposit
    );
    /// @notice Step `step` of chain `chainId` was submitted as task `taskid`.
    event StepSubmitted(uint256 indexed chainId, uint16 step, bytes32 indexed taskid);
    /// @notice Step `step` of chain `chainId` (task `taskid`) has its final solution `cid`.
    event StepSolved(uint256 indexed chainId, uint16 step, bytes32 indexed taskid, bytes cid);
    /// @notice Step `step`'s task `cancelledTask` lost a contestation; the same input is now task `taskid`.
    event StepResubmitted(uint256 indexed chainId, uint16 step, bytes32 indexed cancelledTask, bytes32 indexed taskid);
    /// @notice Chain `chainId` finished after `steps` steps, for `reason` (a `FINISHED_…` constant).
    event ChainFinished(uint256 indexed chainId, uint16 steps, uint8 reason);
    /// @notice What was left of chain `chainId`'s deposit, `amount` DML, went back to `starter`.
    event DepositRefunded(uint256 indexed chainId, address indexed starter, uint256 amount);

    /// @notice A prompt of `length` bytes: it must be 1 to `MAX_PROMPT_BYTES`.
    error InvalidPromptLength(uint256 length, uint256 maxLength);
    /// @notice The prompt is not valid UTF-8 (the task input must be JSON text).
    error PromptNotUtf8();
    /// @notice `maxSteps` must be at least 1.
    error InvalidMaxSteps(uint16 maxSteps);
    /// @notice `maxLength` must be 1 to `MAX_GENERATED_LENGTH`.
    error InvalidMaxLength(uint32 maxLength);
    /// @notice A marker of `length` bytes: it must be at most `MAX_MARKER_BYTES`.
    error MarkerTooLong(uint256 length, uint256 maxLength);
    /// @notice The prompt already contains the marker (the chain would end at its first output).
    error MarkerInPrompt();
    /// @notice The callback gas limit must be 1 to 5,000,000 (constructor).
    error InvalidCallbackGasLimit(uint64 gasLimit);
    /// @notice There is no chain `chainId`.
    error UnknownChain(uint256 chainId);
    /// @notice Chain `chainId` has finished.
    error ChainAlreadyFinished(uint256 chainId);
    /// @notice Step `step` of chain `chainId` (task `taskid`) has no final solution yet.
    error StepNotSolved(uint256 chainId, uint16 step, bytes32 taskid);
    /// @notice The output given hashes to `actual`, not to step `step`'s solution CID `expected`.
    error OutputMismatch(uint256 chainId, uint16 step, bytes expected, bytes actual);
    /// @notice Step `step`'s task `taskid` has callback status `status`, not cancelled (4): nothing to resubmit.
    error TaskNotCancelled(uint256 chainId, uint16 step, bytes32 taskid, uint8 status);
    /// @notice Only chain `chainId`'s starter `starter` may stop it (`caller` tried).
    error NotStarter(uint256 chainId, address caller, address starter);
    /// @notice Step `step`'s task `taskid` is still waiting for its solution, or its callback failed (`retry`
    /// delivers it): the chain cannot stop now.
    error StepPending(uint256 chainId, uint16 step, bytes32 taskid);

    /// @param engine_ The DML engine (its `baseToken()` is the fee token).
    /// @param taskFee_ The task fee of each step (at least the fee of the models chains use).
    /// @param callbackFee_ The callback fee of each step.
    /// @param callbackGasLimit_ The callback's gas, 1 to 5,000,000 (the callback uses about 80,000 for a 34-byte
    /// CID; 200,000 is ample).
    constructor(IDmlEngine engine_, uint256 taskFee_, uint256 callbackFee_, uint64 callbackGasLimit_)
        DmlTaskReceiver(engine_)
    {
        if (callbackGasLimit_ == 0 || callbackGasLimit_ > 5_000_000) {
            revert InvalidCallbackGasLimit(callbackGasLimit_);
        }
        taskFee = taskFee_;
        callbackFee = callbackFee_;
        callbackGasLimit = callbackGasLimit_;
    }

    /// @notice Starts a chain: takes `(taskFee + callbackFee) × maxSteps` DML from the caller (approve this contract
    /// first; what is not spent comes back when the chain finishes) and submits step 1 with `text` as its prompt.
    /// @param model The text model (its input takes `prompt` and `max_length`; its output starts with the prompt).
    /// @param text The first prompt: 1 to 1,000 bytes of UTF-8, not containing `marker`.
    /// @param maxSteps The most steps (at least 1).
    /// @param marker The chain finishes at the first output containing it (empty: only at `maxSteps`); at most
    /// 256 bytes.
    /// @param maxLength Each step's `max_length`: the characters it generates, 1 to 1,000.
    /// @return chainId The chain (sequential from 1).
    function start(bytes32 model, string calldata text, uint16 maxSteps, bytes calldata marker, uint32 maxLength)
        external
        returns (uint256 chainId)
    {
        bytes memory promptBytes = bytes(text);
        if (promptBytes.length == 0 || promptBytes.length > MAX_PROMPT_BYTES) {
            revert InvalidPromptLength(promptBytes.length, MAX_PROMPT_BYTES);
        }
        if (!DmlTasks.isValidUtf8(promptBytes)) revert PromptNotUtf8();
        if (maxSteps == 0) revert InvalidMaxSteps(maxSteps);
        if (maxLength == 0 || maxLength > MAX_GENERATED_LENGTH) revert InvalidMaxLength(maxLength);
        if (marker.length > MAX_MARKER_BYTES) revert MarkerTooLong(marker.length, MAX_MARKER_BYTES);
        if (marker.length != 0 && DmlTasks.contains(promptBytes, marker)) revert MarkerInPrompt();

        uint256 deposit = stepCost() * maxSteps;
        chainId = ++chainCount;
        Chain storage c = _chains[chainId];
        c.starter = msg.sender;
        c.maxSteps = maxSteps;
        c.maxLength = maxLength;
        c.model = model;
        c.deposit = deposit;
        c.marker = marker;
        c.prompt = promptBytes;
        _announce(chainId, c);
        if (deposit != 0) token.safeTransferFrom(msg.sender, address(this), deposit);
        _submitStep(chainId, c);
    }

    /// @notice Takes the current step's output and goes on: checks that it is the step's final solution (its CID,
    /// as the engine computes it, is the one delivered), then finishes the chain (step limit reached, marker found,
    /// or an output that cannot be a prompt) or submits the next step with the output's last 1,000 bytes (cut at a
    /// character boundary) as its prompt. Anyone may call.
    /// @param chainId The chain.
    /// @param output The current step's output, as stored on IPFS.
    function advance(uint256 chainId, bytes calldata output) external {
        Chain storage c = _running(chainId);
        bytes32 taskid = c.currentTask;
        uint16 step = c.steps;
        bytes memory expected = _solutions[taskid];
        if (expected.length == 0) revert StepNotSolved(chainId, step, taskid);
        bytes memory actual = engine.generateIPFSCID(output);
        if (!Bytes.equal(actual, expected)) revert OutputMismatch(chainId, step, expected, actual);

        if (c.marker.length != 0 && DmlTasks.contains(output, c.marker)) {
            _finish(chainId, c, FINISHED_MARKER);
        } else if (step >= c.maxSteps) {
            _finish(chainId, c, FINISHED_MAX_STEPS);
        } else {
            bytes memory next = DmlTasks.utf8Tail(output, MAX_PROMPT_BYTES);
            if (next.length == 0 || !DmlTasks.isValidUtf8(next)) {
                _finish(chainId, c, FINISHED_UNUSABLE_OUTPUT);
            } else {
                c.prompt = next;
                _submitStep(chainId, c);
            }
        }
    }

    /// @notice Submits the current step's input again after its task's solution lost a contestation (the engine
    /// cancelled the callback and refunded the step's fees to this contract, which pays the new task with them).
    /// Anyone may call.
    /// @param chainId The chain.
    /// @return taskid The new task.
    function resubmit(uint256 chainId) external returns (bytes32 taskid) {
        Chain storage c = _running(chainId);
        bytes32 cancelled = c.currentTask;
        uint16 step = c.steps;
        (,, uint8 status,) = engine.callbacks(cancelled);
        if (status != DmlTasks.CALLBACK_CANCELLED) revert TaskNotCancelled(chainId, step, cancelled, status);
        taskid = _submitTaskWithCallback(c.model, taskFee, _input(c), callbackGasLimit, callbackFee);
        c.currentTask = taskid;
        _tasks[chainId][step - 1] = taskid;
        _steps[taskid] = StepRef({chainId: chainId, step: step});
        emit StepResubmitted(chainId, step, cancelled, taskid);
    }

    /// @notice The starter ends the chain early, once the current step is not waiting for a solution (it is solved,
    /// or its task was cancelled); what is left of the deposit comes back.
    /// @param chainId The chain.
    function stop(uint256 chainId) external {
        Chain storage c = _running(chainId);
        if (msg.sender != c.starter) revert NotStarter(chainId, msg.sender, c.starter);
        bytes32 taskid = c.currentTask;
        if (_solutions[taskid].length == 0) {
            (,, uint8 status,) = engine.callbacks(taskid);
            if (status != DmlTasks.CALLBACK_CANCELLED) revert StepPending(chainId, c.steps, taskid);
            // The cancelled step's fees came back to this contract: they are the chain's again.
            c.deposit += stepCost();
        }
        _finish(chainId, c, FINISHED_STOPPED);
    }

    /// @notice Asks the engine to deliver the current step's failed callback again (the engine's `CallbackFailed`
    /// says why it failed). Anyone may call; the caller pays the gas (the callback fee went to whoever
    /// sent the first delivery).
    /// @param chainId The chain.
    /// @param gasLimit The gas the callback gets (0: the configured `callbackGasLimit`).
    function retry(uint256 chainId, uint64 gasLimit) external {
        _retryCallback(_running(chainId).currentTask, gasLimit);
    }

    /// @notice What one step costs: `taskFee + callbackFee`.
    /// @return The cost, in DML base units.
    function stepCost() public view returns (uint256) {
        return taskFee + callbackFee;
    }

    /// @notice Chain `chainId`.
    /// @param chainId The chain.
    /// @return model The model.
    /// @return starter Who started it (and gets the refund).
    /// @return maxSteps The most steps.
    /// @return steps The steps submitted so far (the current step's number).
    /// @return finished Whether it finished.
    /// @return marker The marker that ends it.
    /// @return maxLength Each step's `max_length`.
    /// @return currentTask The current (or last) step's task.
    function chain(uint256 chainId)
        external
        view
        returns (
            bytes32 model,
            address starter,
            uint16 maxSteps,
            uint16 steps,
            bool finished,
            bytes memory marker,
            uint32 maxLength,
            bytes32 currentTask
        )
    {
        Chain storage c = _existing(chainId);
        return (c.model, c.starter, c.maxSteps, c.steps, c.finishReason != 0, c.marker, c.maxLength, c.currentTask);
    }

    /// @notice Why chain `chainId` finished.
    /// @param chainId The chain.
    /// @return A `FINISHED_…` constant (0: still running).
    function finishReason(uint256 chainId) external view returns (uint8) {
        return _existing(chainId).finishReason;
    }

    /// @notice What is left of chain `chainId`'s deposit (0 once finished: it was refunded).
    /// @param chainId The chain.
    /// @return The DML base units held for its remaining steps.
    function depositOf(uint256 chainId) external view returns (uint256) {
        return _existing(chainId).deposit;
    }

    /// @notice The current step's prompt (the first prompt, or the tail of the previous output).
    /// @param chainId The chain.
    /// @return The prompt, as UTF-8 bytes.
    function currentPrompt(uint256 chainId) external view returns (bytes memory) {
        return _existing(chainId).prompt;
    }

    /// @notice The current step's task input: `{"prompt":"<escaped prompt>","max_length":<maxLength>}`.
    /// @param chainId The chain.
    /// @return The JSON bytes the step's task was submitted with.
    function currentInput(uint256 chainId) external view returns (bytes memory) {
        return _input(_existing(chainId));
    }

    /// @notice Chain `chainId`'s tasks, one per step submitted (a resubmitted step shows its latest task).
    /// @param chainId The chain.
    /// @return The task ids, step 1 first.
    function chainTasks(uint256 chainId) external view returns (bytes32[] memory) {
        _existing(chainId);
        return _tasks[chainId];
    }

    /// @notice The chain and step `taskid` belongs to.
    /// @param taskid The task.
    /// @return chainId The chain (0: none).
    /// @return step The step, from 1.
    function stepOfTask(bytes32 taskid) external view returns (uint256 chainId, uint16 step) {
        StepRef memory ref = _steps[taskid];
        return (ref.chainId, ref.step);
    }

    /// @notice The final solution delivered for `taskid`, a step's task.
    /// @param taskid The task.
    /// @return The CIDv0 multihash (empty: not delivered).
    function solutionOf(bytes32 taskid) external view returns (bytes memory) {
        return _solutions[taskid];
    }

    /// @dev Records the step's solution; `advance` takes it from there.
    function _onTaskSolved(bytes32 taskid, bytes calldata cid) internal override {
        StepRef memory ref = _steps[taskid];
        _solutions[taskid] = cid;
        emit StepSolved(ref.chainId, ref.step, taskid, cid);
    }

    /// @dev Emits `ChainStarted` from the stored chain (a separate frame keeps `start`'s stack shallow).
    function _announce(uint256 chainId, Chain storage c) private {
        emit ChainStarted(chainId, c.starter, c.model, c.maxSteps, c.maxLength, c.marker, string(c.prompt), c.deposit);
    }

    /// @dev Pays the next step from the chain's deposit and submits it with the chain's current prompt.
    function _submitStep(uint256 chainId, Chain storage c) private {
        uint16 step = c.steps + 1;
        c.steps = step;
        c.deposit -= stepCost();
        bytes32 taskid = _submitTaskWithCallback(c.model, taskFee, _input(c), callbackGasLimit, callbackFee);
        c.currentTask = taskid;
        _tasks[chainId].push(taskid);
        _steps[taskid] = StepRef({chainId: chainId, step: step});
        emit StepSubmitted(chainId, step, taskid);
    }

    /// @dev Marks the chain finished and refunds what is left of its deposit.
    function _finish(uint256 chainId, Chain storage c, uint8 reason) private {
        c.finishReason = reason;
        uint256 refund = c.deposit;
        c.deposit = 0;
        emit ChainFinished(chainId, c.steps, reason);
        if (refund != 0) {
            emit DepositRefunded(chainId, c.starter, refund);
            token.safeTransfer(c.starter, refund);
        }
    }

    /// @dev The step's task input: `{"prompt":"<escaped prompt>","max_length":<maxLength>}`.
    function _input(Chain storage c) private view returns (bytes memory) {
        return bytes.concat(
            '{"prompt":"',
            DmlTasks.jsonEscape(c.prompt),
            '","max_length":',
            bytes(Strings.toString(c.maxLength)),
            "}"
        );
    }

    /// @dev Chain `chainId`, reverting with `UnknownChain` when there is none.
    function _existing(uint256 chainId) private view returns (Chain storage c) {
        c = _chains[chainId];
        if (c.starter == address(0)) revert UnknownChain(chainId);
    }

    /// @dev Chain `chainId`, reverting unless it exists and has not finished.
    function _running(uint256 chainId) private view returns (Chain storage c) {
        c = _existing(chainId);
        if (c.finishReason != 0) revert ChainAlreadyFinished(chainId);
    }
}
