// The explorer's search box: task id, model id, transaction hash, address or CID
// through the indexer's `/api/v1/search?q=`. One hit navigates to its page,
// several are listed, none says so.

import { parseEventLogs, type Hex } from "viem";
import { engineAbi } from "../abi";
import type { Ctx } from "../context";
import { el, shortHex } from "../format";
import type { SearchHit } from "../indexer-types";

const KIND_LABEL: Record<string, string> = {
  task: "Task",
  model: "Model",
  transaction: "Transaction",
  solver: "Solver",
  address: "Address",
};

/** Where a hit other than a transaction leads. */
function hitRoute(hit: SearchHit): string | null {
  switch (hit.kind) {
    case "task":
      return `#/task/${hit.id}`;
    case "model":
      return `#/model/${hit.id}`;
    case "solver":
      return `#/solver/${hit.id}`;
    case "address":
      return `#/address/${hit.id}`;
    default:
      return null;
  }
}

/**
 * Where a transaction leads: the task (or model) its engine events name, else
 * the page of the account that sent it.
 */
async function transactionRoute(ctx: Ctx, hash: Hex): Promise<string> {
  const receipt = await ctx.client.getTransactionReceipt({ hash });
  const engine = ctx.config.contracts.engine.toLowerCase();
  const logs = parseEventLogs({ abi: engineAbi, logs: receipt.logs.filter((l) => l.address.toLowerCase() === engine) });
  for (const log of logs) {
    const args = log.args as Record<string, unknown>;
    if (log.eventName === "ModelRegistered" && typeof args.id === "string") return `#/model/${args.id}`;
    if ((log.eventName === "TaskSubmitted" || log.eventName === "TaskRetracted") && typeof args.id === "string") return `#/task/${args.id}`;
    if (typeof args.task === "string") return `#/task/${args.task}`;
  }
  return `#/address/${receipt.from}`;
}

async function routeOf(ctx: Ctx, hit: SearchHit): Promise<string | null> {
  if (hit.kind === "transaction") return transactionRoute(ctx, hit.id as Hex);
  return hitRoute(hit);
}

/** The search form with its results area (`input[data-testid=search-input]`, `button[data-testid=search-submit]`). */
export function searchBox(ctx: Ctx): HTMLElement {
  const input = el("input", {
    type: "search",
    name: "q",
    "data-testid": "search-input",
    placeholder: "Task id, model id, transaction hash, address or CID",
    "aria-label": "Search",
    autocomplete: "off",
    spellcheck: "false",
  });
  const submit = el("button", { type: "submit", "data-testid": "search-submit" }, "Search");
  const results = el("div", { class: "search-results", "data-testid": "search-results", "aria-live": "polite" });

  const run = async () => {
    const q = input.value.trim();
    if (!q) return;
    submit.disabled = true;
    results.replaceChildren(el("p", { class: "muted" }, `Searching for ${q}…`));
    try {
      const hits = await ctx.api<SearchHit[]>(`/api/v1/search?q=${encodeURIComponent(q)}`);
      if (hits.length === 0) {
        results.replaceChildren(el("p", { class: "nothing", "data-testid": "search-none" }, `Nothing found for ${q}.`));
        return;
      }
      if (hits.length === 1) {
        const route = await routeOf(ctx, hits[0]);
        if (route) {
          results.replaceChildren();
          ctx.go(route);
          return;
        }
      }
      const list = el("ul", { class: "search-list" });
      for (const hit of hits) {
        const link = el(
          "a",
          { href: hitRoute(hit) ?? "#/explorer", "data-testid": "search-result", "data-kind": hit.kind },
          `${KIND_LABEL[hit.kind] ?? hit.kind} `,
          el("span", { class: "mono", title: hit.id }, shortHex(hit.id)),
          hit.cid ? ` (its ${hit.cid} CID)` : "",
        );
        if (hit.kind === "transaction") {
          // Point the link at what the transaction did once the receipt is read.
          routeOf(ctx, hit)
            .then((route) => {
              if (route) link.setAttribute("href", route);
            })
            .catch(() => undefined);
        }
        list.append(el("li", null, link));
      }
      results.replaceChildren(el("p", null, `${hits.length} matches for ${q}:`), list);
    } catch (err) {
      results.replaceChildren();
      ctx.showError(err);
    } finally {
      submit.disabled = false;
    }
  };

  const form = el(
    "form",
    {
      class: "search",
      role: "search",
      "data-testid": "search-form",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void run();
      },
    },
    input,
    submit,
  );
  return el("div", { class: "search-box" }, form, results);
}
