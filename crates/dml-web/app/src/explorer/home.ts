// The explorer's home (#/explorer): search, network figures, the live
// event feed and the charts.

import type { Ctx } from "../context";
import { el, formatDml, type Child } from "../format";
import { readParam } from "./chain";
import { liveFeed } from "./feed";
import { Lifetime, type Cleanup } from "./life";
import { emissionChart, solverStakes, stakeChart, tasksChart, type SolverStake } from "./network-charts";
import { searchBox } from "./search";
import type { NetworkStats } from "../indexer-types";
import { markLoaded, pageRoot, roundedDml, section } from "./ui";

const STATS_POLL_MS = 5000;
const CHARTS_POLL_MS = 30000;

/** One figure: a label, a big value with its raw form in data-value, and a line of detail. */
function stat(name: string, label: string, raw: string, value: Child, detail?: Child, exact?: string): HTMLElement {
  return el(
    "div",
    { class: "stat", "data-stat": name, title: exact ?? null },
    el("div", { class: "stat-label" }, label),
    el("div", { class: "stat-value", "data-value": raw }, value),
    detail ? el("div", { class: "stat-detail muted" }, detail) : null,
  );
}

function totalOf(stakes: SolverStake[]): bigint {
  return stakes.reduce((sum, s) => sum + s.staked, 0n);
}

/** The network figures from `/api/v1/stats`, with the current reward and stake from the chain. */
function statsGrid(stats: NetworkStats, reward: bigint | null, stakes: SolverStake[] | null): HTMLElement {
  const staked = stakes ? totalOf(stakes) : BigInt(stats.totalDeposited);
  return el(
    "div",
    { class: "stats", "data-testid": "stats" },
    stat("height", "Block height", String(stats.height), stats.height.toLocaleString(), `indexed up to here`),
    stat("tasks", "Tasks", String(stats.tasks), stats.tasks.toLocaleString(), `${stats.solutions} solved · ${stats.claims} claimed · ${stats.contestations} contested`),
    stat("tasksPerMinute", "Tasks per minute", String(stats.tasksPerMinute), stats.tasksPerMinute.toFixed(1), `${stats.tasksLast10Minutes} in the last 10 min`),
    stat(
      "rewardPerTask",
      "Reward per task",
      stats.rewardPerTask,
      roundedDml(BigInt(stats.rewardPerTask)),
      reward !== null ? `average minted; ${roundedDml(reward)} for the next at the full rate` : "average minted per rewarded task",
      formatDml(stats.rewardPerTask),
    ),
    stat(
      "staked",
      "Total staked",
      staked.toString(),
      roundedDml(staked),
      stakes ? `by ${stakes.filter((s) => s.staked > 0n).length} solvers (chain)` : "deposited less withdrawn (index)",
      formatDml(staked),
    ),
    stat(
      "emitted",
      "Emitted supply",
      stats.emitted,
      roundedDml(BigInt(stats.emitted)),
      `${roundedDml(BigInt(stats.emittedToSolvers), 2)} to solvers · ${roundedDml(BigInt(stats.emittedToTreasury), 2)} treasury · ${roundedDml(BigInt(stats.emittedToLiquidity), 2)} liquidity`,
      formatDml(stats.emitted),
    ),
  );
}

/** Renders the explorer's home into `container`; the Cleanup stops the feed and the refreshes. */
export async function explorerHome(container: HTMLElement, ctx: Ctx): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "explorer", "Explorer", `Everything the ${ctx.config.chainName} engine has seen: tasks, models, solvers and their stakes.`);
  const statsSlot = el("div", { class: "stats-slot" }, el("p", { class: "muted" }, "Loading figures…"));
  const chartsSlot = el("div", { class: "charts" });
  const feed = liveFeed(ctx, life);
  root.append(
    searchBox(ctx),
    statsSlot,
    el("div", { class: "home-grid" }, section("Live events", feed.element), section("Charts", chartsSlot)),
  );

  let stakes: SolverStake[] | null = null;
  const showStats = async () => {
    const [stats, reward] = await Promise.all([ctx.api<NetworkStats>("/api/v1/stats"), readParam(ctx, "getReward").catch(() => null)]);
    if (!life.stopped) statsSlot.replaceChildren(statsGrid(stats, reward, stakes));
    return stats;
  };
  const showCharts = async (stats: NetworkStats) => {
    const now = stats.latestTimestamp || Math.floor(Date.now() / 1000);
    const fresh = await solverStakes(ctx).catch((err) => {
      ctx.showError(err);
      return null;
    });
    if (fresh) stakes = fresh;
    const charts = await Promise.all([
      emissionChart(ctx, now, stats.firstTimestamp).catch((err) => chartError(ctx, err)),
      tasksChart(ctx, now).catch((err) => chartError(ctx, err)),
      Promise.resolve(stakeChart(stakes ?? [])),
    ]);
    if (!life.stopped) chartsSlot.replaceChildren(...charts.map((c) => el("figure", { class: "chart-box" }, c)));
  };

  try {
    const stats = await showStats();
    await Promise.all([showCharts(stats), feed.ready.catch((err) => ctx.showError(err))]);
    // Again, now that the chain's stakes give the exact total staked.
    await showStats().catch(() => undefined);
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  life.poll(STATS_POLL_MS, async () => void (await showStats()), (err) => ctx.showError(err));
  life.poll(CHARTS_POLL_MS, async () => showCharts(await ctx.api<NetworkStats>("/api/v1/stats")), (err) => ctx.showError(err));
  return () => life.stop();
}

function chartError(ctx: Ctx, err: unknown): HTMLElement {
  ctx.showError(err);
  return el("p", { class: "muted" }, "This chart could not be drawn.");
}
