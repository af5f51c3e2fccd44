// The injected test wallet: added to every page of a browser context with
// `page.addInitScript` after `window.__dmlWalletConfig` is set to
//   { rpcUrl, account, chainId (the devnet's, decimal), startChainId (default 1),
//     uuid?, announce? (default true), injectWindowEthereum? (default false) }.
//
// An EIP-1193 provider announced by EIP-6963 (on load and in reply to every
// `eip6963:requestProvider`). It starts on chain `startChainId`, so a page must
// ask `wallet_switchEthereumChain`, which fails with 4902 until the page has
// called `wallet_addEthereumChain` for the devnet's chain id with an rpcUrl.
// `eth_requestAccounts` answers the one configured dev account; everything
// else is forwarded to the devnet's JSON-RPC URL with fetch (the dev chain
// signs `eth_sendTransaction` for its unlocked dev accounts).
//
// The test steers it through `window.__dmlWallet`:
//   rejectNext = true   the next signature request (a transaction or a
//                       message) fails with 4001, as if the user said no;
//   requests            every request received, in order, with its outcome
//                       ({method, params, at, ok, result | error: {code, message}, forwarded});
// and each record is also handed to `window.__dmlWalletRecord` when the test
// exposed such a function, so the log survives page reloads.
(() => {
  if (window.__dmlWallet) return;
  const cfg = window.__dmlWalletConfig || {};
  const hex = (n) => "0x" + Number(n).toString(16);
  const devnetChain = hex(cfg.chainId ?? 31337);
  const account = String(cfg.account || "");
  const SIGNING = new Set([
    "eth_sendTransaction",
    "eth_signTransaction",
    "eth_sign",
    "personal_sign",
    "eth_signTypedData",
    "eth_signTypedData_v3",
    "eth_signTypedData_v4",
  ]);

  const state = {
    chainId: hex(cfg.startChainId ?? 1),
    known: new Set([hex(cfg.startChainId ?? 1)]),
    connected: false,
    nextId: 1,
  };
  const listeners = new Map();
  const wallet = {
    rejectNext: false,
    requests: [],
    addedChains: [],
    get chainId() {
      return state.chainId;
    },
    get connected() {
      return state.connected;
    },
  };
  Object.defineProperty(window, "__dmlWallet", { value: wallet, configurable: false });

  function emit(event, value) {
    for (const fn of [...(listeners.get(event) || [])]) {
      try {
        fn(value);
      } catch (e) {
        console.error("test wallet: a", event, "listener threw", e);
      }
    }
  }

  function rpcError(code, message, data) {
    const err = new Error(message);
    err.code = code;
    if (data !== undefined) err.data = data;
    return err;
  }

  async function forward(method, params) {
    let response;
    try {
      response = await fetch(cfg.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: state.nextId++, method, params: params ?? [] }),
      });
    } catch (e) {
      throw rpcError(-32603, `test wallet: the node at ${cfg.rpcUrl} does not answer (${e})`);
    }
    const body = await response.json();
    if (body.error) throw rpcError(body.error.code ?? -32603, body.error.message ?? "error", body.error.data);
    return body.result;
  }

  const sameAddress = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

  async function handle(method, params, record) {
    switch (method) {
      case "eth_chainId":
        return state.chainId;
      case "net_version":
        return String(parseInt(state.chainId, 16));
      case "eth_accounts":
        return state.connected ? [account] : [];
      case "eth_requestAccounts":
        if (!state.connected) {
          state.connected = true;
          queueMicrotask(() => emit("accountsChanged", [account]));
        }
        return [account];
      case "wallet_requestPermissions":
        state.connected = true;
        queueMicrotask(() => emit("accountsChanged", [account]));
        return [{ parentCapability: "eth_accounts", caveats: [] }];
      case "wallet_getPermissions":
        return state.connected ? [{ parentCapability: "eth_accounts", caveats: [] }] : [];
      case "wallet_revokePermissions":
        state.connected = false;
        queueMicrotask(() => emit("accountsChanged", []));
        return null;
      case "wallet_switchEthereumChain": {
        const target = String(params?.[0]?.chainId ?? "").toLowerCase();
        if (!/^0x[0-9a-f]+$/.test(target)) throw rpcError(-32602, `wallet_switchEthereumChain: bad chainId ${target}`);
        if (!state.known.has(target)) throw rpcError(4902, `Unrecognized chain ID "${target}". Try adding the chain using wallet_addEthereumChain first.`);
        if (state.chainId !== target) {
          state.chainId = target;
          queueMicrotask(() => emit("chainChanged", target));
        }
        return null;
      }
      case "wallet_addEthereumChain": {
        const p = params?.[0] ?? {};
        const target = String(p.chainId ?? "").toLowerCase();
        const rpcUrls = Array.isArray(p.rpcUrls) ? p.rpcUrls : [];
        if (target !== devnetChain) throw rpcError(-32602, `wallet_addEthereumChain: chainId ${target} is not the devnet's ${devnetChain}`);
        if (rpcUrls.length === 0 || typeof rpcUrls[0] !== "string") throw rpcError(-32602, "wallet_addEthereumChain: no rpcUrls");
        wallet.addedChains.push({ chainId: target, rpcUrls, chainName: p.chainName, nativeCurrency: p.nativeCurrency });
        state.known.add(target);
        // Like MetaMask: adding a chain offers to switch to it, and the user agrees.
        if (state.chainId !== target) {
          state.chainId = target;
          queueMicrotask(() => emit("chainChanged", target));
        }
        return null;
      }
      case "wallet_watchAsset":
        return true;
    }
    if (SIGNING.has(method)) {
      if (wallet.rejectNext) {
        wallet.rejectNext = false;
        record.rejected = true;
        throw rpcError(4001, "User rejected the request.");
      }
      if (!state.connected) throw rpcError(4100, "The requested account has not been authorized by the user.");
      if (state.chainId !== devnetChain) {
        record.wrongChain = true;
        throw rpcError(-32000, `test wallet: asked to sign on chain ${state.chainId}, not the devnet's ${devnetChain}`);
      }
      if (method === "eth_sendTransaction" || method === "eth_signTransaction") {
        const tx = params?.[0] ?? {};
        if (!sameAddress(tx.from, account)) throw rpcError(4100, `test wallet: from ${tx.from} is not the connected account ${account}`);
        if (tx.chainId !== undefined && String(tx.chainId).toLowerCase() !== devnetChain && Number(tx.chainId) !== parseInt(devnetChain, 16)) {
          throw rpcError(-32000, `test wallet: transaction for chain ${tx.chainId}, wallet on ${devnetChain}`);
        }
      }
    }
    record.forwarded = true;
    return forward(method, params);
  }

  const provider = {
    isDmlTestWallet: true,
    async request(args) {
      const method = args?.method;
      const params = args?.params;
      const record = { method, params, at: Date.now(), chainId: state.chainId };
      wallet.requests.push(record);
      try {
        const result = await handle(method, params, record);
        record.ok = true;
        record.result = result;
        return result;
      } catch (e) {
        record.ok = false;
        record.error = { code: e?.code, message: String(e?.message ?? e) };
        throw e;
      } finally {
        if (typeof window.__dmlWalletRecord === "function") {
          try {
            window.__dmlWalletRecord(JSON.parse(JSON.stringify(record)));
          } catch (_) {
            // The test's log is best effort; the in-page one is complete.
          }
        }
      }
    },
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
      return provider;
    },
    removeListener(event, fn) {
      listeners.get(event)?.delete(fn);
      return provider;
    },
    off(event, fn) {
      return provider.removeListener(event, fn);
    },
  };
  wallet.provider = provider;

  const icon =
    "data:image/svg+xml;base64," +
    btoa(
      '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">' +
        '<rect width="32" height="32" rx="6" fill="#3b5bdb"/>' +
        '<text x="16" y="21" font-size="12" text-anchor="middle" fill="#fff" font-family="sans-serif">DML</text></svg>',
    );
  const info = Object.freeze({
    uuid: cfg.uuid || "0b9a8c1e-7d3f-4e55-9a61-2f4c8d1e6b70",
    name: "DML Test Wallet",
    icon,
    rdns: "org.dml.testwallet",
  });
  const detail = Object.freeze({ info, provider });
  wallet.announcements = 0;
  function announce() {
    wallet.announcements++;
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  }
  if (cfg.injectWindowEthereum) window.ethereum = provider;
  if (cfg.announce !== false) {
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  }
})();
