// The chain the deployment runs on, as viem describes it.

import { defineChain, type Chain } from "viem";
import type { AppConfig } from "./context";

/** The viem chain of this deployment (ETH for gas, the configured RPC URL). */
export function chainOf(config: AppConfig): Chain {
  return defineChain({
    id: config.chainId,
    name: config.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
}
