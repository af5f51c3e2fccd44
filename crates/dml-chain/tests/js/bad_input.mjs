// Bad input to the anvil-style methods, as raw JSON-RPC: each call gets the
// error anvil gives (its code; the messages are recorded, not compared),
// and after each the node still serves (eth_blockNumber answers).
import { account, check, finish, rawCall, rpc, step } from "./tools_common.mjs";

/// What anvil 1.7.1 answers (tests/tool_clients.rs runs this against it).
const ANVIL = {
  filterNeverExisted: { code: -32000, message: "filter not found" },
  filterUninstalled: { code: -32000, message: "filter not found" },
  unknownSender: { code: -32602, message: "No Signer available" },
  signUnknownAccount: { code: -32602, message: "No Signer available" },
  loadStateNotADump: { code: -32602, message: "Failed to decode state dump" },
  loadStateNotHex: { code: -32602, message: 'invalid value: string "nothex", expected a valid hex string' },
};

const observed = {};

async function stillServes(after) {
  const height = await rpc("eth_blockNumber");
  check(/^0x[0-9a-f]+$/.test(height), `eth_blockNumber answers after ${after}`);
}

/// Calls a method that must fail with anvil's code; records the error.
async function expectError(name, method, params) {
  await step(name, async () => {
    const response = await rawCall(method, params);
    check(response.error !== undefined, `${method} fails, got ${JSON.stringify(response)}`);
    const { code, message } = response.error;
    check(Number.isInteger(code) && typeof message === "string" && message.length > 0, "a code and a message");
    observed[name] = response.error;
    check(code === ANVIL[name].code, `${method}: code ${code} (${message}), anvil gives ${ANVIL[name].code} (${ANVIL[name].message})`);
    await stillServes(name);
  });
}

const outsider = "0x1234567890123456789012345678901234567890";
const someone = account(8).address;

// A filter id that never existed.
await expectError("filterNeverExisted", "eth_getFilterChanges", ["0xdeadbeefdeadbeefdeadbeefdeadbeef"]);

// One that was uninstalled: uninstall answers true, then false, then the
// filter is gone for eth_getFilterChanges.
await step("uninstall", async () => {
  const id = await rpc("eth_newBlockFilter");
  check(typeof id === "string" && id.startsWith("0x"), "eth_newBlockFilter gives a hex id");
  check((await rpc("eth_uninstallFilter", [id])) === true, "the first eth_uninstallFilter answers true");
  check((await rpc("eth_uninstallFilter", [id])) === false, "the second answers false");
  await expectError("filterUninstalled", "eth_getFilterChanges", [id]);
});

// debug_traceTransaction of a hash no transaction has: geth answers an
// error; anvil 1.7.1 answers an empty trace (nothing executed). Either is
// taken, and recorded.
await step("traceUnknownHash", async () => {
  const unknown = "0x" + "ab".repeat(32);
  const response = await rawCall("debug_traceTransaction", [unknown, {}]);
  if (response.error) {
    check(Number.isInteger(response.error.code), "an error code");
  } else {
    const trace = response.result;
    check(trace && trace.gas === 0 && trace.structLogs?.length === 0, `an empty trace, got ${JSON.stringify(trace)}`);
  }
  observed.traceUnknownHash = response.error ?? { result: response.result };
  await stillServes("debug_traceTransaction of an unknown hash");
});

// eth_sendTransaction from an account that is neither a dev account nor impersonated.
await expectError("unknownSender", "eth_sendTransaction", [{ from: outsider, to: someone, value: "0x1" }]);
await expectError("signUnknownAccount", "personal_sign", ["0x68656c6c6f", outsider]);

// anvil_loadState with bytes that are not a dump, and with a string that is not hex.
await expectError("loadStateNotADump", "anvil_loadState", ["0x" + Buffer.from('{"hello":"world"}').toString("hex")]);
await expectError("loadStateNotHex", "anvil_loadState", ["nothex"]);

// The node's state is untouched: a dev account still sends.
await step("still sends", async () => {
  const hash = await rpc("eth_sendTransaction", [{ from: account(8).address, to: outsider, value: "0x2" }]);
  check(/^0x[0-9a-f]{64}$/.test(hash), "eth_sendTransaction from a dev account gives a hash");
});

finish({ observed });
