//! Contracts that request inference (whitepaper appendix A): Solidity
//! contracts that submit tasks to the DML engine with a callback and act on
//! the solution once it is final.
//!
//! - `DmlImageNFT` (A.1, [`IDmlImageNFT`]): an ERC-721 whose image is a
//!   model's output for the minter's prompt; its metadata names the model,
//!   task, input CID and seed, so anyone can re-run the model and compare.
//! - `DmlCompetition` (A.2, [`IDmlCompetition`]): DML prizes for the best
//!   output of a model, entered by task owners and judged by the creator.
//! - `DmlTaskChain` (A.4, [`IDmlTaskChain`]): a text model continuing its own
//!   output, one task per step, until a step limit or a marker.
//! - `TestTaskReceiver` ([`ITestTaskReceiver`]): a TEST FIXTURE for the
//!   engine's callback tests (record, refuse, burn gas, re-enter).
//!
//! Their sources are `contracts/requesters/` (with the `DmlTaskReceiver` base
//! and the `DmlTasks` library) and `contracts/test/TestTaskReceiver.sol`. The
//! declarations follow the artifacts' ABIs; `tests/requesters.rs` compares
//! them. Fees are paid from the contracts' own DML (the engine debits its
//! caller), which they pull from their users with `transferFrom`: a user
//! approves the contract on the DML token first.

// `sol!` gives each event a constructor taking every field; `ChainStarted` has eight.
#![allow(clippy::too_many_arguments)]

use std::sync::LazyLock;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolConstructor;

use crate::artifacts::{parse, Artifact};

