// The models a task can be sent to: ids from the indexer, fee and template
// CID from the chain, the template itself from the gateway.

import type { Address, Hex } from "viem";
import { engineAbi } from "./abi";
import type { Ctx } from "./context";
import { cidFromBytes } from "./format";
import type { ModelSummary } from "./indexer-types";
import { parseTemplate, type ModelTemplate } from "./template";

/** A registered model with its on-chain terms and its template. */
export interface ModelInfo {
  id: Hex;
  fee: bigint;
  addr: Address;
  rate: bigint;
  cid: string;
  template: ModelTemplate;
}

const templateCache = new Map<string, Promise<ModelTemplate>>();

/** Fetches a template by CID from the gateway (cached: a CID's bytes never change). */
export function fetchTemplate(ctx: Ctx, cid: string): Promise<ModelTemplate> {
  let cached = templateCache.get(cid);
  if (!cached) {
    cached = (async () => {
      const url = `${ctx.config.gatewayUrl.replace(/\/+$/, "")}/ipfs/${cid}`;
      let response: Response;
      try {
        response = await fetch(url);
      } catch {
        throw new Error(`The gateway at ${ctx.config.gatewayUrl} does not answer.`);
      }
      if (!response.ok) throw new Error(`The gateway answered ${response.status} for the template ${cid}.`);
      return parseTemplate(await response.json());
    })();
    cached.catch(() => templateCache.delete(cid));
    templateCache.set(cid, cached);
  }
  return cached;
}

/** Reads one model's terms from the chain and its template from the gateway. */
export async function loadModel(ctx: Ctx, id: Hex): Promise<ModelInfo> {
  const [fee, addr, rate, cidBytes] = await ctx.client.readContract({
    address: ctx.config.contracts.engine,
    abi: engineAbi,
    functionName: "models",
    args: [id],
  });
  const cid = cidFromBytes(cidBytes);
  if (!cid) throw new Error(`The model ${id} is not registered on this chain.`);
  return { id, fee, addr, rate, cid, template: await fetchTemplate(ctx, cid) };
}

/**
 * Every registered model the indexer lists, sorted by name. Models whose template cannot be read are
 * left out and their errors returned beside the list.
 */
export async function loadModels(ctx: Ctx): Promise<{ models: ModelInfo[]; errors: unknown[] }> {
  const listed = await ctx.api<ModelSummary[]>("/api/v1/models");
  const results = await Promise.allSettled(listed.map((m) => loadModel(ctx, m.id as Hex)));
  const models: ModelInfo[] = [];
  const errors: unknown[] = [];
  for (const r of results) {
    if (r.status === "fulfilled") models.push(r.value);
    else errors.push(r.reason);
  }
  models.sort((a, b) => a.template.name.localeCompare(b.template.name) || a.id.localeCompare(b.id));
  return { models, errors };
}
