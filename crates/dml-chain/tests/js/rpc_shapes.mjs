// Raw JSON-RPC for the methods tools call but the other scripts do not
// drive: the result shapes anvil gives, checked field by field, so that
// `dml node` can be held to them. eth_sendTransaction's default fee filling,
// eth_sign, block/pending/log filters, counts and transactions by block and
// index, uncles, eth_blobBaseFee, debug_traceTransaction/debug_traceCall
// (callTracer, prestateTracer, the struct logger), txpool_* with a pending
// transaction, anvil_nodeInfo, hardhat_ aliases, and CORS.
import { hashMessage, recoverAddress } from "viem";
import { contracts } from "./tool_contracts.mjs";
import { account, check, finish, rawCall, rpc, rpcUrl, step, until } from "./tools_common.mjs";

const from = account(9).address.toLowerCase();
const to = account(8).address.toLowerCase();
const hex = (value) => typeof value === "string" && /^0x[0-9a-f]*$/i.test(value);
const qty = (value) => typeof value === "string" && /^0x(0|[1-9a-f][0-9a-f]*)$/i.test(value);
const hash32 = (value) => typeof value === "string" && /^0x[0-9a-f]{64}$/i.test(value);
const big = (value) => BigInt(value);
/// A txpool map's entry for an address: anvil keys them in lower case, geth checksummed.
const byAddress = (map, address) => Object.entries(map ?? {}).find(([key]) => key.toLowerCase() === address)?.[1];
async function receipt(txHash) {
  return until(`the receipt of ${txHash}`, () => rpc("eth_getTransactionReceipt", [txHash]));
}

const fees = await step("eth_sendTransaction fills type, gas and fees", async () => {
  const priority = await rpc("eth_maxPriorityFeePerGas");
  const txHash = await rpc("eth_sendTransaction", [{ from, to, value: "0x1" }]);
  check(hash32(txHash), "a transaction hash");
  const mined = await receipt(txHash);
  const tx = await rpc("eth_getTransactionByHash", [txHash]);
  const block = await rpc("eth_getBlockByNumber", [mined.blockNumber, false]);
  check(tx.type === "0x2", `an EIP-1559 transaction, got type ${tx.type}`);
  check(tx.from === from && tx.to === to && tx.value === "0x1", "from, to, value");
  check(tx.gas === "0x5208", `a plain transfer gets 21000 gas, got ${tx.gas}`);
  check(tx.chainId === "0x7a69", "chainId 31337");
  check(tx.maxPriorityFeePerGas === priority, `maxPriorityFeePerGas is eth_maxPriorityFeePerGas (${priority}), got ${tx.maxPriorityFeePerGas}`);
  check(big(tx.maxFeePerGas) >= big(block.baseFeePerGas) + big(priority), "maxFeePerGas covers the base fee and the tip");
  check(big(mined.effectiveGasPrice) === big(block.baseFeePerGas) + big(priority), "it pays base fee + tip");
  check(hex(tx.r) && hex(tx.s) && (tx.yParity === "0x0" || tx.yParity === "0x1"), "signed by the node");

  // A legacy gasPrice makes a type-0 transaction.
  const legacyHash = await rpc("eth_sendTransaction", [{ from, to, value: "0x2", gasPrice: "0x77359400" }]);
  await receipt(legacyHash);
  const legacy = await rpc("eth_getTransactionByHash", [legacyHash]);
  check(legacy.type === "0x0" && legacy.gasPrice === "0x77359400", `gasPrice given: type 0, got ${legacy.type}`);

  // A contract creation gets enough gas estimated for it.
  const deployHash = await rpc("eth_sendTransaction", [{ from, data: contracts.Counter.bytecode }]);
  const deployed = await receipt(deployHash);
  const deployTx = await rpc("eth_getTransactionByHash", [deployHash]);
  check(deployed.status === "0x1" && deployed.contractAddress, "a contract created");
  check(big(deployTx.gas) >= big(deployed.gasUsed), "the estimated gas covers what it used");
  return { transfer: { type: tx.type, gas: tx.gas, maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas, baseFee: block.baseFeePerGas }, creation: { gas: deployTx.gas, gasUsed: deployed.gasUsed }, counter: deployed.contractAddress };
});
const counter = fees?.counter;
const incrementData = (amount) => "0x7cf5dab0" + amount.toString(16).padStart(64, "0"); // increment(uint256)

