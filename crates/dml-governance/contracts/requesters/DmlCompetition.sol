// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDmlEngine} from "./IDmlEngine.sol";

/// @title DmlCompetition: prizes in DML for the best output of a model
/// @notice A creator escrows a prize for a model and a deadline (`create`). Until the deadline anyone enters tasks
/// they own on that model (`enter`); the creator judges the outputs off chain and, at or before the deadline,
/// picks one entry whose solution is final (`pickWinner`): its owner is paid the prize. If no winner is picked by
/// the deadline, the creator takes the prize back (`reclaim`).
/// @dev Whitepaper appendix A.2. The contract reads the engine (tasks, solutions) and moves only the DML token,
/// with OpenZeppelin's SafeERC20; state is written before every transfer.
contract DmlCompetition {
    using SafeERC20 for IERC20;

    /// @dev One competition (slots: creator, deadline and reclaimed packed; model; prize; winning task).
    struct Competition {
        address creator;
        uint64 deadline;
        bool reclaimed;
        bytes32 model;
        uint256 prize;
        bytes32 winningTask;
    }

    /// @notice The DML engine (tasks and solutions are read from it).
    IDmlEngine public immutable engine;
    /// @notice The DML token prizes are paid in (the engine's `baseToken()`).
    IERC20 public immutable token;
    /// @notice How many competitions were created; ids run from 1 to this.
    uint256 public competitionCount;

    mapping(uint256 id => Competition) private _competitions;
    mapping(uint256 id => bytes32[]) private _entries;
    mapping(uint256 id => mapping(bytes32 taskid => bool)) private _entered;

    /// @notice `creator` escrowed `prize` DML for the best output of `model` entered before `deadline`.
    event CompetitionCreated(
        uint256 indexed id, address indexed creator, bytes32 indexed model, uint64 deadline, uint256 prize
    );
    /// @notice `entrant` entered its task `taskid` in competition `id`.
    event Entered(uint256 indexed id, bytes32 indexed taskid, address indexed entrant);
    /// @notice The creator picked `taskid`; its owner `winner` was paid `prize`.
    event WinnerPicked(uint256 indexed id, bytes32 indexed taskid, address indexed winner, uint256 prize);
    /// @notice No winner was picked by the deadline; `creator` took back `prize`.
    event PrizeReclaimed(uint256 indexed id, address indexed creator, uint256 prize);

    /// @notice The engine address is zero (constructor).
    error ZeroEngine();
    /// @notice There is no competition `id`.
    error UnknownCompetition(uint256 id);
    /// @notice The deadline `deadline` is not after the current time `nowTime`.
    error DeadlineNotInFuture(uint64 deadline, uint256 nowTime);
    /// @notice Competition `id` stopped taking entries at `deadline`.
    error EntriesClosed(uint256 id, uint64 deadline);
    /// @notice `taskid` does not exist on the engine.
    error UnknownTask(bytes32 taskid);
    /// @notice `taskid` runs `taskModel`, not the competition's `model`.
    error WrongModel(bytes32 taskid, bytes32 taskModel, bytes32 model);
    /// @notice `caller` does not own `taskid` (its owner is `owner`): only a task's owner may enter it.
    error NotTaskOwner(bytes32 taskid, address caller, address owner);
    /// @notice `taskid` is already entered in competition `id`.
    error AlreadyEntered(uint256 id, bytes32 taskid);
    /// @notice Only competition `id`'s creator `creator` may do this (`caller` tried).
    error NotCreator(uint256 id, address caller, address creator);
    /// @notice Competition `id`'s winner had to be picked by `deadline`.
    error JudgingClosed(uint256 id, uint64 deadline);
    /// @notice `taskid` is not an entry of competition `id`.
    error NotAnEntry(uint256 id, bytes32 taskid);
    /// @notice `taskid`'s solution is not final yet (none, or not claimed).
    error SolutionNotFinal(bytes32 taskid);
    /// @notice Competition `id` is over: its prize was paid or reclaimed.
    error AlreadySettled(uint256 id);
    /// @notice Competition `id`'s prize can be reclaimed only after `deadline`.
    error DeadlineNotPassed(uint256 id, uint64 deadline);

    /// @param engine_ The DML engine (its `baseToken()` is the prize token).
    constructor(IDmlEngine engine_) {
        if (address(engine_) == address(0)) revert ZeroEngine();
        engine = engine_;
        token = IERC20(engine_.baseToken());
    }

    /// @notice Creates a competition and takes `prize` DML from the caller (approve this contract first).
    /// @param model The model entries must run.
    /// @param deadline Entries are taken before it and the winner picked at or before it (unix seconds).
    /// @param prize The prize, in DML base units (may be zero).
    /// @return id The competition id (sequential from 1).
    function create(bytes32 model, uint64 deadline, uint256 prize) external returns (uint256 id) {
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline, block.timestamp);
        id = ++competitionCount;
        _competitions[id] = Competition({
            creator: msg.sender,
            deadline: deadline,
            reclaimed: false,
            model: model,
            prize: prize,
            winningTask: bytes32(0)
        });
        emit CompetitionCreated(id, msg.sender, model, deadline, prize);
        if (prize != 0) token.safeTransferFrom(msg.sender, address(this), prize);
    }

    /// @notice Enters the caller's task `taskid` (on the competition's model) in competition `id`, before its
    /// deadline. The task need not be solved yet.
    /// @param id The competition.
    /// @param taskid A task the caller owns.
    function enter(uint256 id, bytes32 taskid) external {
        Competition storage c = _existing(id);
        if (block.timestamp >= c.deadline) revert EntriesClosed(id, c.deadline);
        (bytes32 taskModel,, address owner,,,) = engine.tasks(taskid);
        if (owner == address(0)) revert UnknownTask(taskid);
        if (taskModel != c.model) revert WrongModel(taskid, taskModel, c.model);
        if (owner != msg.sender) revert NotTaskOwner(taskid, msg.sender, owner);
        if (_entered[id][taskid]) revert AlreadyEntered(id, taskid);
        _entered[id][taskid] = true;
        _entries[id].push(taskid);
        emit Entered(id, taskid, msg.sender);
    }

    /// @notice The creator picks entry `taskid`, whose solution must be final, as the winner of competition `id`
    /// (at or before the deadline, once): the task's owner is paid the prize.
    /// @param id The competition.
    /// @param taskid The winning entry.
    function pickWinner(uint256 id, bytes32 taskid) external {
        Competition storage c = _existing(id);
        if (msg.sender != c.creator) revert NotCreator(id, msg.sender, c.creator);
        if (c.winningTask != bytes32(0)) revert AlreadySettled(id);
        if (block.timestamp > c.deadline) revert JudgingClosed(id, c.deadline);
        if (!_entered[id][taskid]) revert NotAnEntry(id, taskid);
        (,, bool claimed,) = engine.solutions(taskid);
        if (!claimed) revert SolutionNotFinal(taskid);
        (,, address winner,,,) = engine.tasks(taskid);
        c.winningTask = taskid;
        uint256 prize = c.prize;
        emit WinnerPicked(id, taskid, winner, prize);
        if (prize != 0) token.safeTransfer(winner, prize);
    }

    /// @notice The creator takes back competition `id`'s prize: after the deadline, when no winner was picked.
    /// @param id The competition.
    function reclaim(uint256 id) external {
        Competition storage c = _existing(id);
        if (msg.sender != c.creator) revert NotCreator(id, msg.sender, c.creator);
        if (c.winningTask != bytes32(0) || c.reclaimed) revert AlreadySettled(id);
        if (block.timestamp <= c.deadline) revert DeadlineNotPassed(id, c.deadline);
        c.reclaimed = true;
        uint256 prize = c.prize;
        emit PrizeReclaimed(id, msg.sender, prize);
        if (prize != 0) token.safeTransfer(msg.sender, prize);
    }

    /// @notice Competition `id`.
    /// @param id The competition.
    /// @return creator Who created it (and judges it).
    /// @return model The model entries run.
    /// @return deadline Entries before it, the winner at or before it (unix seconds).
    /// @return prize The prize, in DML base units.
    /// @return winningTask The winning entry (zero: none picked).
    /// @return reclaimed Whether the creator took the prize back.
    function competition(uint256 id)
        external
        view
        returns (address creator, bytes32 model, uint64 deadline, uint256 prize, bytes32 winningTask, bool reclaimed)
    {
        Competition storage c = _existing(id);
        return (c.creator, c.model, c.deadline, c.prize, c.winningTask, c.reclaimed);
    }

    /// @notice Competition `id`'s entries, in the order they were entered.
    /// @param id The competition.
    /// @return The entered task ids.
    function entries(uint256 id) external view returns (bytes32[] memory) {
        _existing(id);
        return _entries[id];
    }

    /// @notice Whether `taskid` is an entry of competition `id`.
    /// @param id The competition.
    /// @param taskid The task.
    /// @return True if it was entered.
    function isEntry(uint256 id, bytes32 taskid) external view returns (bool) {
        return _entered[id][taskid];
    }

    /// @dev Competition `id`, reverting with `UnknownCompetition` when there is none.
    function _existing(uint256 id) private view returns (Competition storage c) {
        c = _competitions[id];
        if (c.creator == address(0)) revert UnknownCompetition(id);
    }
}
