// viem's test client in anvil mode (createTestClient({ mode: 'anvil' }))
// against the node: state cheats (setBalance, setNonce, setCode,
// setStorageAt), impersonation with eth_sendTransaction from the
// impersonated address, mining (anvil_mine with an interval, automine off
// with the transaction waiting in txpool_*, interval mining,
// anvil_dropTransaction), snapshot/revert, dumpState/loadState, filters
// (contract event, block and pending-transaction filters, watchContractEvent),
// eth_getBlockReceipts, eth_createAccessList and eth_getProof.
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeFunctionData,
  keccak256,
  pad,
  parseEther,
  publicActions,
  toHex,
} from "viem";
import { contracts } from "./tool_contracts.mjs";
import { account, check, devChain, finish, recordingHttp, rpc, step, until } from "./tools_common.mjs";

const transport = recordingHttp();
const publicClient = createPublicClient({ chain: devChain, transport, pollingInterval: 50, cacheTime: 0 });
const testClient = createTestClient({ mode: "anvil", chain: devChain, transport, pollingInterval: 50, cacheTime: 0 }).extend(publicActions);
// No local account: every send is eth_sendTransaction, signed by the node.
const nodeWallet = createWalletClient({ chain: devChain, transport, pollingInterval: 50, cacheTime: 0 });
const wait = (hash) => publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 });

const deployer = account(4).address;
const sender = account(5).address;
const fresh = "0x000000000000000000000000000000000000b0b0";
const impersonated = "0x00000000000000000000000000000000000ca5e5";
const codeHolder = "0x000000000000000000000000000000000000c0de";
const { abi, bytecode, deployedBytecode } = contracts.Counter;
const count = (address) => publicClient.readContract({ address, abi, functionName: "count" });
const increment = async (address, amount, from = deployer) => {
  const hash = await nodeWallet.writeContract({ account: from, address, abi, functionName: "increment", args: [amount] });
  const receipt = await wait(hash);
  check(receipt.status === "success", `increment(${amount}) from ${from} succeeded`);
  return receipt;
};

const counter = await step("deploy Counter (eth_sendTransaction)", async () => {
  const receipt = await wait(await nodeWallet.deployContract({ account: deployer, abi, bytecode }));
  check(receipt.status === "success" && receipt.contractAddress, "Counter deployed");
  return receipt.contractAddress;
});

await step("setBalance / setNonce", async () => {
  await testClient.setBalance({ address: fresh, value: parseEther("123") });
  check((await publicClient.getBalance({ address: fresh })) === parseEther("123"), "anvil_setBalance");
  await testClient.setNonce({ address: fresh, nonce: 7 });
  check((await publicClient.getTransactionCount({ address: fresh })) === 7, "anvil_setNonce");
});

await step("setCode / setStorageAt", async () => {
  await testClient.setCode({ address: codeHolder, bytecode: deployedBytecode });
  check((await publicClient.getCode({ address: codeHolder })) === deployedBytecode, "anvil_setCode: the code reads back");
  check((await count(codeHolder)) === 0n, "the planted Counter starts at 0");
  await testClient.setStorageAt({ address: codeHolder, index: 0, value: pad(toHex(42)) });
  check((await count(codeHolder)) === 42n, "anvil_setStorageAt wrote count (slot 0)");
  check((await publicClient.getStorageAt({ address: codeHolder, slot: "0x0" })) === pad(toHex(42)), "eth_getStorageAt reads it");
  const receipt = await increment(codeHolder, 8n);
  check(receipt.logs.length === 1, "the planted code runs and logs");
  check((await count(codeHolder)) === 50n, "the planted code's storage");
});

const impersonation = await step("impersonateAccount", async () => {
  await testClient.impersonateAccount({ address: impersonated });
  await testClient.setBalance({ address: impersonated, value: parseEther("10") });
  const hash = await nodeWallet.sendTransaction({ account: impersonated, to: fresh, value: parseEther("1") });
  const receipt = await wait(hash);
  check(receipt.status === "success" && receipt.from === impersonated, "a transfer from the impersonated account");
  check((await publicClient.getBalance({ address: fresh })) === parseEther("124"), "the transfer arrived");
  const called = await increment(counter, 3n, impersonated);
  const by = "0x" + called.logs[0].topics[1].slice(26);
  check(by === impersonated, "the contract saw the impersonated account as msg.sender");
  await testClient.stopImpersonatingAccount({ address: impersonated });
  let refused = null;
  try {
    await nodeWallet.sendTransaction({ account: impersonated, to: fresh, value: 1n });
  } catch (error) {
    refused = error.details ?? error.shortMessage;
  }
  check(refused !== null, "after stopImpersonatingAccount the node refuses to send for it");
  return { hash, refused };
});

