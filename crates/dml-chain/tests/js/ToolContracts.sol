// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The contracts the tool tests (tests/tool_clients.rs) deploy: what a user
/// would write and drive with cast, ethers and viem. Only TaskEscrow needs the
/// DML engine; the others run on any Ethereum dev node.

/// A counter; `count` is storage slot 0 (the tests write it with setStorageAt).
contract Counter {
    uint256 public count;

    event Incremented(address indexed by, uint256 amount, uint256 count);

    function increment(uint256 amount) external {
        count += amount;
        emit Incremented(msg.sender, amount, count);
    }

    function fail() external pure {
        revert("Counter: fail");
    }
}

/// A minimal ERC-20 whose `Transfer` events ethers listens to.
contract ToolToken {
    string public constant name = "Tool Token";
    string public constant symbol = "TOOL";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "ToolToken: balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}

/// Ether locked until a time: release before it reverts, after it pays out.
contract TimeLock {
    struct Lock {
        address owner;
        uint256 amount;
        uint64 unlockAt;
    }

    mapping(uint256 => Lock) public locks;
    uint256 public nextId;

    event Locked(uint256 indexed id, address indexed owner, uint256 amount, uint64 unlockAt);
    event Released(uint256 indexed id, address indexed owner, uint256 amount);

    function lock(uint64 delay) external payable returns (uint256 id) {
        require(msg.value > 0, "TimeLock: nothing to lock");
        id = nextId++;
        uint64 unlockAt = uint64(block.timestamp) + delay;
        locks[id] = Lock(msg.sender, msg.value, unlockAt);
        emit Locked(id, msg.sender, msg.value, unlockAt);
    }

    function release(uint256 id) external {
        Lock memory held = locks[id];
        require(held.amount > 0, "TimeLock: no such lock");
        require(block.timestamp >= held.unlockAt, "TimeLock: still locked");
        delete locks[id];
        emit Released(id, held.owner, held.amount);
        (bool sent,) = held.owner.call{value: held.amount}("");
        require(sent, "TimeLock: payout failed");
    }
}

interface IDmlEngine {
    function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes calldata input_)
        external
        returns (bytes32);
    function tasks(bytes32 taskid)
        external
        view
        returns (bytes32 model, uint256 fee, address owner, uint64 blocktime, uint8 version, bytes memory cid);
}

interface IDmlToken {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// DML escrowed for a delay, then spent on an inference task: the depositor
/// funds the escrow (transferFrom after approve), and only once the time
/// lock has passed may it submit a task to the DML engine, paid from the
/// escrow and owned by the escrow.
contract TaskEscrow {
    IDmlEngine public immutable engine;
    IDmlToken public immutable token;
    address public immutable depositor;
    uint64 public immutable unlockAt;
    bytes32 public lastTask;

    event Funded(address indexed from, uint256 amount);
    event Requested(bytes32 indexed task, uint256 fee);

    constructor(address engine_, address token_, uint64 delay) {
        engine = IDmlEngine(engine_);
        token = IDmlToken(token_);
        depositor = msg.sender;
        unlockAt = uint64(block.timestamp) + delay;
    }

    function fund(uint256 amount) external {
        require(token.transferFrom(msg.sender, address(this), amount), "TaskEscrow: transferFrom failed");
        emit Funded(msg.sender, amount);
    }

    function request(bytes32 model, uint256 fee, bytes calldata input) external returns (bytes32 id) {
        require(msg.sender == depositor, "TaskEscrow: not the depositor");
        require(block.timestamp >= unlockAt, "TaskEscrow: still locked");
        id = engine.submitTask(0, address(this), model, fee, input);
        lastTask = id;
        emit Requested(id, fee);
    }
}
