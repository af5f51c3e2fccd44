// A Solidity test suite of the kind a user writes: ToolContracts.sol
// compiled with npm's solc, deployed and driven with viem and a local key
// (eth_sendRawTransaction), reading events, and time travel
// (evm_increaseTime + mine, evm_mine at a timestamp, evm_setNextBlockTimestamp)
// opening a time lock. On `dml node` (it answers dml_getContracts) a
// TaskEscrow also funds itself with DML and, once its lock has passed,
// submits a task to the engine; on other nodes that part is skipped.
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  erc20Abi,
  parseEther,
  parseEventLogs,
  toHex,
} from "viem";
import { contracts } from "./tool_contracts.mjs";
import { account, check, devChain, dmlContracts, engineAbi, finish, recordingHttp, registerModel, rpc, step } from "./tools_common.mjs";

const transport = recordingHttp();
const user = account(7);
const publicClient = createPublicClient({ chain: devChain, transport, pollingInterval: 50, cacheTime: 0 });
const testClient = createTestClient({ mode: "anvil", chain: devChain, transport, pollingInterval: 50, cacheTime: 0 });
const wallet = createWalletClient({ account: user, chain: devChain, transport, pollingInterval: 50, cacheTime: 0 });
const wait = async (hash) => {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 });
  return receipt;
};
const deploy = async (name, args = [], value) => {
  const { abi, bytecode } = contracts[name];
  const receipt = await wait(await wallet.deployContract({ abi, bytecode, args, value }));
  check(receipt.status === "success" && receipt.contractAddress, `${name} deployed`);
  return receipt.contractAddress;
};
const send = async (name, address, functionName, args = [], value) => {
  const receipt = await wait(await wallet.writeContract({ address, abi: contracts[name].abi, functionName, args, value }));
  check(receipt.status === "success", `${name}.${functionName} succeeded`);
  return { receipt, events: parseEventLogs({ abi: contracts[name].abi, logs: receipt.logs }) };
};
/// The revert reason of a call, or null if it succeeds.
const revertReason = async (name, address, functionName, args = [], from = user) => {
  try {
    await publicClient.simulateContract({ account: from, address, abi: contracts[name].abi, functionName, args });
    return null;
  } catch (error) {
    return error.walk?.((e) => e.reason)?.reason ?? error.shortMessage;
  }
};
const latest = () => publicClient.getBlock({ blockTag: "latest" });

const counter = await step("Counter", async () => {
  const address = await deploy("Counter");
  const { events } = await send("Counter", address, "increment", [4n]);
  check(events.length === 1 && events[0].eventName === "Incremented", "Incremented emitted");
  check(events[0].args.by === user.address && events[0].args.amount === 4n && events[0].args.count === 4n, "event arguments");
  await send("Counter", address, "increment", [6n]);
  const count = await publicClient.readContract({ address, abi: contracts.Counter.abi, functionName: "count" });
  check(count === 10n, `count() is 10, got ${count}`);
  const history = await publicClient.getContractEvents({ address, abi: contracts.Counter.abi, eventName: "Incremented", fromBlock: 0n });
  check(history.map((log) => log.args.count).join() === "4,10", "eth_getLogs returns both events in order");
  check((await revertReason("Counter", address, "fail")) === "Counter: fail", "a revert reason reaches the caller");
  return address;
});

const timeLock = await step("TimeLock with evm_increaseTime + mine", async () => {
  const address = await deploy("TimeLock");
  const hour = 3600n;
  const { events } = await send("TimeLock", address, "lock", [hour], parseEther("1"));
  const locked = events.find((event) => event.eventName === "Locked").args;
  check(locked.amount === parseEther("1") && locked.owner === user.address, "Locked event");
  check((await revertReason("TimeLock", address, "release", [locked.id])) === "TimeLock: still locked", "locked for the hour");

  await testClient.increaseTime({ seconds: Number(hour) });
  await testClient.mine({ blocks: 1 });
  const now = (await latest()).timestamp;
  check(now >= locked.unlockAt, `the clock moved past the lock: ${now} >= ${locked.unlockAt}`);
  const before = await publicClient.getBalance({ address: user.address });
  const { receipt, events: released } = await send("TimeLock", address, "release", [locked.id]);
  const payout = released.find((event) => event.eventName === "Released").args;
  check(payout.amount === parseEther("1") && payout.owner === user.address, "Released event");
  const after = await publicClient.getBalance({ address: user.address });
  check(after - before === parseEther("1") - receipt.gasUsed * receipt.effectiveGasPrice, "the ether came back less gas");
  check((await revertReason("TimeLock", address, "release", [locked.id])) === "TimeLock: no such lock", "released once only");
  return address;
});