alloy_sol_types::sol! {
    /// `DmlImageNFT` (whitepaper A.1): OpenZeppelin's ERC-721 with ERC-4906
    /// metadata updates. `mint(prompt)` takes `taskFee + callbackFee` DML from
    /// the minter, submits `{"prompt":"…"}` with the contract as callback and
    /// owner, and mints the token at once (ids from 1); the engine's callback
    /// records the solution CID as the token's image. `tokenURI` is
    /// `data:application/json;base64,` of `tokenMetadata`.
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlImageNFT {
        // ---- events ----
        /// `minter` minted `tokenId`, whose image is `taskid`'s output for `prompt`.
        event MintRequested(uint256 indexed tokenId, bytes32 indexed taskid, address indexed minter, string prompt);
        /// `tokenId`'s task has its final solution `cid`: the token's image.
        event MintFulfilled(uint256 indexed tokenId, bytes32 indexed taskid, bytes cid);
        /// `cancelledTask` lost a contestation; `tokenId` now waits for `taskid`, same input.
        event MintResubmitted(uint256 indexed tokenId, bytes32 indexed cancelledTask, bytes32 indexed taskid);
        /// ERC-4906: `_tokenId`'s metadata changed (fulfilled or resubmitted).
        event MetadataUpdate(uint256 _tokenId);
        /// ERC-4906: a range of tokens' metadata changed (never emitted; declared by the interface).
        event BatchMetadataUpdate(uint256 _fromTokenId, uint256 _toTokenId);
        /// ERC-721: a token moved (`from` zero: minted).
        event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
        /// ERC-721: `approved` may move `tokenId`.
        event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
        /// ERC-721: `operator` may (or may no longer) move all of `owner`'s tokens.
        event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

        // ---- errors ----
        /// A prompt of `length` bytes; it must be 1 to `maxLength` (1,000).
        error InvalidPromptLength(uint256 length, uint256 maxLength);
        /// The prompt is not valid UTF-8.
        error PromptNotUtf8();
        /// The callback gas limit must be 1 to 5,000,000 (constructor).
        error InvalidCallbackGasLimit(uint64 gasLimit);
        /// `tokenId` already has its image.
        error AlreadyFulfilled(uint256 tokenId);
        /// `resubmit` of a token whose task's callback status is `status`, not cancelled (4).
        error TaskNotCancelled(uint256 tokenId, bytes32 taskid, uint8 status);
        /// `onTaskSolved` from `caller`, not the engine.
        error NotEngine(address caller);
        /// `onTaskSolved` for a task this contract did not submit.
        error UnknownTask(bytes32 taskid);
        /// The engine address is zero (constructor).
        error ZeroEngine();
        /// A DML transfer failed (OpenZeppelin's SafeERC20).
        error SafeERC20FailedOperation(address token);
        /// OpenZeppelin's `Strings.toHexString` ran out of digits (cannot happen for 32-byte ids).
        error StringsInsufficientHexLength(uint256 value, uint256 length);
        /// ERC-721 (OpenZeppelin's `IERC721Errors`): `owner` is not a valid owner (zero).
        error ERC721InvalidOwner(address owner);
        /// ERC-721: `tokenId` does not exist.
        error ERC721NonexistentToken(uint256 tokenId);
        /// ERC-721: `sender` is not `tokenId`'s owner `owner`.
        error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner);
        /// ERC-721: `sender` is not a valid sender.
        error ERC721InvalidSender(address sender);
        /// ERC-721: `receiver` cannot receive tokens.
        error ERC721InvalidReceiver(address receiver);
        /// ERC-721: `operator` may not move `tokenId`.
        error ERC721InsufficientApproval(address operator, uint256 tokenId);
        /// ERC-721: `approver` may not approve.
        error ERC721InvalidApprover(address approver);
        /// ERC-721: `operator` is not a valid operator.
        error ERC721InvalidOperator(address operator);

        // ---- actions ----
        /// Mints a token to the caller for `text` (1 to 1,000 bytes of UTF-8) and submits its task.
        function mint(string calldata text) external returns (uint256 tokenId, bytes32 taskid);
        /// Submits a token's input again after its task's solution lost a contestation (anyone may).
        function resubmit(uint256 tokenId) external returns (bytes32 taskid);
        /// Asks the engine to redeliver a token's failed callback with `gasLimit` gas (0: the configured limit).
        function retry(uint256 tokenId, uint64 gasLimit) external;
        /// The engine's callback (only the engine, only for this contract's tasks).
        function onTaskSolved(bytes32 taskid, bytes calldata cid) external;

        // ---- views ----
        /// The longest prompt, in bytes (1,000).
        function MAX_PROMPT_BYTES() external view returns (uint256);
        /// The DML engine.
        function engine() external view returns (address);
        /// The DML token (the engine's `baseToken()`).
        function token() external view returns (address);
        /// The model every token is generated with.
        function model() external view returns (bytes32);
        /// The task fee of each mint.
        function taskFee() external view returns (uint256);
        /// The callback fee of each mint.
        function callbackFee() external view returns (uint256);
        /// The callback's gas.
        function callbackGasLimit() external view returns (uint64);
        /// The IPFS gateway prefix of `external_url`.
        function gatewayBase() external view returns (string memory);
        /// How many tokens were minted (ids 1 to this).
        function totalMinted() external view returns (uint256);
        /// Whether this contract submitted `taskid`.
        function isOwnTask(bytes32 taskid) external view returns (bool);
        /// A token's (latest) task.
        function tokenTask(uint256 tokenId) external view returns (bytes32);
        /// The token a task generates (0: none).
        function tokenOfTask(bytes32 taskid) external view returns (uint256);
        /// A token's image CID (empty while pending).
        function solutionCid(uint256 tokenId) external view returns (bytes memory);
        /// A token's prompt.
        function prompt(uint256 tokenId) external view returns (string memory);
        /// Whether a token has its image.
        function isFulfilled(uint256 tokenId) external view returns (bool);
        /// A token's metadata JSON (what `tokenURI` encodes).
        function tokenMetadata(uint256 tokenId) external view returns (string memory);
        /// `data:application/json;base64,` of `tokenMetadata`.
        function tokenURI(uint256 tokenId) external view returns (string memory);
        /// ERC-165 (ERC-721, its metadata, ERC-4906 `0x49064906`).
        function supportsInterface(bytes4 interfaceId) external view returns (bool);

        // ---- ERC-721 ----
        /// The collection's name.
        function name() external view returns (string memory);
        /// The collection's symbol.
        function symbol() external view returns (string memory);
        /// How many tokens `owner` holds.
        function balanceOf(address owner) external view returns (uint256);
        /// Who holds `tokenId`.
        function ownerOf(uint256 tokenId) external view returns (address);
        /// Who may move `tokenId` besides its owner.
        function getApproved(uint256 tokenId) external view returns (address);
        /// Whether `operator` may move all of `owner`'s tokens.
        function isApprovedForAll(address owner, address operator) external view returns (bool);
        /// Lets `to` move `tokenId`.
        function approve(address to, uint256 tokenId) external;
        /// Lets `operator` move all of the caller's tokens (or no longer).
        function setApprovalForAll(address operator, bool approved) external;
        /// Moves `tokenId` from `from` to `to`.
        function transferFrom(address from, address to, uint256 tokenId) external;
        /// Moves `tokenId`, checking that a contract `to` accepts it.
        function safeTransferFrom(address from, address to, uint256 tokenId) external;
        /// Moves `tokenId` with `data`, checking that a contract `to` accepts it.
        function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external;
    }

    /// `DmlCompetition` (whitepaper A.2): a creator escrows a DML prize for a
    /// model and a deadline; task owners enter their tasks on that model before
    /// the deadline; at or before the deadline the creator picks an entry with
    /// a final solution, whose owner is paid; with no winner by then the
    /// creator reclaims the prize after the deadline.
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlCompetition {
        // ---- events ----
        /// `creator` escrowed `prize` for the best output of `model` entered before `deadline`.
        event CompetitionCreated(uint256 indexed id, address indexed creator, bytes32 indexed model, uint64 deadline, uint256 prize);
        /// `entrant` entered its task `taskid`.
        event Entered(uint256 indexed id, bytes32 indexed taskid, address indexed entrant);
        /// The creator picked `taskid`; its owner `winner` was paid `prize`.
        event WinnerPicked(uint256 indexed id, bytes32 indexed taskid, address indexed winner, uint256 prize);
        /// No winner by the deadline; `creator` took back `prize`.
        event PrizeReclaimed(uint256 indexed id, address indexed creator, uint256 prize);

        // ---- errors ----
        /// The engine address is zero (constructor).
        error ZeroEngine();
        /// No competition `id`.
        error UnknownCompetition(uint256 id);
        /// `create` with a deadline not after the current time.
        error DeadlineNotInFuture(uint64 deadline, uint256 nowTime);
        /// `enter` at or after the deadline.
        error EntriesClosed(uint256 id, uint64 deadline);
        /// The task does not exist on the engine.
        error UnknownTask(bytes32 taskid);
        /// The task runs `taskModel`, not the competition's `model`.
        error WrongModel(bytes32 taskid, bytes32 taskModel, bytes32 model);
        /// Only the task's owner `owner` may enter it (`caller` tried).
        error NotTaskOwner(bytes32 taskid, address caller, address owner);
        /// The task is already entered.
        error AlreadyEntered(uint256 id, bytes32 taskid);
        /// Only the creator `creator` may do this (`caller` tried).
        error NotCreator(uint256 id, address caller, address creator);
        /// `pickWinner` after the deadline.
        error JudgingClosed(uint256 id, uint64 deadline);
        /// `pickWinner` of a task that was not entered.
        error NotAnEntry(uint256 id, bytes32 taskid);
        /// `pickWinner` of a task without a final (claimed) solution.
        error SolutionNotFinal(bytes32 taskid);
        /// The prize was already paid or reclaimed.
        error AlreadySettled(uint256 id);
        /// `reclaim` at or before the deadline.
        error DeadlineNotPassed(uint256 id, uint64 deadline);
        /// A DML transfer failed (OpenZeppelin's SafeERC20).
        error SafeERC20FailedOperation(address token);

        // ---- actions ----
        /// Creates a competition, taking `prize` DML from the caller (may be zero).
        function create(bytes32 model, uint64 deadline, uint256 prize) external returns (uint256 id);
        /// Enters the caller's task `taskid` (on the competition's model), before the deadline.
        function enter(uint256 id, bytes32 taskid) external;
        /// The creator picks the winning entry (final solution; at or before the deadline; once).
        function pickWinner(uint256 id, bytes32 taskid) external;
        /// The creator takes the prize back (after the deadline, no winner).
        function reclaim(uint256 id) external;

        // ---- views ----
        /// The DML engine.
        function engine() external view returns (address);
        /// The DML token.
        function token() external view returns (address);
        /// How many competitions were created (ids 1 to this).
        function competitionCount() external view returns (uint256);
        /// A competition (`winningTask` zero: none picked).
        function competition(uint256 id) external view returns (address creator, bytes32 model, uint64 deadline, uint256 prize, bytes32 winningTask, bool reclaimed);
        /// A competition's entries, in entry order.
        function entries(uint256 id) external view returns (bytes32[] memory);
        /// Whether `taskid` is an entry.
        function isEntry(uint256 id, bytes32 taskid) external view returns (bool);
    }

    /// `DmlTaskChain` (whitepaper A.4): `start` takes `stepCost × maxSteps`
    /// DML and submits step 1, `{"prompt":"…","max_length":N}`; the engine's
    /// callback records each step's CID; `advance(chainId, output)` (anyone)
    /// checks the output against it with the engine's `generateIPFSCID`, then
    /// finishes (step limit, marker found, unusable output) or submits the
    /// next step with the output's last 1,000 bytes as its prompt. A finished
    /// chain refunds the rest of its deposit to the starter.
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlTaskChain {
        // ---- events ----
        /// A chain started, with its deposit.
        event ChainStarted(uint256 indexed chainId, address indexed starter, bytes32 indexed model, uint16 maxSteps, uint32 maxLength, bytes marker, string prompt, uint256 deposit);
        /// Step `step` (from 1) was submitted as `taskid`.
        event StepSubmitted(uint256 indexed chainId, uint16 step, bytes32 indexed taskid);
        /// Step `step`'s task has its final solution `cid`.
        event StepSolved(uint256 indexed chainId, uint16 step, bytes32 indexed taskid, bytes cid);
        /// Step `step`'s `cancelledTask` lost a contestation; the same input is now `taskid`.
        event StepResubmitted(uint256 indexed chainId, uint16 step, bytes32 indexed cancelledTask, bytes32 indexed taskid);
        /// The chain finished after `steps` steps, for `reason` (see [`ChainFinishReason`](crate::ChainFinishReason)).
        event ChainFinished(uint256 indexed chainId, uint16 steps, uint8 reason);
        /// The rest of the deposit went back to `starter`.
        event DepositRefunded(uint256 indexed chainId, address indexed starter, uint256 amount);

        // ---- errors ----
        /// A prompt of `length` bytes; it must be 1 to `maxLength` (1,000).
        error InvalidPromptLength(uint256 length, uint256 maxLength);
        /// The prompt is not valid UTF-8.
        error PromptNotUtf8();
        /// `maxSteps` must be at least 1.
        error InvalidMaxSteps(uint16 maxSteps);
        /// `maxLength` must be 1 to 1,000.
        error InvalidMaxLength(uint32 maxLength);
        /// A marker of `length` bytes; at most `maxLength` (256).
        error MarkerTooLong(uint256 length, uint256 maxLength);
        /// The first prompt already contains the marker.
        error MarkerInPrompt();
        /// The callback gas limit must be 1 to 5,000,000 (constructor).
        error InvalidCallbackGasLimit(uint64 gasLimit);
        /// No chain `chainId`.
        error UnknownChain(uint256 chainId);
        /// The chain has finished.
        error ChainAlreadyFinished(uint256 chainId);
        /// `advance` before the current step's solution was delivered.
        error StepNotSolved(uint256 chainId, uint16 step, bytes32 taskid);
        /// `advance` with an output whose CID is `actual`, not the delivered `expected`.
        error OutputMismatch(uint256 chainId, uint16 step, bytes expected, bytes actual);
        /// `resubmit` of a step whose callback status is `status`, not cancelled (4).
        error TaskNotCancelled(uint256 chainId, uint16 step, bytes32 taskid, uint8 status);
        /// Only the starter `starter` may stop the chain (`caller` tried).
        error NotStarter(uint256 chainId, address caller, address starter);
        /// `stop` while the current step waits for its solution (or its callback failed).
        error StepPending(uint256 chainId, uint16 step, bytes32 taskid);
        /// `onTaskSolved` from `caller`, not the engine.
        error NotEngine(address caller);
        /// `onTaskSolved` for a task this contract did not submit.
        error UnknownTask(bytes32 taskid);
        /// The engine address is zero (constructor).
        error ZeroEngine();
        /// A DML transfer failed (OpenZeppelin's SafeERC20).
        error SafeERC20FailedOperation(address token);

        // ---- actions ----
        /// Starts a chain on `model` with `text` (1 to 1,000 bytes of UTF-8, without `marker`), at most
        /// `maxSteps` steps of `maxLength` (1 to 1,000) characters; `marker` (at most 256 bytes, empty: none)
        /// ends it early.
        function start(bytes32 model, string calldata text, uint16 maxSteps, bytes calldata marker, uint32 maxLength) external returns (uint256 chainId);
        /// Takes the current step's output (checked against its CID) and finishes or submits the next step.
        function advance(uint256 chainId, bytes calldata output) external;
        /// Submits the current step's input again after its task's solution lost a contestation.
        function resubmit(uint256 chainId) external returns (bytes32 taskid);
        /// The starter ends the chain (current step solved or cancelled); the deposit's rest comes back.
        function stop(uint256 chainId) external;
        /// Asks the engine to redeliver the current step's failed callback (0 gas: the configured limit).
        function retry(uint256 chainId, uint64 gasLimit) external;
        /// The engine's callback (only the engine, only for this contract's tasks).
        function onTaskSolved(bytes32 taskid, bytes calldata cid) external;

        // ---- views ----
        /// The longest prompt, in bytes (1,000).
        function MAX_PROMPT_BYTES() external view returns (uint256);
        /// The largest `max_length` (1,000).
        function MAX_GENERATED_LENGTH() external view returns (uint32);
        /// The longest marker, in bytes (256).
        function MAX_MARKER_BYTES() external view returns (uint256);
        /// `ChainFinished.reason`: the step limit (1).
        function FINISHED_MAX_STEPS() external view returns (uint8);
        /// `ChainFinished.reason`: the marker (2).
        function FINISHED_MARKER() external view returns (uint8);
        /// `ChainFinished.reason`: stopped by the starter (3).
        function FINISHED_STOPPED() external view returns (uint8);
        /// `ChainFinished.reason`: an output that cannot be a prompt (4).
        function FINISHED_UNUSABLE_OUTPUT() external view returns (uint8);
        /// The DML engine.
        function engine() external view returns (address);
        /// The DML token.
        function token() external view returns (address);
        /// The task fee of each step.
        function taskFee() external view returns (uint256);
        /// The callback fee of each step.
        function callbackFee() external view returns (uint256);
        /// The callback's gas.
        function callbackGasLimit() external view returns (uint64);
        /// `taskFee + callbackFee`.
        function stepCost() external view returns (uint256);
        /// How many chains were started (ids 1 to this).
        function chainCount() external view returns (uint256);
        /// Whether this contract submitted `taskid`.
        function isOwnTask(bytes32 taskid) external view returns (bool);
        /// A chain; `steps` is the number of steps submitted (the current step's number).
        function chain(uint256 chainId) external view returns (bytes32 model, address starter, uint16 maxSteps, uint16 steps, bool finished, bytes memory marker, uint32 maxLength, bytes32 currentTask);
        /// Why a chain finished (0: running).
        function finishReason(uint256 chainId) external view returns (uint8);
        /// The DML left of a chain's deposit (0 once finished).
        function depositOf(uint256 chainId) external view returns (uint256);
        /// The current step's prompt.
        function currentPrompt(uint256 chainId) external view returns (bytes memory);
        /// The current step's task input JSON.
        function currentInput(uint256 chainId) external view returns (bytes memory);
        /// A chain's tasks, one per step (a resubmitted step shows its latest task).
        function chainTasks(uint256 chainId) external view returns (bytes32[] memory);
        /// The chain and step (from 1) of a task; `(0, 0)`: none.
        function stepOfTask(bytes32 taskid) external view returns (uint256 chainId, uint16 step);
        /// The solution CID delivered for a step's task (empty: not delivered).
        function solutionOf(bytes32 taskid) external view returns (bytes memory);
    }

    /// `TestTaskReceiver`: TEST FIXTURE ONLY. A callback contract accepting
    /// `onTaskSolved` for any task from the engine, doing what its `mode`
    /// says: 0 record (`count`, `lastTask`, `lastCid`, `lastGasLeft`,
    /// `Received`), 1 revert `Refused(taskid)`, 2 burn all its gas, 3 call
    /// `engine.signalCommitment` with a fresh commitment, which would succeed
    /// outside a callback (bubbling `ReentrancyGuardReentrantCall()`), 4 call
    /// the DML token's `transfer(this, 0)` (bubbling the same). It can be the
    /// requester itself: `submitWithCallback` (owner and callback: itself;
    /// fees from its own DML, sent to it by ordinary transfer) and `retry`.
    #[derive(Debug, PartialEq, Eq)]
    interface ITestTaskReceiver {
        /// A delivery was recorded (mode 0).
        event Received(bytes32 indexed taskid, bytes cid);
        /// `submitWithCallback` submitted `taskid`.
        event Submitted(bytes32 indexed taskid);
        /// Mode 1's refusal.
        error Refused(bytes32 taskid);
        /// `onTaskSolved` from `caller`, not the engine.
        error NotEngine(address caller);
        /// `setMode` above 4.
        error UnknownMode(uint8 mode);
        /// Mode 0: record.
        function MODE_RECORD() external view returns (uint8);
        /// Mode 1: revert.
        function MODE_REVERT() external view returns (uint8);
        /// Mode 2: burn all gas.
        function MODE_BURN_GAS() external view returns (uint8);
        /// Mode 3: call the engine's `submitTask`.
        function MODE_REENTER_ENGINE() external view returns (uint8);
        /// Mode 4: call the DML token's `transfer`.
        function MODE_REENTER_TOKEN() external view returns (uint8);
        /// The DML engine.
        function engine() external view returns (address);
        /// The current mode.
        function mode() external view returns (uint8);
        /// Deliveries recorded.
        function count() external view returns (uint256);
        /// The last task recorded.
        function lastTask() external view returns (bytes32);
        /// The last CID recorded.
        function lastCid() external view returns (bytes memory);
        /// `gasleft()` on entry to the last recorded delivery.
        function lastGasLeft() external view returns (uint256);
        /// Sets the mode (anyone).
        function setMode(uint8 mode_) external;
        /// The engine's callback.
        function onTaskSolved(bytes32 taskid, bytes calldata cid) external;
        /// Submits a task owned by and calling back this contract (fees from its own DML).
        function submitWithCallback(bytes32 model, uint256 fee, bytes calldata input, uint64 gasLimit, uint256 callbackFee) external returns (bytes32 taskid);
        /// `engine.retryCallback(taskid, gasLimit)`.
        function retry(bytes32 taskid, uint64 gasLimit) external;
    }
}

