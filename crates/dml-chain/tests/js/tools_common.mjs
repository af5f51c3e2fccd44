// Shared helpers of the tool scripts (tests/tool_clients.rs runs them against
// `dml node` and against Foundry's anvil): raw JSON-RPC calls that name the
// method that failed, a viem transport that records the methods it sends,
// and the final JSON line every script prints.
import { http } from "viem";
import { rpcUrl } from "./common.mjs";

export { account, check, devChain, engineAbi, registerModel, rpcUrl, wsUrl } from "./common.mjs";

/// The dev accounts' mnemonic (anvil's default, and dml node's).
export const MNEMONIC = "test test test test test test test test test test test junk";

/// Every JSON-RPC method a script sent, in first-use order.
export const methodsUsed = new Set();

function record(body) {
  for (const call of [].concat(body)) {
    if (call && typeof call.method === "string") methodsUsed.add(call.method);
  }
}

/// A viem HTTP transport that records the methods it sends.
export function recordingHttp(options = {}) {
  return http(rpcUrl, {
    ...options,
    onFetchRequest(_request, init) {
      if (typeof init?.body === "string") record(JSON.parse(init.body));
    },
  });
}

let nextId = 1;

/// Sends one JSON-RPC call; returns the whole response object
/// (`{ result }` or `{ error }`), never throwing on a JSON-RPC error.
export async function rawCall(method, params = []) {
  methodsUsed.add(method);
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${method}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
}

/// Sends one JSON-RPC call and returns its result; throws, naming the method
/// and the node's error, when it fails.
export async function rpc(method, params = []) {
  const body = await rawCall(method, params);
  if (body.error) {
    throw new Error(`${method} failed: ${JSON.stringify(body.error)}`);
  }
  return body.result;
}

/// The steps that failed: `{ step, error }`.
export const failures = [];

/// Runs one step of a script. A step that throws is recorded and the script
/// goes on with the next (whose result may then be missing), so one run
/// lists every step a node fails; `finish` then reports them and exits 1.
export async function step(name, run) {
  try {
    return await run();
  } catch (error) {
    const message = error?.shortMessage ?? String(error?.message ?? error).split("\n")[0];
    const details = error?.details && !message.includes(error.details) ? ` (${error.details})` : "";
    failures.push({ step: name, error: message + details });
    console.error(`step '${name}' failed:`, error);
    return undefined;
  }
}

/// Waits until `probe` returns something truthy, polling every `every` ms.
export async function until(what, probe, { timeout = 20_000, every = 50 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/// Whether the node is `dml node` (it answers `dml_getContracts`); its
/// engine and token addresses if so, else `null` (anvil).
export async function dmlContracts() {
  const body = await rawCall("dml_getContracts");
  return body.error ? null : body.result;
}

/// Prints the final JSON line the Rust harness reads: `{"ok":true,...}`, or
/// `{"ok":false,"failures":[...],...}` and exit status 1 when a step failed.
export function finish(fields = {}) {
  const ok = failures.length === 0;
  const line = { ok, ...(ok ? {} : { failures }), ...fields, methods: [...methodsUsed] };
  console.log(JSON.stringify(line, (_key, value) => (typeof value === "bigint" ? value.toString() : value)));
  // Exit now: a failed step may have left a poller running. (Writes to a
  // pipe are synchronous on Linux, so the line is out.)
  process.exit(ok ? 0 : 1);
}
