// Charts drawn by hand as inline SVG: a line chart (time on x) and a bar
// chart, each with a title, labelled axes, gridlines and readable values.
// Numbers here are pixel positions and axis labels only; amounts stay exact
// bigints everywhere else and are turned into floats just for drawing.

import { svgEl, type Child } from "../format";

const W = 640;
const H = 300;
const M = { left: 72, right: 24, top: 56, bottom: 48 };
/** Where the legend row sits: between the title and the plot. */
const LEGEND_Y = 40;
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

/** One line of a line chart. */
export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  /** Text for a point's tooltip (an exact value); defaults to the formatted y value. */
  describe?: (p: { x: number; y: number }) => string;
  /** What the legend says when the series has no points. */
  emptyLegend?: string;
}

/** Options of a line chart whose x axis is unix time in seconds. */
export interface LineChartOptions {
  /** Goes into `data-chart`. */
  chart: string;
  title: string;
  yLabel: string;
  series: Series[];
  yFormat: (y: number) => string;
  /** Unit after a value in the legend ("DML"). */
  unit?: string;
  /** Use a logarithmic y axis (values ≤ 0 are not drawn). */
  logY?: boolean;
  empty?: string;
}

/** One bar of a bar chart. */
export interface Bar {
  label: string;
  value: number;
  /** Tooltip text (the exact value). */
  title: string;
  href?: string;
}

/** Options of a bar chart. */
export interface BarChartOptions {
  chart: string;
  title: string;
  yLabel: string;
  xLabel: string;
  bars: Bar[];
  color: string;
  yFormat: (y: number) => string;
  empty?: string;
  /** Draw a value label above each bar (for a handful of bars). */
  valueLabels?: boolean;
}

/** A number in few characters: 0.00012, 3.5, 1.2k, 55.1k, 3.4M. */
export function compactNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 1) return trim(v);
  return Number(v.toPrecision(2)).toString();
}

function trim(v: number): string {
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** Evenly spaced round values from at or below `lo` to at or above `hi`: steps of 1, 2 or 5 × 10^k. */
function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 7776000, 31536000];

/** Round unix times covering [lo, hi], about `count` of them. */
function timeTicks(lo: number, hi: number, count = 5): number[] {
  const span = Math.max(1, hi - lo);
  const step = TIME_STEPS.find((s) => span / s <= count) ?? 31536000;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  return ticks;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** A time label that fits the span shown: "14:05:30", "14:05", "Mar 3", "2025". */
export function timeLabel(t: number, span: number): string {
  const d = new Date(t * 1000);
  if (span < 600) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  if (span < 2 * 86400) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (span < 400 * 86400) return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return String(d.getFullYear());
}

function text(x: number, y: number, content: string, attrs: Record<string, string | number> = {}): SVGTextElement {
  return svgEl("text", { x, y, fill: "currentColor", "font-size": 12, ...attrs }, content);
}

function frame(chart: string, title: string, ...children: Child[]): SVGSVGElement {
  return svgEl(
    "svg",
    {
      "data-chart": chart,
      viewBox: `0 0 ${W} ${H}`,
      role: "img",
      "aria-label": title,
      class: "chart",
      preserveAspectRatio: "xMidYMid meet",
    },
    svgEl("title", null, title),
    text(M.left, 22, title, { "font-size": 15, "font-weight": "bold" }),
    ...children,
  );
}

function emptyNote(message: string): SVGTextElement {
  return text(M.left + PLOT_W / 2, M.top + PLOT_H / 2, message, { "text-anchor": "middle", opacity: 0.7 });
}

function yAxisLabel(label: string): SVGTextElement {
  return text(14, M.top + PLOT_H / 2, label, { transform: `rotate(-90 14 ${M.top + PLOT_H / 2})`, "text-anchor": "middle" });
}

function gridLine(y: number): SVGLineElement {
  return svgEl("line", { x1: M.left, x2: M.left + PLOT_W, y1: y, y2: y, stroke: "currentColor", "stroke-opacity": 0.15 });
}

function axisLines(): SVGPathElement {
  return svgEl("path", {
    d: `M${M.left} ${M.top} V${M.top + PLOT_H} H${M.left + PLOT_W}`,
    stroke: "currentColor",
    "stroke-opacity": 0.6,
    fill: "none",
  });
}

/** A line chart over time (x = unix seconds), one line per series, with a legend. */
export function lineChart(opts: LineChartOptions): SVGSVGElement {
  const all = opts.series.flatMap((s) => s.points).filter((p) => !opts.logY || p.y > 0);
  if (all.length === 0) {
    return frame(opts.chart, opts.title, axisLines(), yAxisLabel(opts.yLabel), emptyNote(opts.empty ?? "No data yet."));
  }
  const x0 = Math.min(...all.map((p) => p.x));
  let x1 = Math.max(...all.map((p) => p.x));
  if (x1 <= x0) x1 = x0 + 1;
  const ys = all.map((p) => p.y);
  let yTicks: number[];
  let yOf: (y: number) => number;
  if (opts.logY) {
    const lo = Math.floor(Math.log10(Math.min(...ys)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...ys))));
    yTicks = [];
    for (let k = lo; k <= hi; k++) yTicks.push(Math.pow(10, k));
    yOf = (y) => M.top + PLOT_H - ((Math.log10(y) - lo) / (hi - lo)) * PLOT_H;
  } else {
    yTicks = linearTicks(Math.min(0, ...ys), Math.max(...ys));
    const lo = yTicks[0];
    const hi = yTicks[yTicks.length - 1] > lo ? yTicks[yTicks.length - 1] : lo + 1;
    yOf = (y) => M.top + PLOT_H - ((y - lo) / (hi - lo)) * PLOT_H;
  }
  const xOf = (x: number) => M.left + ((x - x0) / (x1 - x0)) * PLOT_W;
  const parts: Child[] = [];
  for (const t of yTicks) {
    parts.push(gridLine(yOf(t)), text(M.left - 6, yOf(t) + 4, opts.yFormat(t), { "text-anchor": "end" }));
  }
  const span = x1 - x0;
  for (const t of timeTicks(x0, x1)) {
    parts.push(
      svgEl("line", { x1: xOf(t), x2: xOf(t), y1: M.top + PLOT_H, y2: M.top + PLOT_H + 4, stroke: "currentColor" }),
      text(xOf(t), M.top + PLOT_H + 18, timeLabel(t, span), { "text-anchor": xOf(t) > W - M.right - 24 ? "end" : "middle" }),
    );
  }
  parts.push(axisLines(), yAxisLabel(opts.yLabel), text(M.left + PLOT_W / 2, H - 8, "time", { "text-anchor": "middle" }));
  let legendX = M.left;
  opts.series.forEach((s) => {
    const pts = s.points.filter((p) => !opts.logY || p.y > 0);
    if (pts.length > 0) {
      const d = pts.map((p, j) => `${j === 0 ? "M" : "L"}${xOf(p.x).toFixed(1)} ${yOf(p.y).toFixed(1)}`).join(" ");
      parts.push(
        svgEl("path", {
          d,
          fill: "none",
          stroke: s.color,
          "stroke-width": 2,
          "stroke-dasharray": s.dashed ? "6 4" : null,
          "data-series": s.label,
        }),
      );
      const marks = pts.length <= 80 ? pts : [pts[pts.length - 1]];
      for (const p of marks) {
        parts.push(
          svgEl(
            "circle",
            { cx: xOf(p.x).toFixed(1), cy: yOf(p.y).toFixed(1), r: 3, fill: s.color },
            svgEl("title", null, `${s.label}: ${s.describe ? s.describe(p) : opts.yFormat(p.y)} at ${new Date(p.x * 1000).toLocaleString()}`),
          ),
        );
      }
    }
    const last = pts[pts.length - 1];
    const now = last ? `${opts.yFormat(last.y)}${opts.unit ? ` ${opts.unit}` : ""}` : (s.emptyLegend ?? "no data");
    const label = `${s.label}: ${now}`;
    parts.push(
      svgEl("line", { x1: legendX, x2: legendX + 20, y1: LEGEND_Y - 4, y2: LEGEND_Y - 4, stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "6 4" : null }),
      text(legendX + 26, LEGEND_Y, label),
    );
    legendX += 26 + label.length * 6.6 + 24;
  });
  return frame(opts.chart, opts.title, ...parts);
}