await step("mine blocks with an interval", async () => {
  const before = await publicClient.getBlockNumber();
  await testClient.mine({ blocks: 3, interval: 10 });
  check((await publicClient.getBlockNumber()) === before + 3n, "anvil_mine mined 3 blocks");
  const times = [];
  for (let n = 1n; n <= 3n; n++) times.push((await publicClient.getBlock({ blockNumber: before + n })).timestamp);
  check(times[1] - times[0] === 10n && times[2] - times[1] === 10n, `blocks 10 s apart, got ${times}`);
});

await step("snapshot / revert", async () => {
  const id = await testClient.snapshot();
  const height = await publicClient.getBlockNumber();
  await testClient.setBalance({ address: fresh, value: 1n });
  await increment(counter, 100n);
  check((await count(counter)) === 103n, "changed after the snapshot");
  await testClient.revert({ id });
  check((await count(counter)) === 3n, "evm_revert restored the storage");
  check((await publicClient.getBalance({ address: fresh })) === parseEther("124"), "evm_revert restored the balance");
  check((await publicClient.getBlockNumber()) === height, "evm_revert restored the height");
});

const pending = await step("automine off: txpool until mine", async () => {
  await testClient.setAutomine(false);
  const height = await publicClient.getBlockNumber();
  const nonce = await publicClient.getTransactionCount({ address: sender });
  const hash = await nodeWallet.sendTransaction({ account: sender, to: fresh, value: 5n });
  await new Promise((resolve) => setTimeout(resolve, 300));
  check((await publicClient.getBlockNumber()) === height, "nothing mined with automine off");
  let noReceipt = false;
  try {
    await publicClient.getTransactionReceipt({ hash });
  } catch (error) {
    noReceipt = error.name === "TransactionReceiptNotFoundError";
  }
  check(noReceipt, "a pending transaction has no receipt");
  const tx = await publicClient.getTransaction({ hash });
  check(tx.blockNumber === null && tx.from === sender.toLowerCase(), "eth_getTransactionByHash shows it pending");
  const status = await testClient.getTxpoolStatus();
  check(status.pending === 1 && status.queued === 0, `txpool_status ${JSON.stringify(status)}`);
  const content = await testClient.getTxpoolContent();
  const bySender = Object.entries(content.pending).find(([address]) => address.toLowerCase() === sender.toLowerCase());
  check(bySender !== undefined, "txpool_content lists the sender");
  check(bySender[1][String(nonce)]?.hash === hash, "txpool_content: pending[sender][nonce] is the transaction");
  const inspect = await testClient.inspectTxpool();
  const summary = Object.entries(inspect.pending).find(([address]) => address.toLowerCase() === sender.toLowerCase())?.[1]?.[String(nonce)];
  check(typeof summary === "string" && summary.toLowerCase().startsWith(fresh), `txpool_inspect summary: ${summary}`);
  await testClient.mine({ blocks: 1 });
  const receipt = await wait(hash);
  check(receipt.blockNumber === height + 1n && receipt.status === "success", "mined by anvil_mine");
  check((await testClient.getTxpoolStatus()).pending === 0, "the pool is empty after mining");
  return { hash, status, content: bySender[1][String(nonce)], inspect: summary };
});

await step("dropTransaction", async () => {
  const nonce = await publicClient.getTransactionCount({ address: sender });
  const hash = await nodeWallet.sendTransaction({ account: sender, to: fresh, value: 6n });
  check((await testClient.getTxpoolStatus()).pending === 1, "the transaction waits");
  await testClient.dropTransaction({ hash });
  check((await testClient.getTxpoolStatus()).pending === 0, "anvil_dropTransaction emptied the pool");
  await testClient.mine({ blocks: 1 });
  let gone = false;
  try {
    await publicClient.getTransaction({ hash });
  } catch (error) {
    gone = error.name === "TransactionNotFoundError";
  }
  check(gone, "a dropped transaction is never mined");
  check((await publicClient.getTransactionCount({ address: sender })) === nonce, "the sender's nonce did not move");
});

await step("automine back on", async () => {
  await testClient.setAutomine(true);
  const receipt = await wait(await nodeWallet.sendTransaction({ account: sender, to: fresh, value: 7n }));
  check(receipt.status === "success", "mined at once with automine on");
});

const filters = await step("filters", async () => {
  const eventFilter = await publicClient.createContractEventFilter({ abi, address: counter, eventName: "Incremented" });
  const blockFilter = await publicClient.createBlockFilter();
  const pendingFilter = await publicClient.createPendingTransactionFilter();
  const receipt = await increment(counter, 5n);
  const logs = await publicClient.getFilterChanges({ filter: eventFilter });
  check(logs.length === 1 && logs[0].args.amount === 5n && logs[0].transactionHash === receipt.transactionHash, "log filter changes");
  check((await publicClient.getFilterChanges({ filter: eventFilter })).length === 0, "changes are consumed");
  const all = await publicClient.getFilterLogs({ filter: eventFilter });
  check(all.length === 1 && all[0].args.count === 8n, "eth_getFilterLogs returns the filter's logs again");
  const blocks = await publicClient.getFilterChanges({ filter: blockFilter });
  check(blocks.includes(receipt.blockHash), `block filter has the new block: ${blocks}`);
  const txs = await publicClient.getFilterChanges({ filter: pendingFilter });
  check(txs.includes(receipt.transactionHash), `pending-transaction filter has the hash: ${txs}`);
  for (const filter of [eventFilter, blockFilter, pendingFilter]) {
    check((await publicClient.uninstallFilter({ filter })) === true, "eth_uninstallFilter");
  }
  return { log: logs[0].logIndex, blocks, txs };
});

