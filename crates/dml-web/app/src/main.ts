// The app's entry: load the deployment's config, build the frame, and route
// hash changes to pages. Sets document.body.dataset.ready once the first
// page is up (the browser tests wait for it).

import "./style.css";
import { createPublicClient, http, type PublicClient } from "viem";
import { makeApi } from "./api";
import { chainOf } from "./chain";
import { loadConfig } from "./config";
import type { AppConfig, Ctx } from "./context";
import { describeError } from "./errors";
import * as explorer from "./explorer/index";
import { el, setChildren } from "./format";
import { governPage } from "./govern";
import { addError, buildLayout, type Layout } from "./layout";
import { playgroundPage } from "./playground";
import { parseHash, sectionOf, type Route } from "./router";
import { stakePage } from "./stake";
import { mountWalletUi } from "./wallet-ui";
import { wallet } from "./wallet";

type Cleanup = () => void;
type Page = (root: HTMLElement, ctx: Ctx, route: Route) => Promise<Cleanup>;

/** What each route renders. */
const PAGES: Record<string, Page> = {
  playground: (root, ctx, r) => playgroundPage(root, ctx, r.param),
  explorer: (root, ctx) => explorer.explorerHome(root, ctx),
  tasks: (root, ctx) => explorer.tasksPage(root, ctx),
  task: (root, ctx, r) => explorer.taskPage(root, ctx, r.param!),
  models: (root, ctx) => explorer.modelsPage(root, ctx),
  model: (root, ctx, r) => explorer.modelPage(root, ctx, r.param!),
  solvers: (root, ctx) => explorer.solversPage(root, ctx),
  solver: (root, ctx, r) => explorer.solverPage(root, ctx, r.param!),
  address: (root, ctx, r) => explorer.addressPage(root, ctx, r.param!),
  contestation: (root, ctx, r) => explorer.contestationPage(root, ctx, r.param!),
  stake: (root, ctx) => stakePage(root, ctx),
  govern: (root, ctx) => governPage(root, ctx),
  notfound: async (root, _ctx, r) => {
    root.replaceChildren(
      el("section", { class: "page", "data-testid": "notfound-page", "data-loaded": "1" }, el("h1", null, "Not found"), el("p", null, `There is no page #/${r.param ?? ""}. `, el("a", { href: "#/playground" }, "Go to the playground."))),
    );
    return () => {};
  },
};

/** Pages that show the connected account's figures and are redrawn when it changes. */
const ACCOUNT_PAGES = new Set(["stake", "govern"]);

function makeContext(config: AppConfig, layout: Layout): Ctx {
  const client = createPublicClient({ chain: chainOf(config), transport: http(config.rpcUrl, { retryCount: 1 }), pollingInterval: 500 }) as PublicClient;
  return {
    config,
    client,
    api: makeApi(config.indexerUrl),
    go: (hash) => {
      if (location.hash === hash) void router.render();
      else location.hash = hash;
    },
    showError: (err) => addError(layout.errors, describeError(err, { rpcUrl: config.rpcUrl })),
  };
}

/** Renders the route in the location's hash, stopping the previous page first. */
class Router {
  private cleanup: Cleanup | null = null;
  private generation = 0;
  constructor(
    private ctx: Ctx | null = null,
    private layout: Layout | null = null,
  ) {}

  attach(ctx: Ctx, layout: Layout): void {
    this.ctx = ctx;
    this.layout = layout;
  }

  get route(): Route {
    return parseHash(location.hash);
  }

  async render(): Promise<void> {
    const { ctx, layout } = this;
    if (!ctx || !layout) return;
    const generation = ++this.generation;
    this.cleanup?.();
    this.cleanup = null;
    layout.errors.replaceChildren();
    const route = this.route;
    layout.setSection(sectionOf(route));
    const root = el("div", { class: "page-root" });
    layout.main.replaceChildren(root);
    try {
      const cleanup = await (PAGES[route.name] ?? PAGES.notfound)(root, ctx, route);
      if (generation === this.generation) this.cleanup = cleanup;
      else cleanup(); // the user moved on while it loaded
    } catch (err) {
      if (generation === this.generation) ctx.showError(err);
    }
    if (generation === this.generation) window.scrollTo({ top: 0 });
  }
}

const router = new Router();

async function boot(): Promise<void> {
  const layout = buildLayout();
  let config: AppConfig;
  try {
    config = await loadConfig();
  } catch (err) {
    addError(layout.errors, describeError(err));
    document.body.dataset.ready = "1";
    return;
  }
  const ctx = makeContext(config, layout);
  setChildren(
    layout.footer,
    el("span", null, `${config.chainName} (chain ${config.chainId})`),
    config.devnet ? el("span", { class: "badge warn" }, "devnet") : null,
    el("span", { class: "muted mono" }, config.rpcUrl),
  );
  wallet.init(config, ctx.client);
  mountWalletUi(layout.walletSlot, config, ctx.showError);
  router.attach(ctx, layout);
  let lastAccount = wallet.account;
  wallet.subscribe(() => {
    if (wallet.account === lastAccount) return;
    lastAccount = wallet.account;
    if (ACCOUNT_PAGES.has(router.route.name)) void router.render();
  });
  window.addEventListener("hashchange", () => void router.render());
  if (location.hash === "") history.replaceState(null, "", "#/playground");
  await router.render();
  document.body.dataset.ready = "1";
}

void boot();
