// Showing a task's output by its template's output type: text in <pre>, an
// image as <img>, an embedding as a small chart, other JSON as text.

import { el, svgEl } from "./format";
import type { ModelTemplate } from "./template";

/** What render returns: the element, and the cleanup that frees an image's object URL. */
export interface RenderedOutput {
  node: HTMLElement;
  dispose(): void;
}

/** The numbers of an embedding: a JSON array of numbers, or an object holding one (MiniLM: {"embedding":[…]}). */
export function embeddingOf(value: unknown): number[] | null {
  const isVector = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number");
  if (isVector(value)) return value;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const vectors = Object.values(value).filter(isVector);
    if (vectors.length === 1) return vectors[0];
  }
  return null;
}

/** An SVG bar chart of an embedding's components around zero (`svg[data-chart="embedding"]`). */
export function embeddingChart(values: number[]): SVGSVGElement {
  const width = 768;
  const height = 160;
  const mid = height / 2;
  const peak = Math.max(...values.map(Math.abs), 1e-12);
  const barWidth = width / values.length;
  const bars = values.map((v, i) => {
    const h = (Math.abs(v) / peak) * (mid - 4);
    return svgEl("rect", {
      x: (i * barWidth).toFixed(2),
      y: (v >= 0 ? mid - h : mid).toFixed(2),
      width: Math.max(barWidth - 0.3, 0.5).toFixed(2),
      height: Math.max(h, 0.5).toFixed(2),
      class: v >= 0 ? "bar-pos" : "bar-neg",
    });
  });
  return svgEl(
    "svg",
    {
      "data-chart": "embedding",
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: "none",
      role: "img",
      "aria-label": `Embedding of ${values.length} numbers`,
      class: "chart",
    },
    svgEl("line", { x1: 0, y1: mid, x2: width, y2: mid, class: "axis" }),
    ...bars,
  );
}

function embeddingView(values: number[]): HTMLElement {
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  const preview = values.slice(0, 6).map((v) => v.toFixed(4)).join(", ");
  return el(
    "div",
    { class: "embedding" },
    embeddingChart(values),
    el("p", { class: "muted" }, `${values.length} numbers, length ${norm.toFixed(4)}: [${preview}${values.length > 6 ? ", …" : ""}]`),
  );
}

/** Renders output `bytes` as `template.output` describes them. */
export function renderOutput(template: ModelTemplate, bytes: Uint8Array): RenderedOutput {
  const kind = template.output.type;
  const media = template.output.media_type || "application/octet-stream";
  if (kind === "text") {
    return { node: el("pre", { class: "output-text" }, new TextDecoder().decode(bytes)), dispose() {} };
  }
  if (kind === "json" || media.startsWith("application/json")) {
    const text = new TextDecoder().decode(bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { node: el("pre", { class: "output-text" }, text), dispose() {} };
    }
    const vector = embeddingOf(parsed);
    if (vector) return { node: embeddingView(vector), dispose() {} };
    return { node: el("pre", { class: "output-text" }, JSON.stringify(parsed, null, 2)), dispose() {} };
  }
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: media }));
  if (media.startsWith("image/")) {
    const img = el("img", { src: url, alt: `Output of ${template.name}`, class: "output-image" });
    return { node: el("div", null, img), dispose: () => URL.revokeObjectURL(url) };
  }
  const link = el("a", { href: url, download: "output" }, `Download the output (${bytes.length} bytes, ${media})`);
  return { node: el("p", null, link), dispose: () => URL.revokeObjectURL(url) };
}

/** A file name for the output, for the "run it yourself" command: output.txt, output.png, output.json. */
export function outputFileName(template: ModelTemplate): string {
  const media = template.output.media_type || "";
  if (template.output.type === "text") return "output.txt";
  if (template.output.type === "json") return "output.json";
  const ext = /^image\/(png|jpeg|gif|webp)/.exec(media)?.[1];
  if (ext) return `output.${ext === "jpeg" ? "jpg" : ext}`;
  if (media.startsWith("audio/wav")) return "output.wav";
  return "output.bin";
}
