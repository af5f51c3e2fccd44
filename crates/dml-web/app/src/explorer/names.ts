// Names for the deployment's own contracts, so a history reads "engine"
// rather than 0x…0E01.

import type { Ctx } from "../context";
import { addressLink } from "./ui";

const LABELS: [keyof Ctx["config"]["contracts"], string][] = [
  ["engine", "engine"],
  ["token", "DML token"],
  ["governor", "governor"],
  ["timelock", "timelock (treasury)"],
  ["liquidityStaking", "LP staking"],
  ["pair", "DML/WETH pair"],
  ["router", "Uniswap router"],
  ["weth", "WETH"],
];

/** The name of one of the deployment's contracts, or null for any other address. */
export function contractName(ctx: Ctx, address: string | null | undefined): string | null {
  if (!address) return null;
  const a = address.toLowerCase();
  for (const [key, label] of LABELS) {
    if (ctx.config.contracts[key]?.toLowerCase() === a) return label;
  }
  return null;
}

/** A link to an address's page, named when it is one of the deployment's contracts. */
export function party(ctx: Ctx, address: string | null | undefined, kind: "address" | "solver" = "address"): HTMLElement {
  const name = contractName(ctx, address);
  return addressLink(address, name ? "address" : kind, name ?? undefined);
}
