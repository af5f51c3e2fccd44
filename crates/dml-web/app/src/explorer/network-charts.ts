// The data behind the explorer's charts: emitted supply against the
// engine's target curve, tasks over time, and stake per solver.

import { getAddress } from "viem";
import type { Ctx } from "../context";
import { formatDml, shortHex } from "../format";
import { readStartTime, readTarget, readValidator } from "./chain";
import { barChart, compactNumber, lineChart, timeLabel, weiToFloat } from "./charts";
import type { EmissionPoint, Page, SolverSummary, TaskSummary } from "../indexer-types";

/** How many points of the target curve are read from the engine. */
const TARGET_POINTS = 24;
/** Most emission points drawn (the rest are thinned out evenly). */
const MAX_DRAWN = 400;

/** A solver and its stake as the chain holds it now. */
export interface SolverStake {
  address: string;
  staked: bigint;
}

/** Every solver the indexer knows, with `validators(addr).staked` read from the chain, largest first. */
export async function solverStakes(ctx: Ctx): Promise<SolverStake[]> {
  const solvers = await ctx.api<SolverSummary[]>("/api/v1/solvers");
  const stakes = await Promise.all(
    solvers.map(async (s) => ({ address: getAddress(s.address), staked: (await readValidator(ctx, getAddress(s.address))).staked })),
  );
  return stakes.sort((a, b) => (a.staked === b.staked ? 0 : a.staked > b.staked ? -1 : 1));
}

function thin<T>(items: T[], most: number): T[] {
  if (items.length <= most) return items;
  const step = items.length / most;
  const out: T[] = [];
  for (let i = 0; i < most; i++) out.push(items[Math.floor(i * step)]);
  out.push(items[items.length - 1]);
  return out;
}

/**
 * Emitted supply over time (`/api/v1/emission`) against the target curve
 * (`targetTs(t)`, t = seconds since `startBlockTime()`) over the same span.
 * A log scale is used when the two differ by orders of magnitude.
 */
export async function emissionChart(ctx: Ctx, now: number, firstBlockTime: number | null): Promise<SVGSVGElement> {
  const [points, start] = await Promise.all([ctx.api<EmissionPoint[]>("/api/v1/emission"), readStartTime(ctx)]);
  const from = points.length > 0 ? points[0].at : (firstBlockTime ?? now - 3600);
  const to = Math.max(now, from + 1);
  const emitted = thin(points, MAX_DRAWN).map((p) => ({ x: p.at, y: weiToFloat(BigInt(p.emitted)), wei: BigInt(p.emitted) }));
  if (emitted.length > 0) {
    // Emission is flat from the last reward until now.
    const last = emitted[emitted.length - 1];
    if (last.x < to) emitted.push({ x: to, y: last.y, wei: last.wei });
  }
  const times = Array.from({ length: TARGET_POINTS }, (_, i) => Math.round(from + ((to - from) * i) / (TARGET_POINTS - 1)));
  const targets = await Promise.all(
    times.map(async (x) => {
      const t = BigInt(Math.max(0, x - Number(start)));
      const wei = await readTarget(ctx, t);
      return { x, y: weiToFloat(wei), wei };
    }),
  );
  const maxE = Math.max(0, ...emitted.map((p) => p.y));
  const maxT = Math.max(0, ...targets.map((p) => p.y));
  const logY = maxE > 0 && maxT > 0 && (maxT / maxE > 50 || maxE / maxT > 50);
  const describe = (series: { x: number; y: number; wei: bigint }[]) => (p: { x: number; y: number }) => {
    const hit = series.find((s) => s.x === p.x && s.y === p.y);
    return hit ? formatDml(hit.wei) : `${compactNumber(p.y)} DML`;
  };
  return lineChart({
    chart: "emission",
    title: "Emitted supply against the target curve",
    yLabel: logY ? "DML (log scale)" : "DML",
    logY,
    yFormat: compactNumber,
    unit: "DML",
    empty: "Nothing emitted yet.",
    series: [
      { label: "target (targetTs)", color: "#9a6bd8", dashed: true, points: targets, describe: describe(targets) },
      { label: "emitted", color: "#2a9d8f", points: emitted, describe: describe(emitted), emptyLegend: "nothing yet" },
    ],
  });
}

const BUCKETS = [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 86400, 604800, 2592000];

/** Tasks submitted per time bucket, from the newest page of `/api/v1/tasks` (up to 500 tasks). */
export async function tasksChart(ctx: Ctx, now: number): Promise<SVGSVGElement> {
  const page = await ctx.api<Page<TaskSummary>>("/api/v1/tasks?limit=500");
  const times = page.items.map((t) => t.submittedAt).filter((t) => t > 0);
  const title = page.next ? `Tasks over time (newest ${times.length})` : "Tasks over time";
  if (times.length === 0) {
    return barChart({ chart: "tasks", title, yLabel: "tasks", xLabel: "time", bars: [], color: "#e76f51", yFormat: compactNumber, empty: "No tasks yet." });
  }
  const first = Math.min(...times);
  const end = Math.max(now, ...times);
  const size = BUCKETS.find((b) => (end - first) / b <= 30) ?? BUCKETS[BUCKETS.length - 1];
  const start = Math.floor(first / size) * size;
  const count = Math.floor((end - start) / size) + 1;
  const counts = new Array<number>(count).fill(0);
  for (const t of times) counts[Math.floor((t - start) / size)]++;
  const span = count * size;
  const bars = counts.map((n, i) => {
    const at = start + i * size;
    return { label: timeLabel(at, span), value: n, title: `${n} task${n === 1 ? "" : "s"} from ${new Date(at * 1000).toLocaleString()}` };
  });
  return barChart({
    chart: "tasks",
    title,
    yLabel: "tasks",
    xLabel: `time (one bar per ${bucketName(size)})`,
    bars,
    color: "#e76f51",
    yFormat: compactNumber,
    valueLabels: bars.length <= 30,
  });
}

function bucketName(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  if (seconds < 86400) return `${seconds / 3600} h`;
  return `${seconds / 86400} d`;
}

/** Stake per solver as bars (stake read from the chain), each linking to its solver page. */
export function stakeChart(stakes: SolverStake[]): SVGSVGElement {
  return barChart({
    chart: "stake",
    title: "Stake per solver",
    yLabel: "DML staked",
    xLabel: "solver",
    color: "#3a86a8",
    yFormat: compactNumber,
    valueLabels: stakes.length <= 16,
    empty: "No solver has staked yet.",
    bars: stakes.map((s) => ({ label: shortHex(s.address), value: weiToFloat(s.staked), title: formatDml(s.staked), href: `#/solver/${s.address}` })),
  });
}
