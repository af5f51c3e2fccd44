// Loading and checking the deployment's /config.json.

import { isAddress } from "viem";
import type { AppConfig } from "./context";
import { UserError } from "./errors";

/** Fetches /config.json from the page's origin and checks its fields; failures are sentences. */
export async function loadConfig(): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetch("config.json", { cache: "no-store" });
  } catch {
    throw new UserError("The server of this page does not answer; /config.json could not be loaded.");
  }
  if (!response.ok) throw new UserError(`The server answered ${response.status} for /config.json.`);
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new UserError("The page's /config.json is not JSON.");
  }
  return checkConfig(raw);
}

/** Checks that `raw` has every field the app needs, with the right types. */
export function checkConfig(raw: unknown): AppConfig {
  const c = raw as Partial<AppConfig> | null;
  if (!c || typeof c !== "object") throw new UserError("The page's /config.json is not an object.");
  for (const key of ["rpcUrl", "indexerUrl", "gatewayUrl", "chainName"] as const) {
    if (typeof c[key] !== "string" || c[key] === "") throw new UserError(`The page's /config.json has no ${key}.`);
  }
  if (typeof c.chainId !== "number") throw new UserError("The page's /config.json has no chainId.");
  const contracts = c.contracts;
  if (!contracts || !isAddress(contracts.engine ?? "") || !isAddress(contracts.token ?? "")) {
    throw new UserError("The page's /config.json names no engine and token contracts.");
  }
  const optional = ["governor", "timelock", "liquidityStaking", "pair", "router", "weth"] as const;
  const normalised = { ...contracts };
  for (const key of optional) {
    const value = contracts[key];
    normalised[key] = typeof value === "string" && isAddress(value) ? value : null;
  }
  return {
    chainId: c.chainId,
    chainName: c.chainName!,
    rpcUrl: c.rpcUrl!,
    indexerUrl: c.indexerUrl!,
    gatewayUrl: c.gatewayUrl!,
    contracts: normalised,
    devnet: c.devnet === true,
    devAccounts: c.devnet === true && Array.isArray(c.devAccounts) ? c.devAccounts : [],
  };
}