alloy_sol_types::sol! {
    /// The constructors (the tests compare them with the artifacts' ABI).
    contract DmlImageNFT {
        constructor(address engine_, bytes32 model_, uint256 taskFee_, uint256 callbackFee_, uint64 callbackGasLimit_, string gatewayBase_, string name_, string symbol_);
    }

    contract DmlCompetition {
        constructor(address engine_);
    }

    contract DmlTaskChain {
        constructor(address engine_, uint256 taskFee_, uint256 callbackFee_, uint64 callbackGasLimit_);
    }

    contract TestTaskReceiver {
        constructor(address engine_);
    }
}

/// One of the contracts that request inference (and the engine callback
/// test fixture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequesterContract {
    /// `DmlImageNFT` (contracts/requesters/DmlImageNFT.sol).
    ImageNft,
    /// `DmlCompetition` (contracts/requesters/DmlCompetition.sol).
    Competition,
    /// `DmlTaskChain` (contracts/requesters/DmlTaskChain.sol).
    TaskChain,
    /// `TestTaskReceiver` (contracts/test/TestTaskReceiver.sol): a test
    /// fixture, never deployed for real.
    TestTaskReceiver,
}

impl RequesterContract {
    /// Every one, in build order.
    pub const ALL: [RequesterContract; 4] =
        [Self::ImageNft, Self::Competition, Self::TaskChain, Self::TestTaskReceiver];

