// A task's output, fetched from the gateway by its CID and shown by the
// template's output type: text in a <pre>, an image as <img>, JSON pretty
// printed (an embedding as its length and a strip of its values).

import type { Ctx } from "../context";
import { el, svgEl } from "../format";
import type { Template } from "./templates";
import { fromGateway } from "./gateway";
import { gatewayHref } from "./ui";

/** Most characters of a text or JSON output shown inline (the link has all of it). */
const MAX_INLINE_CHARS = 20000;

function clip(text: string): string {
  return text.length > MAX_INLINE_CHARS ? `${text.slice(0, MAX_INLINE_CHARS)}\n… (${text.length - MAX_INLINE_CHARS} more characters)` : text;
}

/** A strip of an embedding's values (blue below zero, red above). */
function embeddingStrip(values: number[]): SVGSVGElement {
  const max = Math.max(1e-9, ...values.map((v) => Math.abs(v)));
  const w = 640;
  const h = 60;
  const step = w / values.length;
  return svgEl(
    "svg",
    { viewBox: `0 0 ${w} ${h}`, class: "embedding", "data-chart": "embedding", role: "img", "aria-label": `${values.length} values` },
    svgEl("line", { x1: 0, x2: w, y1: h / 2, y2: h / 2, stroke: "currentColor", "stroke-opacity": 0.3 }),
    values.map((v, i) => {
      const bar = (Math.abs(v) / max) * (h / 2);
      return svgEl("rect", {
        x: (i * step).toFixed(2),
        y: (v >= 0 ? h / 2 - bar : h / 2).toFixed(2),
        width: Math.max(0.5, step).toFixed(2),
        height: bar.toFixed(2),
        fill: v >= 0 ? "#e76f51" : "#2a6f97",
      });
    }),
  );
}

function isNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number");
}

/** A list of numbers (an embedding): its length and norm, a strip of its values and the first few. */
function numbersView(name: string, numbers: number[]): HTMLElement {
  const norm = Math.sqrt(numbers.reduce((s, v) => s + v * v, 0));
  return el(
    "div",
    { class: "numbers" },
    el("p", null, `${name}: ${numbers.length} numbers (norm ${norm.toFixed(4)})`),
    embeddingStrip(numbers),
    el("pre", null, `[${numbers.slice(0, 12).join(", ")}${numbers.length > 12 ? ", …" : ""}]`),
  );
}

/** JSON output: lists of numbers (bare or as an object's fields) drawn as strips, the rest pretty printed. */
function jsonView(value: unknown): HTMLElement {
  if (isNumberList(value)) return numbersView("output", value);
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    const lists = entries.filter(([, v]) => isNumberList(v) && (v as number[]).length > 8);
    if (lists.length > 0) {
      const rest = Object.fromEntries(entries.filter(([k]) => !lists.some(([l]) => l === k)));
      return el(
        "div",
        null,
        lists.map(([k, v]) => numbersView(k, v as number[])),
        Object.keys(rest).length > 0 ? el("pre", null, clip(JSON.stringify(rest, null, 2))) : null,
      );
    }
  }
  return el("pre", null, clip(JSON.stringify(value, null, 2)));
}

/** An image output; bytes that do not decode as an image (a forged output) are said to be so. */
function imageView(href: string, cid: string, media: string): HTMLElement {
  const holder = el("div", { class: "output-image-box" });
  const img = el("img", {
    src: href,
    alt: `The output ${cid}`,
    class: "output-image",
    onerror: () => holder.replaceChildren(el("p", { class: "bad" }, `These bytes do not decode as ${media || "an image"}.`)),
  });
  holder.append(img);
  return holder;
}

/** Fetches and shows the output under `cid`; `template` (if known) says what kind it is. */
export async function renderOutput(ctx: Ctx, cid: string, template: Template | null): Promise<HTMLElement> {
  const href = gatewayHref(ctx.config.gatewayUrl, cid);
  const box = el("div", { class: "output", "data-testid": "output", "data-cid": cid });
  const declared = template?.output?.type ?? "";
  const media = template?.output?.media_type ?? "";
  if (media.startsWith("image/")) {
    box.append(imageView(href, cid, media));
    return box;
  }
  if (declared === "file" && !media.startsWith("text/")) {
    box.append(el("p", null, el("a", { href, target: "_blank", rel: "noopener" }, `Download the output (${media || "a file"})`)));
    return box;
  }
  const res = await fromGateway(ctx, cid, "the output");
  const type = res.headers.get("content-type") ?? "";
  if (!declared && type.startsWith("image/")) {
    box.append(imageView(href, cid, type));
    return box;
  }
  const text = await res.text();
  if (declared === "json" || (!declared && type.includes("json"))) {
    try {
      box.append(jsonView(JSON.parse(text)));
      return box;
    } catch {
      // Not JSON after all: show the text.
    }
  }
  box.append(el("pre", null, clip(text)));
  return box;
}
