// Building blocks every explorer page uses: the page root with its test
// hooks, field rows (data-field/data-value), links to other pages, tables,
// and the checks of ids and addresses in the URL.

import { getAddress, isAddress, type Address, type Hex } from "viem";
import { el, formatDml, shortHex, timeAgo, type Child } from "../format";

/** The zero address, as the chain returns it for "nobody". */
export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

/** Replaces the content of `el` with the page's root: a section with `data-testid="<name>-page"` and a heading. */
export function pageRoot(container: HTMLElement, name: string, title: Child, subtitle?: Child): HTMLElement {
  const root = el(
    "section",
    { class: `explorer explorer-${name}`, "data-testid": `${name}-page` },
    explorerNav(name),
    el("h1", { class: "explorer-title" }, title),
    subtitle ? el("p", { class: "explorer-subtitle" }, subtitle) : null,
  );
  container.replaceChildren(root);
  return root;
}

/** The explorer's own tab row: home, tasks, models, solvers. */
function explorerNav(current: string): HTMLElement {
  const tab = (hash: string, label: string, names: string[]) =>
    el("a", { href: hash, class: names.includes(current) ? "explorer-tab active" : "explorer-tab" }, label);
  return el(
    "nav",
    { class: "explorer-tabs", "aria-label": "Explorer" },
    tab("#/explorer", "Overview", ["explorer"]),
    tab("#/tasks", "Tasks", ["tasks", "task", "contestation"]),
    tab("#/models", "Models", ["models", "model"]),
    tab("#/solvers", "Solvers", ["solvers", "solver", "address"]),
  );
}

/** Marks a page as shown: the browser test waits for `data-loaded="1"`. */
export function markLoaded(root: HTMLElement): void {
  root.dataset.loaded = "1";
}

/** A titled section of a page holding `children`. */
export function section(title: Child, ...children: Child[]): HTMLElement {
  return el("section", { class: "explorer-section" }, el("h2", null, title), ...children);
}

/** A value with its test hook: `<span data-field=name data-value=raw>human</span>`. */
export function field(name: string, raw: string, ...human: Child[]): HTMLElement {
  return el("span", { class: "field", "data-field": name, "data-value": raw }, ...(human.length ? human : [raw]));
}

/** A definition list of label → value rows; rows whose value is null are left out. */
export function facts(rows: [string, Child][]): HTMLElement {
  const dl = el("dl", { class: "facts" });
  for (const [label, value] of rows) {
    if (value === null || value === undefined) continue;
    dl.append(el("dt", null, label), el("dd", null, value));
  }
  return dl;
}

/**
 * An amount of DML rounded to `digits` decimals with thousands separators
 * ("1,234.5679 DML"), in integer arithmetic; tiny non-zero amounts read "< 0.0001 DML".
 */
export function roundedDml(wei: bigint, digits = 4): string {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const step = 10n ** BigInt(18 - digits);
  const units = (abs + step / 2n) / step;
  if (units === 0n && abs > 0n) return `< 0.${"0".repeat(digits - 1)}1 DML`;
  const one = 10n ** BigInt(digits);
  const whole = (units / one).toLocaleString("en-US");
  const frac = (units % one).toString().padStart(digits, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""} DML`;
}

/**
 * An amount in wei shown as DML with the exact amount and wei on hover:
 * exact by default, rounded (see roundedDml) with `short` for lists and sentences.
 */
export function dml(wei: bigint | string, short = false): HTMLElement {
  const value = typeof wei === "bigint" ? wei : BigInt(wei);
  return el("span", { class: "amount", title: `${formatDml(value)} (${value.toString()} wei)` }, short ? roundedDml(value) : formatDml(value));
}

/** A unix time as "3 min ago" with the full date on hover. */
export function when(unixSeconds: number | bigint): HTMLElement {
  const s = Number(unixSeconds);
  if (!s) return el("span", { class: "muted" }, "—");
  return el("time", { datetime: new Date(s * 1000).toISOString(), title: new Date(s * 1000).toLocaleString() }, timeAgo(s));
}

/** A link to a task's page. */
export function taskLink(id: string, text?: string): HTMLAnchorElement {
  return el("a", { href: `#/task/${id.toLowerCase()}`, class: "mono", title: id }, text ?? shortHex(id));
}

/** A link to an address's page (or a solver's page with `solver`), shortened or named by `label`; the zero address is shown as "—". */
export function addressLink(address: string | null | undefined, kind: "address" | "solver" = "address", label?: string): HTMLElement {
  if (!address || /^0x0{40}$/i.test(address)) return el("span", { class: "muted" }, "—");
  const checksummed = isAddress(address, { strict: false }) ? getAddress(address) : address;
  return el("a", { href: `#/${kind}/${checksummed}`, class: label ? "named" : "mono", title: checksummed }, label ?? shortHex(checksummed));
}