    /// The Solidity contract name (also the artifact's file stem).
    pub fn name(self) -> &'static str {
        match self {
            Self::ImageNft => "DmlImageNFT",
            Self::Competition => "DmlCompetition",
            Self::TaskChain => "DmlTaskChain",
            Self::TestTaskReceiver => "TestTaskReceiver",
        }
    }

    /// The contract's parsed artifact.
    pub fn artifact(self) -> &'static Artifact {
        match self {
            Self::ImageNft => &IMAGE_NFT,
            Self::Competition => &COMPETITION,
            Self::TaskChain => &TASK_CHAIN,
            Self::TestTaskReceiver => &TEST_TASK_RECEIVER,
        }
    }
}

static IMAGE_NFT: LazyLock<Artifact> =
    LazyLock::new(|| parse("DmlImageNFT", include_str!("../artifacts/DmlImageNFT.json")));
static COMPETITION: LazyLock<Artifact> =
    LazyLock::new(|| parse("DmlCompetition", include_str!("../artifacts/DmlCompetition.json")));
static TASK_CHAIN: LazyLock<Artifact> =
    LazyLock::new(|| parse("DmlTaskChain", include_str!("../artifacts/DmlTaskChain.json")));
static TEST_TASK_RECEIVER: LazyLock<Artifact> =
    LazyLock::new(|| parse("TestTaskReceiver", include_str!("../artifacts/TestTaskReceiver.json")));

