// The one load generator of benches/rpc_throughput.rs: a single viem client
// that drives the same workloads against whichever node the plan names
// (anvil, hardhat, dml node), and prints its figures as one JSON line.
//
//   node load.mjs PLAN.json
//
// Every transaction whose content is known beforehand is signed before the
// clock starts. Each send is viem's sendRawTransaction; the receipt is then
// asked for at once with eth_getTransactionReceipt and, while it is not there,
// again every plan.polling_interval_ms (1 ms; plan.concurrent_polling_interval_ms
// while many transactions wait at once) — plan.wait = "poll", the default. With
// plan.wait = "viem" it is viem's waitForTransactionReceipt at the same
// interval instead (a miss then also costs eth_blockNumber polls and an
// eth_getTransactionByHash; at a 1 ms interval it can miss a block and wait
// for the next, so that mode is for counting viem's calls, not for the table).
// The same flow runs against every node. RPC calls are counted per method, so
// the figures say how many round trips a transaction took.
import { readFileSync } from "node:fs";
import http from "node:http";
import { performance } from "node:perf_hooks";
import {
  createClient,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  http as http_,
  keccak256,
  parseAbi,
  publicActions,
} from "viem";
import { sendRawTransaction } from "viem/actions";
import { privateKeyToAccount } from "viem/accounts";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const token = JSON.parse(readFileSync(new URL("./bench_token.json", import.meta.url), "utf8"));
const log = (...args) => console.error(`[${plan.node}]`, ...args);

const MAX_FEE = 100_000_000_000n;
const TIP = 1_000_000_000n;
const SINK = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const sequentialInterval = plan.polling_interval_ms ?? 1;
const concurrentInterval = plan.concurrent_polling_interval_ms ?? sequentialInterval;
let pollingInterval = sequentialInterval;
const wait = plan.wait ?? "poll";

// RPC calls per method since the last reset (one count per HTTP request).
let calls = {};
const methodPattern = /"method":"([A-Za-z0-9_]+)"/;

// viem's http transport over node:http with keep-alive connections (at most
// plan.max_sockets at once, the rest of the requests queued; none: as many as
// there are requests in flight) instead of the built-in fetch: the same
// JSON-RPC requests for half the client CPU per call, so that on a small
// machine the client takes less of the CPU the nodes are measured on.
const agent = new http.Agent({ keepAlive: true, maxSockets: plan.max_sockets ?? Infinity });
function fetchFn(url, init) {
  const method = init.body.match(methodPattern)?.[1];
  if (method) calls[method] = (calls[method] ?? 0) + 1;
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(init.body) };
    const request = http.request(url, { method: "POST", agent, headers }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          ok: response.statusCode >= 200 && response.statusCode < 300,
          status: response.statusCode,
          statusText: response.statusMessage,
          headers: { get: (name) => response.headers[name.toLowerCase()] ?? null },
          text: async () => text,
        });
      });
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

const client = createClient({
  pollingInterval: sequentialInterval,
  transport: http_(plan.url, { retryCount: 0, timeout: 0, fetchFn, maxResponseBodySize: false }),
}).extend(publicActions);

const chainId = await client.getChainId();

function account(key) {
  return privateKeyToAccount(key);
}

async function nonceOf(address) {
  return client.getTransactionCount({ address, blockTag: "pending" });
}