await step("TimeLock with evm_mine at a timestamp and evm_setNextBlockTimestamp", async () => {
  const day = 86_400n;
  const { events } = await send("TimeLock", timeLock, "lock", [day], parseEther("2"));
  const { id, unlockAt } = events.find((event) => event.eventName === "Locked").args;
  // A block mined 100 s before the lock opens: still locked.
  await rpc("evm_mine", [Number(unlockAt) - 100]);
  check((await latest()).timestamp === unlockAt - 100n, "evm_mine took the timestamp");
  check((await revertReason("TimeLock", timeLock, "release", [id])) === "TimeLock: still locked", "still locked 100 s before");
  // The release mined at exactly unlockAt passes (block.timestamp >= unlockAt).
  await rpc("evm_setNextBlockTimestamp", [toHex(unlockAt)]);
  const { receipt } = await send("TimeLock", timeLock, "release", [id]);
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  check(block.timestamp === unlockAt, `the release's block is at unlockAt: ${block.timestamp}`);
});

const engine = await step("TaskEscrow and the DML engine", async () => {
  const dml = await dmlContracts();
  if (dml === null) {
    return { skipped: "no dml_getContracts: not a DML node" };
  }
  const delay = 600n;
  const escrow = await deploy("TaskEscrow", [dml.engine, dml.token, delay]);
  const amount = parseEther("5");
  const approved = await wait(
    await wallet.writeContract({ address: dml.token, abi: erc20Abi, functionName: "approve", args: [escrow, amount] }),
  );
  check(approved.status === "success", "approve");
  const { events: funded } = await send("TaskEscrow", escrow, "fund", [amount]);
  check(funded.some((event) => event.eventName === "Funded" && event.args.amount === amount), "Funded event");
  const held = await publicClient.readContract({ address: dml.token, abi: erc20Abi, functionName: "balanceOf", args: [escrow] });
  check(held === amount, "the escrow holds the DML");

  const model = await registerModel(wallet, publicClient, dml.engine, 0n);
  const fee = parseEther("1");
  const input = toHex('{"prompt":"after the time lock"}');
  check((await revertReason("TaskEscrow", escrow, "request", [model, fee, input])) === "TaskEscrow: still locked", "locked at first");
  await testClient.increaseTime({ seconds: Number(delay) });
  await testClient.mine({ blocks: 1 });
  const { receipt, events } = await send("TaskEscrow", escrow, "request", [model, fee, input]);
  const requested = events.find((event) => event.eventName === "Requested");
  check(requested && requested.args.fee === fee, "Requested event");
  const submitted = parseEventLogs({ abi: engineAbi, logs: receipt.logs, eventName: "TaskSubmitted" });
  check(submitted.length === 1 && submitted[0].address.toLowerCase() === dml.engine.toLowerCase(), "the engine's TaskSubmitted");
  check(submitted[0].args.id === requested.args.task, "the engine's task id is the escrow's");
  const task = await publicClient.readContract({ address: dml.engine, abi: engineAbi, functionName: "tasks", args: [requested.args.task] });
  check(task[2].toLowerCase() === escrow.toLowerCase() && task[1] === fee, "the task is the escrow's, with its fee");
  const left = await publicClient.readContract({ address: dml.token, abi: erc20Abi, functionName: "balanceOf", args: [escrow] });
  check(left === amount - fee, "the fee left the escrow");
  return { escrow, task: requested.args.task };
});

finish({ counter, timeLock, engine });