/// Why a `DmlTaskChain` finished (`ChainFinished.reason`, `finishReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainFinishReason {
    /// The step limit was reached (1).
    MaxSteps,
    /// The last output contains the marker (2).
    Marker,
    /// The starter stopped the chain (3).
    Stopped,
    /// The last output cannot be a prompt: empty, or not UTF-8 (4).
    UnusableOutput,
}

impl ChainFinishReason {
    /// The contract's code for the reason.
    pub fn code(self) -> u8 {
        match self {
            Self::MaxSteps => 1,
            Self::Marker => 2,
            Self::Stopped => 3,
            Self::UnusableOutput => 4,
        }
    }

    /// The reason of a contract code; `None` for 0 (still running) and unknown codes.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::MaxSteps),
            2 => Some(Self::Marker),
            3 => Some(Self::Stopped),
            4 => Some(Self::UnusableOutput),
            _ => None,
        }
    }
}

/// What `DmlImageNFT`'s constructor takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageNftConfig {
    /// The DML engine (its `baseToken()` is the fee token).
    pub engine: Address,
    /// The model tokens are generated with.
    pub model: B256,
    /// The task fee of each mint (at least the model's fee), in DML base units.
    pub task_fee: U256,
    /// The callback fee of each mint, paid to whoever delivers the callback.
    pub callback_fee: U256,
    /// The callback's gas, 1 to 5,000,000 (200,000 is ample).
    pub callback_gas_limit: u64,
    /// The IPFS gateway prefix of `external_url`, ending in `/ipfs/`.
    pub gateway_base: String,
    /// The collection's ERC-721 name.
    pub name: String,
    /// The collection's ERC-721 symbol.
    pub symbol: String,
}