await step("watchContractEvent", async () => {
  const seen = [];
  const unwatch = publicClient.watchContractEvent({
    abi, address: counter, eventName: "Incremented", poll: true, pollingInterval: 50,
    onLogs: (logs) => seen.push(...logs),
    onError: (error) => seen.push(error),
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const receipt = await increment(counter, 2n);
  await until("the watched event", () => seen.length > 0);
  unwatch();
  check(!(seen[0] instanceof Error), `watchContractEvent error: ${seen[0]}`);
  check(seen[0].transactionHash === receipt.transactionHash && seen[0].args.count === 10n, "the watched Incremented event");
});

const receipts = await step("getBlockReceipts", async () => {
  const receipt = await increment(counter, 1n);
  const all = await publicClient.getBlockReceipts({ blockNumber: receipt.blockNumber });
  check(all.length >= 1 && all.some((r) => r.transactionHash === receipt.transactionHash && r.status === "success"), "the block's receipts");
  const byHash = await rpc("eth_getBlockReceipts", [receipt.blockHash]);
  check(byHash.length === all.length, "eth_getBlockReceipts by block hash");
  return all.length;
});

const accessList = await step("createAccessList", async () => {
  const data = encodeFunctionData({ abi, functionName: "increment", args: [1n] });
  const result = await publicClient.createAccessList({ account: deployer, to: counter, data });
  const entry = result.accessList.find((item) => item.address.toLowerCase() === counter.toLowerCase());
  check(entry && entry.storageKeys.includes(pad("0x0")), `the access list has Counter's slot 0: ${JSON.stringify(result.accessList)}`);
  check(result.gasUsed > 21_000n, "gasUsed");
  return result;
});

const proof = await step("getProof", async () => {
  const receipt = await increment(counter, 1n);
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  const got = await publicClient.getProof({ address: counter, storageKeys: [pad("0x0")], blockNumber: receipt.blockNumber });
  check(got.nonce === 1 && got.balance === 0n, "the contract's nonce and balance");
  check(got.storageProof[0].value === 12n, `slot 0 value ${got.storageProof[0].value}`);
  check(got.accountProof.length > 0 && keccak256(got.accountProof[0]) === block.stateRoot, "the account proof starts at the block's state root");
  check(keccak256(got.storageProof[0].proof[0]) === got.storageHash, "the storage proof starts at the storage root");
  return { accountProof: got.accountProof.length, storageProof: got.storageProof[0].proof.length };
});

const dump = await step("dumpState / loadState", async () => {
  const dumpedBalance = await publicClient.getBalance({ address: fresh });
  const state = await testClient.dumpState();
  check(/^0x[0-9a-f]+$/i.test(state) && state.length > 2, "anvil_dumpState returns hex bytes");
  await testClient.setBalance({ address: fresh, value: 1n });
  await testClient.setStorageAt({ address: counter, index: 0, value: pad(toHex(999)) });
  check((await count(counter)) === 999n, "changed after the dump");
  await testClient.loadState({ state });
  check((await count(counter)) === 12n, "anvil_loadState restored the contract's storage");
  check((await publicClient.getBalance({ address: fresh })) === dumpedBalance, "anvil_loadState restored the balance");
  // After a reset the dump brings the contract back.
  await rpc("anvil_reset", []);
  check((await publicClient.getCode({ address: counter })) === undefined, "anvil_reset cleared the contract");
  await testClient.loadState({ state });
  check((await count(counter)) === 12n, "the dump loads onto a reset chain");
  check((await publicClient.getCode({ address: counter })) === deployedBytecode, "with its code");
  const receipt = await increment(counter, 1n);
  check(receipt.status === "success", "the loaded chain takes transactions");
  return state.length / 2 - 1;
});

await step("setIntervalMining", async () => {
  await testClient.setIntervalMining({ interval: 1 });
  const start = await publicClient.getBlockNumber();
  await until("an interval-mined block", async () => (await publicClient.getBlockNumber()) > start, { timeout: 10_000, every: 100 });
  await testClient.setIntervalMining({ interval: 0 });
  await testClient.setAutomine(true);
  const receipt = await wait(await nodeWallet.sendTransaction({ account: sender, to: fresh, value: 8n }));
  check(receipt.status === "success", "automine again after interval mining");
});

finish({ counter, impersonation, pending, filters, receipts, accessList, proof, dumpBytes: dump });
