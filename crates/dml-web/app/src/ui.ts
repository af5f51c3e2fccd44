// Small building blocks shared by the playground, stake and govern pages.

import { formatUnits, parseUnits } from "viem";
import { describeError, UserError } from "./errors";
import { el, formatCountdown, type Attrs, type Child } from "./format";

/** Parses a decimal DML amount typed by the user ("1.5") into wei; `what` names it in the error. */
export function parseDmlInput(text: string, what: string): bigint {
  const trimmed = text.trim();
  if (!/^\d+(\.\d{0,18})?$|^\.\d{1,18}$/.test(trimmed)) {
    throw new UserError(`Enter ${what} in DML as a decimal number, like 1.5 (at most 18 decimals).`);
  }
  return parseUnits(trimmed.startsWith(".") ? `0${trimmed}` : trimmed, 18);
}

/** Formats wei as a plain decimal for an input's value ("1.5"), without the unit. */
export function dmlInputValue(wei: bigint): string {
  return formatUnits(wei, 18);
}

/** An element showing one error sentence, as the test hooks expect (`[data-testid="error"]`). */
export function errorLine(err: unknown, rpcUrl?: string): HTMLElement {
  return el("p", { class: "error-line", "data-testid": "error", role: "alert" }, describeError(err, rpcUrl ? { rpcUrl } : undefined));
}

/** A button bound to a transaction (or any async action), with its status line beside it. */
export interface ActionButton {
  /** The button and its status line, to put in the page. */
  root: HTMLElement;
  button: HTMLButtonElement;
  /** Enables or disables the button, except while its action runs (then it stays disabled). */
  setEnabled(enabled: boolean): void;
}

/**
 * Makes a button that runs `action` once per click: disabled while it runs (nothing is sent twice),
 * then shows the confirmation `action` returns ("" for none), or the error in words.
 */
export function actionButton(label: string, attrs: Attrs, action: () => Promise<string | void>): ActionButton {
  const button = el("button", { type: "button", ...attrs }, label);
  const status = el("span", { class: "action-status", "aria-live": "polite" });
  let busy = false;
  let wanted = true;
  button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren(el("span", { class: "muted" }, "Working…"));
    try {
      const done = await action();
      // An action that only reported problems of its own returns "": nothing to confirm.
      if (done === "") status.replaceChildren();
      else status.replaceChildren(el("span", { class: "ok", "data-testid": "confirmation" }, done ?? "Done."));
    } catch (err) {
      status.replaceChildren(errorLine(err));
    } finally {
      busy = false;
      button.removeAttribute("aria-busy");
      button.disabled = !wanted;
    }
  });
  return {
    root: el("span", { class: "action" }, button, status),
    button,
    setEnabled(enabled: boolean) {
      wanted = enabled;
      if (!busy) button.disabled = !enabled;
    },
  };
}

/** A labelled value: <div class="kv"><dt>label</dt><dd data-field=name data-value=raw>text</dd></div>. */
export function field(name: string, label: string, raw: string, ...text: Child[]): HTMLElement {
  return el("div", { class: "kv" }, el("dt", null, label), el("dd", { "data-field": name, "data-value": raw }, ...text));
}

/** A titled card section. */
export function card(title: string, attrs: Attrs | null, ...children: Child[]): HTMLElement {
  return el("section", { class: "card", ...(attrs ?? {}) }, el("h2", null, title), ...children);
}

/** A live countdown to a unix time; `ticker` keeps it current. Shows `doneText` once the time has passed. */
export function countdown(unixSeconds: number, doneText: string): HTMLElement {
  const node = el("span", { class: "countdown", "data-until": unixSeconds, "data-done-text": doneText });
  renderCountdown(node);
  return node;
}

function renderCountdown(node: HTMLElement): void {
  const until = Number(node.dataset.until);
  const left = until - Date.now() / 1000;
  node.textContent = left > 0 ? `in ${formatCountdown(Math.ceil(left))}` : node.dataset.doneText ?? "now";
  node.classList.toggle("passed", left <= 0);
}

/** Updates every countdown under `root` each second; returns the function that stops it. */
export function startTicker(root: HTMLElement, onTick?: () => void): () => void {
  const timer = window.setInterval(() => {
    root.querySelectorAll<HTMLElement>("[data-until]").forEach(renderCountdown);
    onTick?.();
  }, 1000);
  return () => window.clearInterval(timer);
}

/** Runs `fn` now and then every `ms` (never overlapping itself) until the returned function is called; `fn` handles its own errors. */
export function poll(fn: () => Promise<void>, ms: number): () => void {
  let stopped = false;
  let timer = 0;
  const loop = async () => {
    if (stopped) return;
    try {
      await fn();
    } catch {
      // fn reports its own failures; polling goes on.
    } finally {
      if (!stopped) timer = window.setTimeout(loop, ms);
    }
  };
  void loop();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

/** One keyed row of a KeyedList: its element and how to show new data in it. */
export interface KeyedRow<T> {
  node: HTMLElement;
  update(item: T): void;
}

/**
 * A list whose rows are kept across refreshes (so typed amounts and a button's
 * in-flight state survive): rows are created once per key, updated in place,
 * and removed when their key is gone.
 */
export class KeyedList<T> {
  private rows = new Map<string, KeyedRow<T>>();
  constructor(
    readonly container: HTMLElement,
    private create: (key: string, item: T) => KeyedRow<T>,
    private empty: () => Node,
  ) {}

  /** Shows `items` (keyed by `keyOf`) in order. */
  sync(items: T[], keyOf: (item: T) => string): void {
    const keep = new Set<string>();
    const nodes: Node[] = [];
    for (const item of items) {
      const key = keyOf(item);
      keep.add(key);
      let row = this.rows.get(key);
      if (!row) {
        row = this.create(key, item);
        this.rows.set(key, row);
      }
      row.update(item);
      nodes.push(row.node);
    }
    for (const key of [...this.rows.keys()]) if (!keep.has(key)) this.rows.delete(key);
    const current = [...this.container.childNodes];
    const same = current.length === nodes.length && current.every((n, i) => n === nodes[i]);
    if (!same) this.container.replaceChildren(...(nodes.length > 0 ? nodes : [this.empty()]));
  }
}

/** A part of a page that can re-read its figures. */
export interface Section {
  root: HTMLElement;
  /** Re-reads the chain and the indexer and updates the figures in place. */
  refresh(): Promise<void>;
}

/** Formats a fixed-point percentage (1e18 = 100 %) as "10 %", exactly. */
export function formatPercent(wad: bigint): string {
  return `${formatUnits(wad * 100n, 18)} %`;
}

/** Sets a [data-field] element's raw value and its text. */
export function setField(node: HTMLElement, raw: string, text: string): void {
  node.dataset.value = raw;
  node.textContent = text;
}