await step("eth_sign", async () => {
  const message = "0x" + Buffer.from("hello DML").toString("hex");
  const signature = await rpc("eth_sign", [from, message]);
  check(hex(signature) && signature.length === 132, "a 65-byte signature");
  const signer = await recoverAddress({ hash: hashMessage({ raw: message }), signature });
  check(signer.toLowerCase() === from, "eth_sign signs the EIP-191 message");
  check((await rpc("personal_sign", [message, from])) === signature, "personal_sign (message, address) gives the same signature");
});

const filterShapes = await step("filters", async () => {
  const blockFilter = await rpc("eth_newBlockFilter");
  const pendingFilter = await rpc("eth_newPendingTransactionFilter");
  const logFilter = await rpc("eth_newFilter", [{ address: counter, fromBlock: "latest" }]);
  for (const id of [blockFilter, pendingFilter, logFilter]) check(qty(id) || hex(id), `a hex filter id, got ${id}`);
  check(new Set([blockFilter, pendingFilter, logFilter]).size === 3, "distinct filter ids");
  const txHash = await rpc("eth_sendTransaction", [{ from, to: counter, data: incrementData(3) }]);
  const mined = await receipt(txHash);
  const blocks = await rpc("eth_getFilterChanges", [blockFilter]);
  check(Array.isArray(blocks) && blocks.every(hash32) && blocks.includes(mined.blockHash), "block filter: block hashes");
  const pending = await rpc("eth_getFilterChanges", [pendingFilter]);
  check(Array.isArray(pending) && pending.every(hash32) && pending.includes(txHash), "pending filter: transaction hashes");
  const logs = await rpc("eth_getFilterChanges", [logFilter]);
  check(Array.isArray(logs) && logs.length === 1, `log filter: one log, got ${JSON.stringify(logs)}`);
  const [log] = logs;
  for (const field of ["blockHash", "transactionHash"]) check(hash32(log[field]), `log.${field}`);
  for (const field of ["blockNumber", "transactionIndex", "logIndex"]) check(qty(log[field]), `log.${field}`);
  check(log.address === counter && log.removed === false && log.topics.length === 2 && hex(log.data), "log address, removed, topics, data");
  check(log.transactionHash === txHash && log.blockHash === mined.blockHash, "the log is the transaction's");
  for (const id of [blockFilter, pendingFilter, logFilter]) {
    check((await rpc("eth_getFilterChanges", [id])).length === 0, "a second poll has nothing new");
  }
  check((await rpc("eth_getFilterLogs", [logFilter])).length === 1, "eth_getFilterLogs");
  for (const id of [blockFilter, pendingFilter, logFilter]) check((await rpc("eth_uninstallFilter", [id])) === true, "uninstalled");
  return { blocks, pending, log, txHash, block: mined.blockNumber, blockHash: mined.blockHash };
});

await step("counts and transactions by block", async () => {
  const { block, blockHash, txHash } = filterShapes;
  check((await rpc("eth_getBlockTransactionCountByNumber", [block])) === "0x1", "count by number");
  check((await rpc("eth_getBlockTransactionCountByHash", [blockHash])) === "0x1", "count by hash");
  const byNumber = await rpc("eth_getTransactionByBlockNumberAndIndex", [block, "0x0"]);
  const byHash = await rpc("eth_getTransactionByBlockHashAndIndex", [blockHash, "0x0"]);
  check(byNumber.hash === txHash && byHash.hash === txHash && byNumber.transactionIndex === "0x0", "transaction by block and index");
  check(byNumber.blockHash === blockHash && byNumber.blockNumber === block, "with its block");
  check((await rpc("eth_getTransactionByBlockNumberAndIndex", [block, "0x5"])) === null, "an index past the end is null");
  check((await rpc("eth_getTransactionByBlockHashAndIndex", ["0x" + "00".repeat(32), "0x0"])) === null, "an unknown block is null");
  check((await rpc("eth_getUncleCountByBlockNumber", [block])) === "0x0", "no uncles by number");
  check((await rpc("eth_getUncleCountByBlockHash", [blockHash])) === "0x0", "no uncles by hash");
  check((await rpc("eth_getUncleByBlockNumberAndIndex", [block, "0x0"])) === null, "no uncle");
  check((await rpc("eth_getUncleByBlockHashAndIndex", [blockHash, "0x0"])) === null, "no uncle by hash");
  check(qty(await rpc("eth_blobBaseFee")), "eth_blobBaseFee is a quantity");
  const receipts = await rpc("eth_getBlockReceipts", [block]);
  check(receipts.length === 1 && receipts[0].transactionHash === txHash, "eth_getBlockReceipts");
});