/// `DmlImageNFT`'s creation code (without constructor arguments).
pub fn image_nft_creation_code() -> &'static [u8] {
    &IMAGE_NFT.bytecode
}

/// `DmlCompetition`'s creation code (without constructor arguments).
pub fn competition_creation_code() -> &'static [u8] {
    &COMPETITION.bytecode
}

/// `DmlTaskChain`'s creation code (without constructor arguments).
pub fn task_chain_creation_code() -> &'static [u8] {
    &TASK_CHAIN.bytecode
}

/// `TestTaskReceiver`'s creation code (without constructor arguments).
pub fn test_task_receiver_creation_code() -> &'static [u8] {
    &TEST_TASK_RECEIVER.bytecode
}

fn concat(code: &[u8], arguments: Vec<u8>) -> Bytes {
    let mut payload = Vec::with_capacity(code.len() + arguments.len());
    payload.extend_from_slice(code);
    payload.extend_from_slice(&arguments);
    payload.into()
}

/// Deploys `DmlImageNFT` with `config`. The constructor calls the engine's
/// `baseToken()`, so the engine must exist, and refuses a zero engine and a
/// callback gas limit outside 1 to 5,000,000.
pub fn image_nft_deploy_code(config: &ImageNftConfig) -> Bytes {
    let arguments = DmlImageNFT::constructorCall {
        engine_: config.engine,
        model_: config.model,
        taskFee_: config.task_fee,
        callbackFee_: config.callback_fee,
        callbackGasLimit_: config.callback_gas_limit,
        gatewayBase_: config.gateway_base.clone(),
        name_: config.name.clone(),
        symbol_: config.symbol.clone(),
    }
    .abi_encode();
    concat(image_nft_creation_code(), arguments)
}