/** A link to a contestation's page. */
export function contestationLink(taskId: string, text = "contestation"): HTMLAnchorElement {
  return el("a", { href: `#/contestation/${taskId.toLowerCase()}` }, text);
}

/** A transaction hash, shortened, with the whole hash on hover. */
export function txHash(hash: string): HTMLElement {
  return el("span", { class: "mono tx", title: hash }, shortHex(hash));
}

/** A CID linked to the gateway (`<gateway>/ipfs/<cid>`), or "—" when empty. */
export function cidLink(gatewayUrl: string, cid: string): HTMLElement {
  if (!cid) return el("span", { class: "muted" }, "—");
  return el("a", { href: gatewayHref(gatewayUrl, cid), class: "mono", target: "_blank", rel: "noopener" }, cid);
}

/** The gateway URL of a CID. */
export function gatewayHref(gatewayUrl: string, cid: string): string {
  return `${gatewayUrl.replace(/\/+$/, "")}/ipfs/${cid}`;
}

/** A table with a header row; `rows` are lists of cells. Shows `empty` when there are no rows. */
export function table(headers: string[], rows: Child[][], empty = "Nothing yet."): HTMLElement {
  if (rows.length === 0) return el("p", { class: "muted empty" }, empty);
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "explorer-table" },
      el("thead", null, el("tr", null, headers.map((h) => el("th", null, h)))),
      el("tbody", null, rows.map((cells) => el("tr", null, cells.map((c) => el("td", null, c))))),
    ),
  );
}

/** A status as a small badge whose class names its state. */
export function statusBadge(status: string): HTMLElement {
  return el("span", { class: `badge status-${status}` }, status.replace(/-/g, " "));
}

/** Checks a 32-byte id from the URL ("0x" and 64 hex digits) and returns it lower-cased. */
export function parseId(text: string, what: string): Hex {
  const t = text.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(t)) {
    throw new Error(`"${t}" is not a ${what} id (0x and 64 hex digits).`);
  }
  return t.toLowerCase() as Hex;
}

/** Checks an address from the URL and returns it checksummed. */
export function parseAddress(text: string): Address {
  const t = text.trim();
  if (!isAddress(t, { strict: false })) {
    throw new Error(`"${t}" is not an address (0x and 40 hex digits).`);
  }
  return getAddress(t);
}

/** True when `address` is the zero address. */
export function isZero(address: string | null | undefined): boolean {
  return !address || /^0x0{40}$/i.test(address);
}

/** True when an indexer error says the thing is unknown to it (a 404's sentence). */
export function isNotIndexed(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ((err as { status?: unknown }).status === 404) return true;
  return /\bno (task|model|contestation|solver)\b.*\bin the index\b/i.test(err.message);
}

/** A small muted note. */
export function note(...children: Child[]): HTMLElement {
  return el("p", { class: "muted note" }, ...children);
}

/** A page of a paged list with an "Older" button that loads the next page into the same list. */
export interface Pager {
  /** The element to put on the page: rows and the button. */
  element: HTMLElement;
  /** Loads the first page; resolves once it is shown. */
  start(): Promise<void>;
}

/**
 * A cursor-paged list (`limit`, `before`): `fetchPage(before)` returns a page,
 * `renderRows` turns items into table rows; "Older" appends the next page.
 */
export function pager<T>(opts: {
  headers: string[];
  empty: string;
  fetchPage: (before: string | null) => Promise<{ items: T[]; next: string | null }>;
  renderRow: (item: T) => Child[];
  onError: (err: unknown) => void;
}): Pager {
  const tbody = el("tbody");
  const tableEl = el(
    "div",
    { class: "table-wrap" },
    el("table", { class: "explorer-table" }, el("thead", null, el("tr", null, opts.headers.map((h) => el("th", null, h)))), tbody),
  );
  const emptyEl = el("p", { class: "muted empty" }, opts.empty);
  const more = el("button", { type: "button", class: "older", "data-testid": "older" }, "Older");
  const wrap = el("div", { class: "pager" }, tableEl, emptyEl, more);
  let cursor: string | null = null;
  let shown = 0;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await opts.fetchPage(cursor);
      for (const item of page.items) {
        tbody.append(el("tr", null, opts.renderRow(item).map((c) => el("td", null, c))));
      }
      shown += page.items.length;
      cursor = page.next;
      more.hidden = !cursor;
    } finally {
      more.disabled = false;
      tableEl.hidden = shown === 0;
      emptyEl.hidden = shown > 0;
    }
  };
  more.addEventListener("click", () => {
    load().catch(opts.onError);
  });
  return { element: wrap, start: load };
}