const traces = await step("debug traces", async () => {
  const { txHash } = filterShapes;
  const call = await rpc("debug_traceTransaction", [txHash, { tracer: "callTracer" }]);
  check(call.type === "CALL" && call.from === from && call.to === counter, `callTracer frame ${JSON.stringify(call)}`);
  check(call.input === incrementData(3) && qty(call.gas) && qty(call.gasUsed) && call.value === "0x0", "callTracer fields");
  check(call.error === undefined && (call.calls ?? []).length === 0, "no error, no sub-calls");

  const prestate = await rpc("debug_traceTransaction", [txHash, { tracer: "prestateTracer" }]);
  check(prestate[counter] && prestate[from], `prestateTracer has the sender and the contract: ${Object.keys(prestate)}`);
  check(hex(prestate[counter].code) && prestate[counter].code.length > 2, "the contract's code");
  const slot0 = "0x" + "00".repeat(32);
  check(prestate[counter].storage?.[slot0] !== undefined, "the slot it read");
  check(qty(prestate[from].balance) && Number.isInteger(prestate[from].nonce), "balance a quantity, nonce a number");

  const diff = await rpc("debug_traceTransaction", [txHash, { tracer: "prestateTracer", tracerConfig: { diffMode: true } }]);
  check(diff.pre && diff.post, "diffMode: pre and post");
  // diffMode leaves out what is zero (the counter's slot before its first increment).
  const before = big(diff.pre[counter]?.storage?.[slot0] ?? "0x0");
  check(big(diff.post[counter].storage[slot0]) === before + 3n, `the slot went up by 3: ${JSON.stringify(diff)}`);

  const steps = await rpc("debug_traceTransaction", [txHash, {}]);
  check(steps.failed === false && Number.isInteger(steps.gas) && steps.returnValue !== undefined, "struct logger header");
  check(Array.isArray(steps.structLogs) && steps.structLogs.length > 10, `struct logs, got ${steps.structLogs?.length}`);
  const first = steps.structLogs[0];
  check(first.pc === 0 && typeof first.op === "string" && Number.isInteger(first.gas) && Number.isInteger(first.gasCost) && first.depth === 1, "a step's fields");
  check(steps.structLogs.some((entry) => entry.op === "SSTORE"), "an SSTORE step");

  const request = { from, to: counter, data: incrementData(4) };
  const simulated = await rpc("debug_traceCall", [request, "latest", { tracer: "callTracer" }]);
  check(simulated.type === "CALL" && simulated.to === counter && qty(simulated.gasUsed), "debug_traceCall callTracer");
  const callSteps = await rpc("debug_traceCall", [request, "latest"]);
  check(callSteps.failed === false && callSteps.structLogs.some((entry) => entry.op === "SSTORE"), "debug_traceCall struct logger");
  const failing = await rpc("debug_traceCall", [{ from, to: counter, data: "0xa9cc4718" }, "latest", { tracer: "callTracer" }]);
  check(failing.error === "execution reverted" && hex(failing.output), `a reverting call's frame: ${JSON.stringify(failing)}`);
  return { call, steps: steps.structLogs.length, failing };
});

