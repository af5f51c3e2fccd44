// A Solidity contract compiled with the npm `solc` package, deployed on the
// dev chain, that calls the engine (submits a task and reads it back) and
// the token (transferFrom after the user's approve).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createPublicClient, createWalletClient, erc20Abi, http, parseEther } from "viem";
import { account, check, devChain, engineAbi, registerModel, rpcUrl } from "./common.mjs";

const require = createRequire(import.meta.url);
const solc = require("solc");

const source = readFileSync(new URL("./TaskRequester.sol", import.meta.url), "utf8");
const output = JSON.parse(
  solc.compile(
    JSON.stringify({
      language: "Solidity",
      sources: { "TaskRequester.sol": { content: source } },
      settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
    }),
  ),
);
const errors = (output.errors ?? []).filter((error) => error.severity === "error");
check(errors.length === 0, `solc compiles: ${errors.map((e) => e.formattedMessage).join("\n")}`);
const compiled = output.contracts["TaskRequester.sol"].TaskRequester;
const abi = compiled.abi;
const bytecode = "0x" + compiled.evm.bytecode.object;

const user = account(3);
const publicClient = createPublicClient({ chain: devChain, transport: http(rpcUrl) });
const wallet = createWalletClient({ account: user, chain: devChain, transport: http(rpcUrl) });
const wait = (hash) => publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
const contracts = await publicClient.request({ method: "dml_getContracts", params: [] });

const deployHash = await wallet.deployContract({ abi, bytecode, args: [contracts.engine, contracts.token] });
const deployed = await wait(deployHash);
check(deployed.status === "success" && deployed.contractAddress, "contract deployed");
const requester = deployed.contractAddress;
check((await publicClient.getCode({ address: requester })).length > 2, "deployed code is on chain");

// approve, then the contract pulls with transferFrom.
const amount = parseEther("5");
const approved = await wait(
  await wallet.writeContract({ address: contracts.token, abi: erc20Abi, functionName: "approve", args: [requester, amount] }),
);
check(approved.status === "success", "approve succeeded");
const allowance = await publicClient.readContract({
  address: contracts.token, abi: erc20Abi, functionName: "allowance", args: [user.address, requester],
});
check(allowance === amount, "allowance recorded");
const pulled = await wait(await wallet.writeContract({ address: requester, abi, functionName: "pull", args: [user.address, amount] }));
check(pulled.status === "success", "transferFrom by the contract succeeded");
const held = await publicClient.readContract({ address: contracts.token, abi: erc20Abi, functionName: "balanceOf", args: [requester] });
check(held === amount, `the contract holds 5 DML, got ${held}`);

// The contract submits a task it owns and reads it back.
const model = await registerModel(wallet, publicClient, contracts.engine, 0n);
const fee = parseEther("1");
const requested = await wait(
  await wallet.writeContract({
    address: requester, abi, functionName: "request",
    args: [model, fee, "0x" + Buffer.from('{"prompt":"from solidity"}').toString("hex")],
  }),
);
check(requested.status === "success", "request() succeeded");
const engineLog = requested.logs.find((log) => log.address.toLowerCase() === contracts.engine.toLowerCase());
check(engineLog !== undefined, "the engine emitted TaskSubmitted inside the contract call");
const lastTask = await publicClient.readContract({ address: requester, abi, functionName: "lastTask" });
check(engineLog.topics[1] === lastTask, "the emitted task id is the one the contract stored");
const owner = await publicClient.readContract({ address: requester, abi, functionName: "taskOwner", args: [lastTask] });
check(owner.toLowerCase() === requester.toLowerCase(), "the task's owner is the contract");
const task = await publicClient.readContract({ address: contracts.engine, abi: engineAbi, functionName: "tasks", args: [lastTask] });
check(task[1] === fee, "the task's fee");
const left = await publicClient.readContract({ address: contracts.token, abi: erc20Abi, functionName: "balanceOf", args: [requester] });
check(left === amount - fee, "the fee left the contract's balance");

// A failing request reverts with the engine's reason, visible to the caller.
let reverted = false;
try {
  await publicClient.simulateContract({
    account: user, address: requester, abi, functionName: "request", args: [model, parseEther("100"), "0x7b7d"],
  });
} catch (error) {
  reverted = /revert/i.test(String(error));
}
check(reverted, "a request beyond the contract's balance reverts");
console.log(JSON.stringify({ ok: true, contract: requester, task: lastTask }));
