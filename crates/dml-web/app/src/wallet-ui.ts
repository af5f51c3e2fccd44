// The wallet button in the header: a chooser of the wallets in the page
// (and, on a devnet, the dev accounts), then the connected account.

import type { AppConfig } from "./context";
import { describeError } from "./errors";
import { el, setChildren, shortHex } from "./format";
import { wallet } from "./wallet";

/** Renders the wallet control into `slot` and keeps it current. */
export function mountWalletUi(slot: HTMLElement, config: AppConfig, showError: (err: unknown) => void): void {
  const chooser = buildChooser(config, showError);
  document.body.append(chooser.root);
  const render = () => {
    const state = wallet.state;
    if (state.kind === "none") {
      const connect = el("button", { type: "button", "data-testid": "connect", class: "primary" }, "Connect wallet");
      connect.addEventListener("click", () => chooser.open());
      slot.replaceChildren(connect);
      return;
    }
    const parts: (HTMLElement | null)[] = [];
    if (state.kind === "dev") {
      parts.push(el("span", { "data-testid": "dev-mode-badge", class: "badge warn", title: "Signs with a devnet key printed by dml devnet" }, `Dev account #${state.index}`));
    } else if (state.chainId !== config.chainId) {
      parts.push(el("span", { class: "badge warn" }, `Wrong network (${state.chainId})`));
    }
    parts.push(el("span", { "data-testid": "account", "data-address": state.account, class: "account mono", title: state.account }, shortHex(state.account)));
    const disconnect = el("button", { type: "button", class: "ghost", title: "Disconnect" }, "Disconnect");
    disconnect.addEventListener("click", () => wallet.disconnect());
    slot.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null), disconnect);
  };
  wallet.subscribe(render);
  wallet.onDiscovered(() => chooser.refresh());
  render();
}

/** The wallet chooser dialog. */
function buildChooser(config: AppConfig, showError: (err: unknown) => void) {
  const list = el("div", { class: "wallet-options" });
  const dialog = el("dialog", { class: "chooser", "aria-labelledby": "chooser-title" });
  const problem = el("div");
  const close = () => dialog.open && dialog.close();

  const refresh = () => {
    const wallets = wallet.wallets();
    if (wallets.length === 0) {
      list.replaceChildren(el("p", { class: "muted" }, "No browser wallet found in this page. Install one (MetaMask, Rabby, …) and reload."));
      return;
    }
    list.replaceChildren(
      ...wallets.map((w) => {
        const button = el("button", { type: "button", "data-testid": "wallet-option", "data-rdns": w.info.rdns, class: "wallet-option" }, w.info.name || w.info.rdns);
        button.addEventListener("click", async () => {
          button.disabled = true;
          problem.replaceChildren();
          try {
            await wallet.connectInjected(w.info.rdns);
            close();
          } catch (err) {
            problem.replaceChildren(el("p", { "data-testid": "error", class: "error-line" }, describeError(err, { rpcUrl: config.rpcUrl })));
          } finally {
            button.disabled = false;
          }
        });
        return button;
      }),
    );
  };

  let devSection: HTMLElement | null = null;
  if (config.devnet && config.devAccounts.length > 0) {
    const select = el(
      "select",
      { "data-testid": "dev-account-select", id: "dev-account-select" },
      ...config.devAccounts.map((a) => el("option", { value: a.index }, `#${a.index} ${shortHex(a.address)}`)),
    );
    const use = el("button", { type: "button", "data-testid": "use-dev-account" }, "Use this account");
    use.addEventListener("click", () => {
      try {
        wallet.connectDev(Number(select.value));
        close();
      } catch (err) {
        showError(err);
      }
    });
    devSection = el(
      "section",
      { class: "dev-accounts" },
      el("h3", null, "Dev account (devnet only; signs with the printed keys)"),
      el("p", { class: "help" }, "These keys are public test keys. The page signs with them itself; never use them on a real network."),
      el("label", { for: "dev-account-select" }, "Account"),
      el("div", { class: "inline" }, select, use),
    );
  }

  const closeButton = el("button", { type: "button", class: "ghost", "aria-label": "Close" }, "Close");
  closeButton.addEventListener("click", close);
  setChildren(
    dialog,
    el("div", { class: "chooser-head" }, el("h2", { id: "chooser-title" }, "Connect a wallet"), closeButton),
    list,
    problem,
    devSection,
  );
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) close(); // a click on the backdrop
  });
  refresh();
  return {
    root: dialog,
    refresh,
    open() {
      refresh();
      problem.replaceChildren();
      if (!dialog.open) dialog.showModal();
    },
  };
}
