// Formatting of chain values for people, and a tiny DOM builder.
// Nothing here touches innerHTML: text goes in as text nodes.

import { formatUnits, hexToBytes, type Hex } from "viem";

/** Formats an amount of DML in wei ("12500000000000000000" or 12500000000000000000n) as "12.5 DML", exactly. */
export function formatDml(wei: bigint | string): string {
  const value = typeof wei === "bigint" ? wei : BigInt(wei);
  return `${formatUnits(value, 18)} DML`;
}

/** Shortens a hex string (address, hash) to "0x1234…abcd"; short strings are returned as they are. */
export function shortHex(h: string): string {
  if (h.length <= 14) return h;
  return `${h.slice(0, 6)}…${h.slice(-4)}`;
}

/** Says how long ago (or how far ahead) a unix time in seconds is: "5 s ago", "3 min ago", "in 2 h". */
export function timeAgo(unixSeconds: number): string {
  const delta = Math.round(Date.now() / 1000 - unixSeconds);
  const span = formatSpan(Math.abs(delta));
  if (Math.abs(delta) < 1) return "just now";
  return delta >= 0 ? `${span} ago` : `in ${span}`;
}

/** Formats a span of seconds as "42 s", "3 min", "5 h", "2 d" (rounded down to the largest unit). */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** Formats a countdown of seconds as "1 h 02 min 05 s" / "2 min 05 s" / "5 s". */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h} h ${pad(m)} min ${pad(sec)} s`;
  if (m > 0) return `${m} min ${pad(sec)} s`;
  return `${sec} s`;
}

const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Encodes bytes in base58btc (the Bitcoin alphabet), leading zero bytes as "1". */
export function base58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let digits = "";
  while (n > 0n) {
    digits = BASE58_ALPHABET[Number(n % 58n)] + digits;
    n /= 58n;
  }
  return "1".repeat(zeros) + digits;
}

/** Turns the multihash bytes the engine stores for a CID ("0x1220…") into the CIDv0 text ("Qm…"); "0x" gives "". */
export function cidFromBytes(hexBytes: Hex): string {
  if (hexBytes === "0x") return "";
  return base58(hexToBytes(hexBytes));
}

/** A child el() accepts: text, a node, or nothing (null/undefined/false are skipped); arrays are flattened. */
export type Child = string | number | bigint | Node | null | undefined | false | Child[];

/** Attributes el() accepts: `on<event>` functions become listeners, `class` the class name, true an empty attribute; null/undefined/false are skipped. */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: any) => void)>;

function applyAttrs(node: Element, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
}

function appendChildren(node: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendChildren(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Builds an HTML element: el("a", { href: "#/tasks", class: "link", onclick: fn }, "Tasks").
 * Children are appended as nodes or as text (never parsed as HTML).
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  applyAttrs(node, attrs);
  appendChildren(node, children);
  return node;
}

/** Builds an SVG element the same way as el(): svgEl("circle", { cx: 4, cy: 4, r: 2 }). */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  applyAttrs(node, attrs);
  appendChildren(node, children);
  return node;
}

/** Replaces `node`'s children with `children`, taking what el() takes (null, false and undefined are skipped). */
export function setChildren(node: Node & ParentNode, ...children: Child[]): void {
  node.replaceChildren();
  appendChildren(node, children);
}
