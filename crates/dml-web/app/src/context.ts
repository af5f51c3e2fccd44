// What every page is handed: the deployment's configuration, a chain client,
// the indexer and navigation. Shared with the explorer pages (see CONTRACT.md).

import type { Address, Hex, PublicClient } from "viem";

/** The deployment the page talks to, as served at `/config.json`. */
export interface AppConfig {
  chainId: number;
  chainName: string;
  rpcUrl: string;
  indexerUrl: string;
  gatewayUrl: string;
  contracts: {
    engine: Address;
    token: Address;
    governor: Address | null;
    timelock: Address | null;
    liquidityStaking: Address | null;
    pair: Address | null;
    router: Address | null;
    weth: Address | null;
  };
  devnet: boolean;
  devAccounts: { index: number; address: Address; privateKey: Hex }[];
}

/** The services a page renders with. */
export interface Ctx {
  config: AppConfig;
  /** viem public client on http(config.rpcUrl). */
  client: PublicClient;
  /**
   * GET config.indexerUrl + path (e.g. "/api/v1/tasks?limit=20") as JSON; throws an Error
   * whose message is a sentence on HTTP errors ({"error": "..."} bodies) or when the indexer is down.
   */
  api<T = any>(path: string): Promise<T>;
  /** Navigates, e.g. ctx.go("#/task/0x…"). */
  go(hash: string): void;
  /** Shows an error in words in the page's error area. */
  showError(err: unknown): void;
}