/** A bar chart: one bar per item, labels under the bars, values on a y axis (and above the bars). */
export function barChart(opts: BarChartOptions): SVGSVGElement {
  if (opts.bars.length === 0) {
    return frame(opts.chart, opts.title, axisLines(), yAxisLabel(opts.yLabel), emptyNote(opts.empty ?? "No data yet."));
  }
  const yTicks = linearTicks(0, Math.max(...opts.bars.map((b) => b.value), 0));
  const top = yTicks[yTicks.length - 1] > 0 ? yTicks[yTicks.length - 1] : 1;
  const yOf = (y: number) => M.top + PLOT_H - (y / top) * PLOT_H;
  const slot = PLOT_W / opts.bars.length;
  const barW = Math.max(2, Math.min(60, slot * 0.7));
  const parts: Child[] = [];
  for (const t of yTicks) parts.push(gridLine(yOf(t)), text(M.left - 6, yOf(t) + 4, opts.yFormat(t), { "text-anchor": "end" }));
  const labelEvery = Math.ceil(opts.bars.length / 12);
  opts.bars.forEach((b, i) => {
    const cx = M.left + slot * i + slot / 2;
    const y = yOf(b.value);
    const rect = svgEl(
      "rect",
      { x: (cx - barW / 2).toFixed(1), y: y.toFixed(1), width: barW.toFixed(1), height: Math.max(0, M.top + PLOT_H - y).toFixed(1), fill: opts.color, "data-value": b.value },
      svgEl("title", null, `${b.label}: ${b.title}`),
    );
    parts.push(b.href ? svgEl("a", { href: b.href }, rect) : rect);
    if (opts.valueLabels && b.value > 0) parts.push(text(cx, y - 4, opts.yFormat(b.value), { "text-anchor": "middle", "font-size": 11 }));
    if (i % labelEvery === 0) parts.push(text(cx, M.top + PLOT_H + 16, b.label, { "text-anchor": "middle", "font-size": 11 }));
  });
  parts.push(axisLines(), yAxisLabel(opts.yLabel), text(M.left + PLOT_W / 2, H - 8, opts.xLabel, { "text-anchor": "middle" }));
  return frame(opts.chart, opts.title, ...parts);
}

/** Wei as a float number of DML, for drawing only (never for amounts shown as text). */
export function weiToFloat(wei: bigint): number {
  const whole = wei / 10n ** 18n;
  const frac = wei % 10n ** 18n;
  return Number(whole) + Number(frac) / 1e18;
}