/// Deploys `DmlCompetition` on `engine` (its constructor calls the engine's
/// `baseToken()`).
pub fn competition_deploy_code(engine: Address) -> Bytes {
    concat(competition_creation_code(), DmlCompetition::constructorCall { engine_: engine }.abi_encode())
}

/// Deploys `DmlTaskChain` on `engine`, each step paying `task_fee` and
/// `callback_fee` (DML base units) with `callback_gas_limit` gas for its
/// callback (1 to 5,000,000; 200,000 is ample). The constructor calls the
/// engine's `baseToken()`.
pub fn task_chain_deploy_code(engine: Address, task_fee: U256, callback_fee: U256, callback_gas_limit: u64) -> Bytes {
    let arguments = DmlTaskChain::constructorCall {
        engine_: engine,
        taskFee_: task_fee,
        callbackFee_: callback_fee,
        callbackGasLimit_: callback_gas_limit,
    }
    .abi_encode();
    concat(task_chain_creation_code(), arguments)
}

/// Deploys the `TestTaskReceiver` fixture (tests only) on `engine`.
pub fn test_task_receiver_deploy_code(engine: Address) -> Bytes {
    concat(test_task_receiver_creation_code(), TestTaskReceiver::constructorCall { engine_: engine }.abi_encode())
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolType;

    use super::*;

    fn types<C: SolConstructor>() -> String {
        <C::Parameters<'_> as SolType>::SOL_NAME.to_string()
    }

    #[test]
    fn constructors_match_the_artifacts() {
        let declared = [
            (RequesterContract::ImageNft, types::<DmlImageNFT::constructorCall>()),
            (RequesterContract::Competition, types::<DmlCompetition::constructorCall>()),
            (RequesterContract::TaskChain, types::<DmlTaskChain::constructorCall>()),
            (RequesterContract::TestTaskReceiver, types::<TestTaskReceiver::constructorCall>()),
        ];
        for (contract, declared) in declared {
            let abi = contract.artifact().abi.as_array().unwrap();
            let constructor = abi.iter().find(|item| item["type"] == "constructor").unwrap();
            let compiled: Vec<&str> =
                constructor["inputs"].as_array().unwrap().iter().map(|input| input["type"].as_str().unwrap()).collect();
            assert_eq!(declared, format!("({})", compiled.join(",")), "{}", contract.name());
        }
    }

    #[test]
    fn deploy_code_is_creation_code_then_arguments() {
        let engine = Address::repeat_byte(0xee);
        let competition = competition_deploy_code(engine);
        assert_eq!(&competition[..competition_creation_code().len()], competition_creation_code());
        assert_eq!(&competition[competition.len() - 20..], engine.as_slice());
        let receiver = test_task_receiver_deploy_code(engine);
        assert_eq!(receiver.len(), test_task_receiver_creation_code().len() + 32);
        let chain = task_chain_deploy_code(engine, U256::from(1u8), U256::from(2u8), 200_000);
        assert_eq!(chain.len(), task_chain_creation_code().len() + 4 * 32);

        let config = ImageNftConfig {
            engine,
            model: B256::repeat_byte(0x11),
            task_fee: U256::from(1u8),
            callback_fee: U256::ZERO,
            callback_gas_limit: 200_000,
            gateway_base: "http://127.0.0.1:8080/ipfs/".into(),
            name: "DML Images".into(),
            symbol: "DMLI".into(),
        };
        let nft = image_nft_deploy_code(&config);
        let arguments = &nft[image_nft_creation_code().len()..];
        type Parameters<'a> = <DmlImageNFT::constructorCall as SolConstructor>::Parameters<'a>;
        let (decoded_engine, model, _, _, gas_limit, gateway, name, symbol) =
            Parameters::abi_decode_params(arguments).unwrap();
        assert_eq!((decoded_engine, model, gas_limit), (engine, config.model, 200_000));
        assert_eq!((gateway, name, symbol), (config.gateway_base, config.name, config.symbol));
    }

    #[test]
    fn finish_reasons_round_trip_and_match_the_contract() {
        for reason in [
            ChainFinishReason::MaxSteps,
            ChainFinishReason::Marker,
            ChainFinishReason::Stopped,
            ChainFinishReason::UnusableOutput,
        ] {
            assert_eq!(ChainFinishReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(ChainFinishReason::from_code(0), None);
        assert_eq!(ChainFinishReason::from_code(5), None);
    }
}
