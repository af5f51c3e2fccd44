// The lists: all tasks (#/tasks), models (#/models) and solvers (#/solvers),
// newest first, paged with the indexer's cursor (`limit`, `before`) and an
// "Older" button; each row links to its page.

import { formatUnits, getAddress, type Address, type Hex } from "viem";
import type { Ctx } from "../context";
import { el, formatSpan, shortHex, type Child } from "../format";
import { readModel, readValidator } from "./chain";
import { Lifetime, type Cleanup } from "./life";
import { modelLink, templateOfModel } from "./templates";
import type { ModelSummary, Page, SolverSummary, TaskSummary } from "../indexer-types";
import { addressLink, dml, markLoaded, note, pageRoot, pager, statusBadge, taskLink, when } from "./ui";

/** Rows per page. */
export const PAGE_SIZE = 25;

/**
 * A page fetcher for an indexer list. Routes that page (`{items, next}`) are
 * asked with `limit` and `before`; routes that answer the whole list as an
 * array are paged here, so every list reads the same.
 */
export function indexerPages<T>(ctx: Ctx, path: string, size = PAGE_SIZE): (before: string | null) => Promise<{ items: T[]; next: string | null }> {
  let whole: T[] | null = null;
  const slice = (from: number) => {
    const items = (whole ?? []).slice(from, from + size);
    const next = from + size < (whole ?? []).length ? String(from + size) : null;
    return { items, next };
  };
  return async (before) => {
    if (whole) return slice(Number(before ?? 0));
    const sep = path.includes("?") ? "&" : "?";
    const answer = await ctx.api<Page<T> | T[]>(`${path}${sep}limit=${size}${before ? `&before=${encodeURIComponent(before)}` : ""}`);
    if (Array.isArray(answer)) {
      whole = answer;
      return slice(0);
    }
    return { items: answer.items, next: answer.next ?? null };
  };
}

/** The cells of a task row: id, model, status, fee, owner, solver, submitted, solve time. */
export function taskCells(ctx: Ctx, t: TaskSummary, withModel = true): Child[] {
  const cells: Child[] = [taskLink(t.id)];
  if (withModel) cells.push(modelLink(ctx, t.model));
  cells.push(
    statusBadge(t.status),
    t.fee !== null ? dml(t.fee, true) : "—",
    addressLink(t.owner),
    addressLink(t.solver, "solver"),
    when(t.submittedAt),
    t.solveSeconds !== null ? formatSpan(t.solveSeconds) : "—",
  );
  return cells;
}

/** The headers matching taskCells. */
export function taskHeaders(withModel = true): string[] {
  return ["Task", ...(withModel ? ["Model"] : []), "Status", "Fee", "Owner", "Solver", "Submitted", "Solved in"];
}

/** #/tasks: every task, newest first. */
export async function tasksPage(container: HTMLElement, ctx: Ctx): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "tasks", "Tasks", "Every task submitted to the engine, newest first.");
  const list = pager<TaskSummary>({
    headers: taskHeaders(),
    empty: "No tasks yet.",
    fetchPage: indexerPages<TaskSummary>(ctx, "/api/v1/tasks"),
    renderRow: (t) => taskCells(ctx, t),
    onError: (err) => ctx.showError(err),
  });
  root.append(list.element);
  try {
    await list.start();
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  return () => life.stop();
}

/** #/models: every registered model with its name, fee, reward rate and usage. */
export async function modelsPage(container: HTMLElement, ctx: Ctx): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "models", "Models", "Every model registered on the engine, newest first.");
  const list = pager<ModelSummary>({
    headers: ["Model", "Id", "Fee", "Reward rate", "Output", "Tasks", "Solved", "Median solve time", "Fees paid"],
    empty: "No models registered yet.",
    fetchPage: indexerPages<ModelSummary>(ctx, "/api/v1/models"),
    renderRow: (m) => {
      const fee = el("span", { class: "muted" }, "…");
      const rate = el("span", { class: "muted" }, "…");
      const output = el("span", { class: "muted" }, "…");
      readModel(ctx, m.id as Hex)
        .then((chain) => {
          fee.replaceChildren(dml(chain.fee, true));
          fee.className = "";
          rate.replaceChildren(rateText(chain.rate));
          rate.className = "";
        })
        .catch(() => {
          fee.textContent = "?";
          rate.textContent = "?";
        });
      templateOfModel(ctx, m.id).then((t) => {
        output.textContent = t?.output?.type ? `${t.output.type}${t.output.media_type ? ` (${t.output.media_type.split(";")[0]})` : ""}` : "?";
        output.className = "";
      });
      return [
        modelLink(ctx, m.id),
        el("a", { href: `#/model/${m.id}`, class: "mono", title: m.id }, shortHex(m.id)),
        fee,
        rate,
        output,
        String(m.tasks),
        String(m.solved),
        m.medianSolveSeconds !== null ? formatSpan(m.medianSolveSeconds) : "—",
        dml(m.fees, true),
      ];
    },
    onError: (err) => ctx.showError(err),
  });
  root.append(list.element);
  try {
    await list.start();
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  return () => life.stop();
}

/** A reward rate (1e18 = the full reward) as an exact percentage: 1e18 → "100 %". */
export function rateText(rate: bigint): string {
  return `${formatUnits(rate, 16)} %`;
}

/** #/solvers: every address that staked or solved, most solutions first. */
export async function solversPage(container: HTMLElement, ctx: Ctx): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "solvers", "Solvers", "Every address that staked or solved, most solutions first. Stake is read from the chain.");
  const list = pager<SolverSummary>({
    headers: ["Solver", "Staked", "Delegated to it", "Solved", "Claimed", "Contests won", "Contests lost", "Slashes", "Rewards", "Fees claimed"],
    empty: "No solvers yet.",
    fetchPage: indexerPages<SolverSummary>(ctx, "/api/v1/solvers"),
    renderRow: (s) => {
      const staked = el("span", { class: "muted" }, "…");
      const address: Address = getAddress(s.address);
      readValidator(ctx, address)
        .then((v) => staked.replaceChildren(dml(v.staked, true)))
        .catch(() => staked.replaceChildren(dml(s.deposited, true), " (deposited)"))
        .finally(() => (staked.className = ""));
      return [
        addressLink(address, "solver"),
        staked,
        dml(s.delegated, true),
        String(s.tasksSolved),
        String(s.claimed),
        String(s.contestationsWon),
        String(s.contestationsLost),
        String(s.slashes),
        dml(s.rewards, true),
        dml(s.feesClaimed, true),
      ];
    },
    onError: (err) => ctx.showError(err),
  });
  root.append(list.element, note("Contests won and lost count the contestations this address raised; slashes count its solutions that lost one."));
  try {
    await list.start();
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  return () => life.stop();
}
