// A task's input: the bytes the owner sent, which the chain keeps only as a
// CID. They are read from the submitting transaction's calldata (decoding
// `submitTask`), else from a `TaskInput` log of that transaction (tasks
// submitted by contracts with a callback), else from the gateway by the CID;
// then checked against the CID with the engine's own `generateIPFSCID`.

import { bytesToHex, decodeFunctionData, hexToString, parseEventLogs, type Hex } from "viem";
import { engineAbi } from "../abi";
import type { Ctx } from "../context";
import { cidFromBytes } from "../format";
import { engineCidOf } from "./chain";
import { fromGateway } from "./gateway";

/** Where the input bytes came from. */
export type InputSource = "calldata" | "log" | "gateway";

/** A task's input as found. */
export interface TaskInput {
  /** The bytes as text (UTF-8). */
  text: string;
  /** The parsed JSON, or undefined when the text is not JSON. */
  json: unknown;
  source: InputSource;
  /** True when the engine computes the task's input CID from these bytes; null when there is no CID to compare with. */
  matchesCid: boolean | null;
}

const SUBMITTERS = new Set(["submitTask", "bulkSubmitTask", "submitTaskWithCallback"]);

/** The input bytes of `submitTask` (or its bulk and callback forms) in calldata, or null. */
function fromCalldata(data: Hex): Hex | null {
  try {
    const call = decodeFunctionData({ abi: engineAbi, data });
    if (!SUBMITTERS.has(call.functionName)) return null;
    const input = (call.args as readonly unknown[])[4];
    return typeof input === "string" ? (input as Hex) : null;
  } catch {
    return null;
  }
}

async function fromTransaction(ctx: Ctx, id: Hex, hash: Hex): Promise<{ bytes: Hex; source: InputSource } | null> {
  const tx = await ctx.client.getTransaction({ hash });
  const engine = ctx.config.contracts.engine.toLowerCase();
  if (tx.to?.toLowerCase() === engine) {
    const bytes = fromCalldata(tx.input);
    if (bytes) return { bytes, source: "calldata" };
  }
  const receipt = await ctx.client.getTransactionReceipt({ hash });
  const logs = parseEventLogs({ abi: engineAbi, eventName: "TaskInput", logs: receipt.logs.filter((l) => l.address.toLowerCase() === engine) });
  const mine = logs.find((l) => l.args.task.toLowerCase() === id);
  return mine ? { bytes: mine.args.input, source: "log" } : null;
}

async function fromContent(ctx: Ctx, inputCid: Hex): Promise<{ bytes: Hex; source: InputSource } | null> {
  if (inputCid === "0x") return null;
  const res = await fromGateway(ctx, cidFromBytes(inputCid), "the input").catch(() => null);
  if (!res) return null;
  return { bytes: bytesToHex(new Uint8Array(await res.arrayBuffer())), source: "gateway" };
}

/** The transaction that submitted `id`, found in the chain's logs (when the indexer has not seen the task). */
export async function findSubmission(ctx: Ctx, id: Hex): Promise<Hex | null> {
  const logs = await ctx.client.getContractEvents({
    address: ctx.config.contracts.engine,
    abi: engineAbi,
    eventName: "TaskSubmitted",
    args: { id },
    fromBlock: 0n,
  });
  return logs[0]?.transactionHash ?? null;
}

/**
 * Finds and checks a task's input. `txHash` is the submitting transaction
 * (from the indexer's timeline, or findSubmission); `inputCid` the CID bytes
 * `tasks(id)` holds ("0x" once retracted).
 */
export async function loadTaskInput(ctx: Ctx, id: Hex, txHash: Hex | null, inputCid: Hex): Promise<TaskInput | null> {
  const found = (txHash ? await fromTransaction(ctx, id, txHash) : null) ?? (await fromContent(ctx, inputCid));
  if (!found) return null;
  let text: string;
  try {
    text = hexToString(found.bytes);
  } catch {
    text = found.bytes;
  }
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  let matchesCid: boolean | null = null;
  if (inputCid !== "0x") {
    const cid = await engineCidOf(ctx, found.bytes).catch(() => null);
    matchesCid = cid === null ? null : cid.toLowerCase() === inputCid.toLowerCase();
  }
  return { text, json, source: found.source, matchesCid };
}