const txpool = await step("txpool with automine off", async () => {
  await rpc("evm_setAutomine", [false]);
  try {
    const nonce = await rpc("eth_getTransactionCount", [from, "latest"]);
    const txHash = await rpc("eth_sendTransaction", [{ from, to, value: "0x3" }]);
    const status = await rpc("txpool_status");
    check(status.pending === "0x1" && status.queued === "0x0", `txpool_status ${JSON.stringify(status)}`);
    const content = await rpc("txpool_content");
    const entry = byAddress(content.pending, from)?.[String(big(nonce))];
    check(entry && entry.hash === txHash && entry.blockHash === null && entry.blockNumber === null, `txpool_content.pending[from][nonce] ${JSON.stringify(content)}`);
    check(JSON.stringify(content.queued) === "{}", "nothing queued");
    const inspect = await rpc("txpool_inspect");
    const line = byAddress(inspect.pending, from)?.[String(big(nonce))];
    // "<to>: <value> wei + <gas> gas × <price> wei" (anvil writes <to> in lower case, geth checksummed).
    check(typeof line === "string" && line.toLowerCase().startsWith(`${to}: 3 wei + 21000 gas × `) && line.endsWith(" wei"), `txpool_inspect line: ${line}`);
    const pendingBlock = await rpc("eth_getBlockByNumber", ["pending", false]);
    check(pendingBlock?.transactions?.includes(txHash), `the pending block holds it: ${JSON.stringify({ number: pendingBlock?.number, transactions: pendingBlock?.transactions })}`);
    check((await rpc("eth_getBlockTransactionCountByNumber", ["pending"])) === "0x1", "the pending count");
    await rpc("evm_mine");
    check((await rpc("eth_getTransactionReceipt", [txHash])) !== null, "mined by evm_mine");
    check((await rpc("txpool_status")).pending === "0x0", "the pool emptied");
    return { status, entry, inspect: line };
  } finally {
    await rpc("evm_setAutomine", [true]);
  }
});

const aliases = await step("anvil_ and hardhat_ aliases", async () => {
  const outsider = "0x000000000000000000000000000000000000ab1e";
  await rpc("hardhat_impersonateAccount", [outsider]);
  await rpc("anvil_setBalance", [outsider, "0xde0b6b3a7640000"]);
  const txHash = await rpc("eth_sendTransaction", [{ from: outsider, to, value: "0x4" }]);
  check((await receipt(txHash)).from === outsider, "sent as the impersonated account");
  await rpc("hardhat_stopImpersonatingAccount", [outsider]);
  check((await rawCall("eth_sendTransaction", [{ from: outsider, to, value: "0x4" }])).error !== undefined, "refused afterwards");
  const mineResult = await rpc("anvil_mine", ["0x2"]);
  const info = await rpc("anvil_nodeInfo");
  const shown = JSON.stringify(info);
  check(qty(info.currentBlockNumber), `anvil_nodeInfo.currentBlockNumber a quantity: ${shown}`);
  check(Number.isInteger(info.currentBlockTimestamp), `anvil_nodeInfo.currentBlockTimestamp a number: ${shown}`);
  check(hash32(info.currentBlockHash), `anvil_nodeInfo.currentBlockHash: ${shown}`);
  check(info.environment?.chainId === 31337, `anvil_nodeInfo.environment.chainId the number 31337: ${shown}`);
  check(qty(info.environment.baseFee) && qty(info.environment.gasLimit) && qty(info.environment.gasPrice), `anvil_nodeInfo.environment quantities: ${shown}`);
  check(big(info.currentBlockNumber) === big(await rpc("eth_blockNumber")), "its block number is the head's");
  return { mineResult, info };
});

const cors = await step("CORS", async () => {
  const preflight = await fetch(rpcUrl, {
    method: "OPTIONS",
    headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  const headers = JSON.stringify(Object.fromEntries(preflight.headers));
  check(preflight.ok, `the preflight answers 2xx, got ${preflight.status} ${headers}`);
  const allowOrigin = preflight.headers.get("access-control-allow-origin");
  check(allowOrigin === "*" || allowOrigin === "http://localhost:3000", `preflight allow-origin: ${headers}`);
  check(/post/i.test(preflight.headers.get("access-control-allow-methods") ?? ""), `preflight allows POST: ${headers}`);
  const allowHeaders = preflight.headers.get("access-control-allow-headers") ?? "";
  check(allowHeaders === "*" || /content-type/i.test(allowHeaders), `preflight allows content-type: ${headers}`);
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { origin: "http://localhost:3000", "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  });
  check((await response.json()).result === "0x7a69", "the call answers");
  const postAllow = response.headers.get("access-control-allow-origin");
  check(postAllow === "*" || postAllow === "http://localhost:3000", `the response's allow-origin: ${postAllow}`);
  return { preflight: Object.fromEntries(preflight.headers), post: postAllow };
});

finish({ fees: fees?.transfer, creation: fees?.creation, filters: filterShapes, traces, txpool, aliases, cors });
