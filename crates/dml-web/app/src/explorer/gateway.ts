// Fetching content by CID from the deployment's IPFS gateway, with failures
// in words that name the gateway (not the node).

import type { Ctx } from "../context";
import { gatewayHref } from "./ui";

/** GETs `<gatewayUrl>/ipfs/<cid>`; throws a sentence when the gateway is down or lacks the content. */
export async function fromGateway(ctx: Ctx, cid: string, what = "the content"): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(gatewayHref(ctx.config.gatewayUrl, cid));
  } catch {
    throw new Error(`The gateway at ${ctx.config.gatewayUrl} does not answer.`);
  }
  if (!res.ok) throw new Error(`The gateway at ${ctx.config.gatewayUrl} does not have ${what} ${cid} (HTTP ${res.status}).`);
  return res;
}
