// viem against the dev chain: chain id and balances, an ETH transfer, an
// ERC-20 transfer of DML, and a task submission whose TaskSubmitted log is
// decoded from the receipt and also arrives over an eth_subscribe (WebSocket).
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  erc20Abi,
  http,
  parseEther,
  webSocket,
} from "viem";
import { account, check, devChain, engineAbi, registerModel, rpcUrl, wsUrl } from "./common.mjs";

const alice = account(0);
const bob = account(5);
const publicClient = createPublicClient({ chain: devChain, transport: http(rpcUrl) });
const wallet = createWalletClient({ account: alice, chain: devChain, transport: http(rpcUrl) });
const wsClient = createPublicClient({ chain: devChain, transport: webSocket(wsUrl) });

check((await publicClient.getChainId()) === 31337, "chain id is 31337");
check((await publicClient.getBalance({ address: alice.address })) >= parseEther("9000"), "alice is funded");

const contracts = await publicClient.request({ method: "dml_getContracts", params: [] });
check(contracts.engine && contracts.token && contracts.treasury, "dml_getContracts returns engine, token, treasury");

// ETH transfer.
const bobBefore = await publicClient.getBalance({ address: bob.address });
const ethHash = await wallet.sendTransaction({ to: bob.address, value: parseEther("1.5") });
const ethReceipt = await publicClient.waitForTransactionReceipt({ hash: ethHash, pollingInterval: 20 });
check(ethReceipt.status === "success", "ETH transfer succeeded");
check((await publicClient.getBalance({ address: bob.address })) - bobBefore === parseEther("1.5"), "bob got 1.5 ETH");

// ERC-20 transfer of DML.
const decimals = await publicClient.readContract({ address: contracts.token, abi: erc20Abi, functionName: "decimals" });
check(decimals === 18, "DML has 18 decimals");
const symbol = await publicClient.readContract({ address: contracts.token, abi: erc20Abi, functionName: "symbol" });
check(symbol === "DML", `symbol is DML, got ${symbol}`);
const dmlBefore = await publicClient.readContract({
  address: contracts.token, abi: erc20Abi, functionName: "balanceOf", args: [bob.address],
});
const tokenHash = await wallet.writeContract({
  address: contracts.token, abi: erc20Abi, functionName: "transfer", args: [bob.address, parseEther("2")],
});
const tokenReceipt = await publicClient.waitForTransactionReceipt({ hash: tokenHash, pollingInterval: 20 });
check(tokenReceipt.status === "success", "DML transfer succeeded");
const transfer = decodeEventLog({ abi: erc20Abi, ...tokenReceipt.logs[0] });
check(transfer.eventName === "Transfer" && transfer.args.value === parseEther("2"), "Transfer log decodes");
const dmlAfter = await publicClient.readContract({
  address: contracts.token, abi: erc20Abi, functionName: "balanceOf", args: [bob.address],
});
check(dmlAfter - dmlBefore === parseEther("2"), "bob got 2 DML");

// A task: subscribe to TaskSubmitted over WebSocket, submit, decode the log.
const model = await registerModel(wallet, publicClient, contracts.engine, 0n);
const seen = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no TaskSubmitted over eth_subscribe")), 10000);
  const unwatch = wsClient.watchContractEvent({
    address: contracts.engine,
    abi: engineAbi,
    eventName: "TaskSubmitted",
    onLogs: (logs) => {
      clearTimeout(timer);
      unwatch();
      resolve(logs[0]);
    },
    onError: reject,
  });
});
// Give the subscription a moment to be registered before the task is mined.
await new Promise((resolve) => setTimeout(resolve, 200));
const input = '{"prompt":"hello from viem"}';
const taskHash = await wallet.writeContract({
  address: contracts.engine,
  abi: engineAbi,
  functionName: "submitTask",
  args: [0, alice.address, model, parseEther("0.5"), "0x" + Buffer.from(input).toString("hex")],
});
const taskReceipt = await publicClient.waitForTransactionReceipt({ hash: taskHash, pollingInterval: 20 });
check(taskReceipt.status === "success", "submitTask succeeded");
const submittedLog = taskReceipt.logs.find((log) => log.address.toLowerCase() === contracts.engine.toLowerCase());
const submitted = decodeEventLog({ abi: engineAbi, ...submittedLog });
check(submitted.eventName === "TaskSubmitted", "engine log is TaskSubmitted");
check(submitted.args.model === model, "TaskSubmitted.model");
check(submitted.args.fee === parseEther("0.5"), "TaskSubmitted.fee");
check(submitted.args.sender.toLowerCase() === alice.address.toLowerCase(), "TaskSubmitted.sender");
const task = await publicClient.readContract({
  address: contracts.engine, abi: engineAbi, functionName: "tasks", args: [submitted.args.id],
});
check(task[2].toLowerCase() === alice.address.toLowerCase(), "tasks(id).owner");
const pushed = await seen;
check(pushed.args.id === submitted.args.id, "the subscription delivered the same task id");
await wsClient.transport.getRpcClient().then((client) => client.close());
console.log(JSON.stringify({ ok: true, task: submitted.args.id, block: Number(taskReceipt.blockNumber) }));
