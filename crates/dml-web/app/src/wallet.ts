// The user's wallet: EIP-6963 discovery with a window.ethereum fallback,
// chain switching, a devnet-only dev-account mode, and the one function that
// sends a contract write (simulate, send, wait, explain).

import {
  createWalletClient,
  custom,
  getAddress,
  http,
  toHex,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionParameters,
  type EIP1193Provider,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { tokenAbi } from "./abi";
import { chainOf } from "./chain";
import type { AppConfig } from "./context";
import { describeError, UserError } from "./errors";
import { formatDml } from "./format";

/** What an EIP-6963 wallet announces about itself. */
export interface ProviderInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

/** A wallet found in the page: announced by EIP-6963, or the bare `window.ethereum` (rdns "injected"). */
export interface DiscoveredWallet {
  info: ProviderInfo;
  provider: EIP1193Provider;
}

/** Who signs: nobody yet, a browser wallet, or one of the devnet's printed keys. */
export type WalletState =
  | { kind: "none" }
  | { kind: "injected"; account: Address; chainId: number; wallet: DiscoveredWallet }
  | { kind: "dev"; account: Address; index: number };

/** A contract write as the app asks for it: viem's call parameters plus the checks to make first. */
export type WriteRequest<
  abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
  args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
> = ContractFunctionParameters<abi, "nonpayable" | "payable", functionName, args> & {
  /** DML the call will debit from the sender, checked against its balance first ("the fee", "the deposit"). */
  spendsDml?: { amount: bigint; what: string };
  /** Wei of ETH sent along. */
  value?: bigint;
};

/** A sent and mined transaction. */
export interface WriteResult {
  hash: Hash;
  receipt: TransactionReceipt;
}

const STORAGE_KEY = "dml.wallet";

type Listener = (state: WalletState) => void;

/** The page's one wallet connection. Call `init` once, then connect and write. */
class Wallet {
  private config!: AppConfig;
  private client!: PublicClient;
  private signer: WalletClient | null = null;
  private current: WalletState = { kind: "none" };
  private listeners = new Set<Listener>();
  private found = new Map<string, DiscoveredWallet>();
  private foundListeners = new Set<() => void>();
  private detach: (() => void) | null = null;

  /** Starts wallet discovery and restores the last connection (without prompting). */
  init(config: AppConfig, client: PublicClient): void {
    this.config = config;
    this.client = client;
    window.addEventListener("eip6963:announceProvider", (event) => {
      const detail = (event as CustomEvent<DiscoveredWallet>).detail;
      if (!detail?.info?.rdns || !detail.provider) return;
      this.found.set(detail.info.rdns, { info: detail.info, provider: detail.provider });
      this.foundListeners.forEach((fn) => fn());
    });
    window.dispatchEvent(new Event("eip6963:requestProvider"));
    void this.restore();
  }

  /** The connection as it is now. */
  get state(): WalletState {
    return this.current;
  }

  /** The connected account, or null. */
  get account(): Address | null {
    return this.current.kind === "none" ? null : this.current.account;
  }

  /** Calls `fn` on every change of account, chain or connection; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Calls `fn` when a wallet announces itself; returns the unsubscribe function. */
  onDiscovered(fn: () => void): () => void {
    this.foundListeners.add(fn);
    return () => this.foundListeners.delete(fn);
  }

  /** The wallets in the page: every EIP-6963 announcement, else a bare window.ethereum as "injected". */
  wallets(): DiscoveredWallet[] {
    if (this.found.size > 0) return [...this.found.values()];
    const injected = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
    if (!injected) return [];
    return [{ info: { uuid: "injected", name: "Browser wallet", icon: "", rdns: "injected" }, provider: injected }];
  }

  /** The connected account, or a UserError asking to connect. */
  requireAccount(): Address {
    const account = this.account;
    if (!account) throw new UserError("Connect a wallet first (the button at the top right).");
    return account;
  }

  /** Connects the browser wallet `rdns` (asking the user), then moves it to this chain. */
  async connectInjected(rdns: string): Promise<void> {
    const wallet = this.wallets().find((w) => w.info.rdns === rdns);
    if (!wallet) throw new UserError(`The wallet ${rdns} is no longer in the page.`);
    const accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
    if (!accounts || accounts.length === 0) throw new UserError("The wallet shared no account.");
    await this.switchChain(wallet.provider);
    await this.useInjected(wallet, getAddress(accounts[0]));
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ kind: "injected", rdns }));
  }

  /** Signs with dev account `index` of config.devAccounts (a devnet only). */
  connectDev(index: number): void {
    if (!this.config.devnet) throw new UserError("Dev accounts exist only on a devnet.");
    const dev = this.config.devAccounts.find((a) => a.index === index);
    if (!dev) throw new UserError(`There is no dev account ${index}.`);
    const account = privateKeyToAccount(dev.privateKey);
    this.detachProvider();
    this.signer = createWalletClient({ account, chain: chainOf(this.config), transport: http(this.config.rpcUrl) });
    this.set({ kind: "dev", account: account.address, index });
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ kind: "dev", index }));
  }

  /** Forgets the connection (the wallet itself may keep the site authorised). */
  disconnect(): void {
    this.detachProvider();
    this.signer = null;
    localStorage.removeItem(STORAGE_KEY);
    this.set({ kind: "none" });
  }

  /**
   * Sends a contract write: checks the DML it spends against the balance, simulates it to get a revert
   * reason in words before the wallet is asked, sends, and waits for the receipt. Every failure is
   * thrown as a UserError whose message is a sentence.
   */
  async write<
    const abi extends Abi,
    functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
    const args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
  >(request: WriteRequest<abi, functionName, args>): Promise<WriteResult> {
    const endpoints = { rpcUrl: this.config.rpcUrl };
    try {
      const account = this.requireAccount();
      const signer = this.signer;
      if (!signer) throw new UserError("Connect a wallet first (the button at the top right).");
      if (this.current.kind === "injected") await this.switchChain(this.current.wallet.provider);
      await this.checkFunds(account, request.spendsDml);
      const { spendsDml: _checked, ...call } = request;
      // viem's generics cannot follow a call through this wrapper; the request's own type checked the call.
      const simulated = await this.client.simulateContract({ ...(call as any), account });
      const hash = await signer.writeContract({ ...(simulated.request as any), account: signer.account ?? account, chain: chainOf(this.config) });
      const receipt = await this.client.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") {
        throw new UserError(`The transaction ${hash} was mined but reverted.`);
      }
      return { hash, receipt };
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(describeError(err, endpoints));
    }
  }

  private async checkFunds(account: Address, spends: { amount: bigint; what: string } | undefined): Promise<void> {
    const gas = await this.client.getBalance({ address: account });
    if (gas === 0n) throw new UserError(`Not enough ETH for gas: ${account} holds 0 ETH.`);
    if (!spends || spends.amount === 0n) return;
    const balance = await this.client.readContract({
      address: this.config.contracts.token,
      abi: tokenAbi,
      functionName: "balanceOf",
      args: [account],
    });
    if (balance < spends.amount) {
      throw new UserError(`Not enough DML: ${spends.what} is ${formatDml(spends.amount)} and ${account} holds ${formatDml(balance)}.`);
    }
  }

  /** Asks the wallet to move to this chain, adding it (error 4902) when the wallet does not know it. */
  private async switchChain(provider: EIP1193Provider): Promise<void> {
    const wanted = toHex(this.config.chainId);
    const now = (await provider.request({ method: "eth_chainId" })) as string;
    if (now && Number(now) === this.config.chainId) return;
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: wanted }] });
    } catch (err) {
      if (!isUnknownChain(err)) throw err;
      await provider.request({
        method: "wallet_addEthereumChain",
        params: [
          {
            chainId: wanted,
            chainName: this.config.chainName,
            rpcUrls: [this.config.rpcUrl],
            nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          },
        ],
      });
    }
  }

  private async useInjected(wallet: DiscoveredWallet, account: Address): Promise<void> {
    this.detachProvider();
    const chainId = Number(await wallet.provider.request({ method: "eth_chainId" }));
    this.signer = createWalletClient({ account, chain: chainOf(this.config), transport: custom(wallet.provider) });
    const onAccounts = (accounts: string[]) => {
      if (!accounts || accounts.length === 0) {
        this.disconnect();
        return;
      }
      const next = getAddress(accounts[0]);
      this.signer = createWalletClient({ account: next, chain: chainOf(this.config), transport: custom(wallet.provider) });
      if (this.current.kind === "injected") this.set({ ...this.current, account: next });
    };
    const onChain = (id: string) => {
      if (this.current.kind === "injected") this.set({ ...this.current, chainId: Number(id) });
    };
    wallet.provider.on("accountsChanged", onAccounts);
    wallet.provider.on("chainChanged", onChain);
    this.detach = () => {
      wallet.provider.removeListener("accountsChanged", onAccounts);
      wallet.provider.removeListener("chainChanged", onChain);
    };
    this.set({ kind: "injected", account, chainId, wallet });
  }

  private detachProvider(): void {
    this.detach?.();
    this.detach = null;
  }

  private set(state: WalletState): void {
    this.current = state;
    this.listeners.forEach((fn) => fn(state));
  }

  /** Reconnects what the user chose last time, silently (eth_accounts never prompts). */
  private async restore(): Promise<void> {
    let saved: { kind?: string; index?: number; rdns?: string } | null = null;
    try {
      saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    } catch {
      saved = null;
    }
    if (!saved) return;
    try {
      if (saved.kind === "dev" && typeof saved.index === "number" && this.config.devnet) {
        this.connectDev(saved.index);
      } else if (saved.kind === "injected" && saved.rdns) {
        // Give EIP-6963 wallets a moment to announce themselves.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const wallet = this.wallets().find((w) => w.info.rdns === saved!.rdns);
        if (!wallet) return;
        const accounts = (await wallet.provider.request({ method: "eth_accounts" })) as string[];
        if (accounts && accounts.length > 0) await this.useInjected(wallet, getAddress(accounts[0]));
      }
    } catch {
      // A stale choice is simply forgotten.
      localStorage.removeItem(STORAGE_KEY);
    }
  }
}

/** Does this wallet error say it does not know the chain (EIP-3085 code 4902, sometimes nested)? */
function isUnknownChain(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === "object"; depth++) {
    const e = current as { code?: unknown; data?: { originalError?: unknown }; cause?: unknown };
    if (e.code === 4902) return true;
    current = e.data?.originalError ?? e.cause;
  }
  return false;
}

/** The page's wallet. */
export const wallet = new Wallet();
