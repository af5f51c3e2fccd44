//! `MockDmlEngine` (contracts/test/MockDmlEngine.sol), a TEST FIXTURE: it
//! stands in for the DML engine's task callbacks on a bare revm, for the tests
//! of the contracts that request inference. The real engine is a native
//! contract of the dev chain (dml-chain hosts dml-engine), which a bare EVM
//! does not have. Like the engine it is its own fee token and debits
//! submitters directly; the test plays the solver (`solve`, `claim`: the
//! claim pays the claimer the callback fee and delivers the callback with the
//! task's gas under a reentrancy flag)
//! and the contestation (`cancel`: fees back to the task's owner). Its
//! `generateIPFSCID` is `0x1220 || sha256(content)` (the engine hashes the
//! dag-pb UnixFS block instead).

use std::sync::LazyLock;

use alloy_primitives::Bytes;
use dml_governance::Artifact;

alloy_sol_types::sol! {
    /// The fixture's ABI (the part the tests use).
    #[derive(Debug, PartialEq, Eq)]
    contract MockDmlEngine {
        event TaskInput(bytes32 indexed task, bytes input);
        event CallbackDelivered(bytes32 indexed task, address indexed callback, uint256 gasUsed);
        event CallbackFailed(bytes32 indexed task, address indexed callback, bytes reason);
        event CallbackCancelled(bytes32 indexed task, address indexed callback);
        error ReentrancyGuardReentrantCall();
        function baseToken() external view returns (address);
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_) external returns (bytes32 taskid);
        function submitTaskWithCallback(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_, address callback_, uint64 callbackGasLimit_, uint256 callbackFee_) external returns (bytes32 taskid);
        function solve(bytes32 taskid, bytes calldata cid) external;
        function claim(bytes32 taskid) external;
        function cancel(bytes32 taskid) external;
        function retryCallback(bytes32 taskid_, uint64 gasLimit_) external;
        function tasks(bytes32 taskid) external view returns (bytes32 model, uint256 fee, address owner, uint64 blocktime, uint8 version, bytes cid);
        function solutions(bytes32 taskid) external view returns (address validator, uint64 blocktime, bool claimed, bytes cid);
        function callbacks(bytes32 taskid) external view returns (address callback, uint64 gasLimit, uint8 status, uint256 fee);
        function generateIPFSCID(bytes calldata content_) external pure returns (bytes memory);
    }
}

static ARTIFACT: LazyLock<Artifact> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../artifacts/MockDmlEngine.json")).expect("MockDmlEngine.json parses")
});

/// Deploys the fixture (no constructor arguments).
pub fn deploy_code() -> Bytes {
    ARTIFACT.bytecode.clone()
}