function sign(signer, nonce, { to, value = 0n, data = "0x", gas = 21_000n }) {
  return signer.signTransaction({
    type: "eip1559",
    chainId,
    nonce,
    to,
    value,
    data,
    gas,
    maxFeePerGas: MAX_FEE,
    maxPriorityFeePerGas: TIP,
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function receiptOf(hash) {
  if (wait === "poll") {
    for (;;) {
      const receipt = await client.request({ method: "eth_getTransactionReceipt", params: [hash] });
      if (receipt) return { ...receipt, status: receipt.status === "0x1" ? "success" : "reverted" };
      await sleep(pollingInterval);
    }
  }
  return client.waitForTransactionReceipt({ hash, pollingInterval, timeout: 30_000 });
}

/** Sends one signed transaction and waits for its receipt; the receipt and the time it took. */
async function sendAndWait(serializedTransaction) {
  const start = performance.now();
  const hash = await sendRawTransaction(client, { serializedTransaction });
  const receipt = await receiptOf(hash);
  const latency = performance.now() - start;
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return { receipt, latency };
}

function percentile(sorted, p) {
  return sorted[Math.round((sorted.length - 1) * p)];
}

// The client's own CPU time since the last reset, to tell when it, not the node, is the limit.
let cpuAtStart = process.cpuUsage();

function summary(workload, txs, seconds, latencies, extra = {}) {
  const cpu = process.cpuUsage(cpuAtStart);
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    workload,
    txs,
    seconds,
    tx_per_s: txs / seconds,
    p50_ms: percentile(sorted, 0.5),
    p99_ms: percentile(sorted, 0.99),
    client_cpu_ms_per_tx: (cpu.user + cpu.system) / 1000 / txs,
    calls_per_tx: Object.fromEntries(Object.entries(calls).map(([method, count]) => [method, count / txs])),
    ...extra,
  };
  log(
    `${workload}: ${result.tx_per_s.toFixed(0)} tx/s, p50 ${result.p50_ms.toFixed(2)} ms, ` +
      `client CPU ${result.client_cpu_ms_per_tx.toFixed(2)} ms/tx`,
  );
  return result;
}

/** One sender, each transaction sent once the previous one's receipt is in. */
async function sequential(workload, signed) {
  calls = {};
  pollingInterval = sequentialInterval;
  cpuAtStart = process.cpuUsage();
  const latencies = [];
  const start = performance.now();
  for (const tx of signed) latencies.push((await sendAndWait(tx)).latency);
  return summary(workload, signed.length, (performance.now() - start) / 1000, latencies);
}

/** Every transaction sent at once (one per sender), each awaiting its receipt. */
async function concurrent(workload, signed) {
  calls = {};
  pollingInterval = concurrentInterval;
  cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const latencies = await Promise.all(signed.map(async (tx) => (await sendAndWait(tx)).latency));
  return summary(workload, signed.length, (performance.now() - start) / 1000, latencies);
}

async function fund(addresses) {
  if (!plan.fund) return;
  const balance = `0x${(10n ** 21n).toString(16)}`;
  for (let i = 0; i < addresses.length; i += 100) {
    await Promise.all(addresses.slice(i, i + 100).map((a) => client.request({ method: plan.fund, params: [a, balance] })));
  }
}

const results = [];
const main = account(plan.sequential_key);
const senders = plan.sender_keys.map(account);
await fund([main.address, ...senders.map((s) => s.address)]);

// Warm-up (JIT, connection, caches), not measured.
{
  const nonce = await nonceOf(main.address);
  const warm = await Promise.all(
    Array.from({ length: plan.warmup }, (_, i) => sign(main, nonce + i, { to: SINK, value: 1n })),
  );
  await sequential("warm-up", warm);
}

// (a) ETH transfers, sequential.
{
  const nonce = await nonceOf(main.address);
  const signed = await Promise.all(
    Array.from({ length: plan.sequential }, (_, i) => sign(main, nonce + i, { to: SINK, value: 1n })),
  );
  results.push(await sequential("eth_sequential", signed));
}

// (b) ETH transfers, every sender at once.
if (senders.length > 0) {
  const nonces = await Promise.all(senders.map((s) => nonceOf(s.address)));
  const signed = await Promise.all(senders.map((s, i) => sign(s, nonces[i], { to: SINK, value: 1n })));
  results.push(await concurrent("eth_concurrent", signed));
}

// (d) ERC-20 transfers of a Solidity token deployed on the node, sequential and concurrent.
let tokenAddress;
const transfer = encodeFunctionData({ abi: token.abi, functionName: "transfer", args: [SINK, 1n] });
if (plan.token) {
  let nonce = await nonceOf(main.address);
  const deploy = await sign(main, nonce++, {
    data: encodeDeployData({ abi: token.abi, bytecode: token.bytecode }),
    gas: 1_000_000n,
  });
  const deployed = await sendAndWait(deploy);
  tokenAddress = deployed.receipt.contractAddress;
  const holders = [main.address, ...senders.map((s) => s.address)];
  for (let i = 0; i < holders.length; i += 200) {
    const data = encodeFunctionData({ abi: token.abi, functionName: "mintEach", args: [holders.slice(i, i + 200), 10n ** 24n] });
    await sendAndWait(await sign(main, nonce++, { to: tokenAddress, data, gas: 10_000_000n }));
  }
  const sequentialTxs = await Promise.all(
    Array.from({ length: plan.sequential }, (_, i) =>
      sign(main, nonce + i, { to: tokenAddress, data: transfer, gas: 60_000n }),
    ),
  );
  results.push(await sequential("token_sequential", sequentialTxs));
}
if (plan.token && senders.length > 0) {
  const nonces = await Promise.all(senders.map((s) => nonceOf(s.address)));
  const concurrentTxs = await Promise.all(
    senders.map((s, i) => sign(s, nonces[i], { to: tokenAddress, data: transfer, gas: 60_000n })),
  );
  results.push(await concurrent("token_concurrent", concurrentTxs));
}

// (c) Engine task lifecycles (dml node only): submitTask, signalCommitment,
// submitSolution in a later block, then claimSolution once the clock has
// moved past the solution's second; every worker at once.
if (plan.lifecycles) {
  const { owner_key, worker_keys, rounds } = plan.lifecycles;
  const engineAbi = parseAbi([
    "function registerModel(address addr_, uint256 fee_, bytes template_) returns (bytes32)",
    "function validatorDeposit(address validator_, uint256 amount_)",
    "function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes input_) returns (bytes32)",
    "function signalCommitment(bytes32 commitment_)",
    "function submitSolution(bytes32 taskid_, bytes cid_)",
    "function claimSolution(bytes32 taskid_)",
    "event SolutionClaimed(address indexed addr, bytes32 indexed task)",
  ]);
  const { engine } = await client.request({ method: "dml_getContracts", params: [] });
  const call = (functionName, args) => encodeFunctionData({ abi: engineAbi, functionName, args });
  const gas = 1_000_000n;
  const owner = account(owner_key);
  const registered = await sendAndWait(
    await sign(owner, await nonceOf(owner.address), { to: engine, data: call("registerModel", [owner.address, 0n, "0x7b7d"]), gas }),
  );
  const model = registered.receipt.logs.find((l) => l.address.toLowerCase() === engine.toLowerCase()).topics[1];
  const workers = worker_keys.map(account);
  const firstNonces = await Promise.all(
    workers.map(async (w) => {
      const nonce = await nonceOf(w.address);
      const deposit = call("validatorDeposit", [w.address, 10n * 10n ** 18n]);
      await sendAndWait(await sign(w, nonce, { to: engine, data: deposit, gas }));
      return nonce + 1;
    }),
  );
  // submitTask is known beforehand: signed before the clock. The later steps
  // name the task, so they are signed as the lifecycle runs.
  const submits = await Promise.all(
    workers.map((w, i) =>
      Promise.all(
        Array.from({ length: rounds }, (_, round) => {
          const input = `0x${Buffer.from(`{"prompt":"${round}"}`).toString("hex")}`;
          const data = call("submitTask", [0, w.address, model, 0n, input]);
          return sign(w, firstNonces[i] + 3 * round, { to: engine, data, gas });
        }),
      ),
    ),
  );
  calls = {};
  pollingInterval = concurrentInterval;
  cpuAtStart = process.cpuUsage();
  const latencies = [];
  const start = performance.now();
  const solved = await Promise.all(
    workers.map(async (w, i) => {
      const tasks = [];
      for (let round = 0; round < rounds; round++) {
        let nonce = firstNonces[i] + 3 * round + 1;
        const submitted = await sendAndWait(submits[i][round]);
        latencies.push(submitted.latency);
        const task = submitted.receipt.logs.find((l) => l.address.toLowerCase() === engine.toLowerCase()).topics[1];
        const cid = `0x1220${task.slice(2)}`;
        const commitment = keccak256(
          encodeAbiParameters([{ type: "address" }, { type: "bytes32" }, { type: "bytes" }], [w.address, task, cid]),
        );
        for (const data of [call("signalCommitment", [commitment]), call("submitSolution", [task, cid])]) {
          latencies.push((await sendAndWait(await sign(w, nonce++, { to: engine, data, gas }))).latency);
        }
        tasks.push(task);
      }
      return tasks;
    }),
  );
  // The claim window (0 s in the bench's genesis) needs a later timestamp than the solution's.
  await client.request({ method: "evm_increaseTime", params: [1] });
  await Promise.all(
    workers.map(async (w, i) => {
      let nonce = firstNonces[i] + 3 * rounds;
      for (const task of solved[i]) {
        latencies.push((await sendAndWait(await sign(w, nonce++, { to: engine, data: call("claimSolution", [task]), gas }))).latency);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const claimed = await client.getLogs({ address: engine, event: engineAbi[6], fromBlock: 0n });
  if (claimed.length !== workers.length * rounds) {
    throw new Error(`${claimed.length} SolutionClaimed logs, expected ${workers.length * rounds}`);
  }
  results.push(
    summary("lifecycles", workers.length * rounds * 4, seconds, latencies, {
      lifecycles_per_s: (workers.length * rounds) / seconds,
    }),
  );
}

console.log(JSON.stringify({ node: plan.node, wait, sequentialInterval, concurrentInterval, results }));
