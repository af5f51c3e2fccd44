// A solver's page (#/solver/<address>): its stake from the chain
// (`validators`, `solverStake`), the indexer's figures and its recent events.

import type { Address } from "viem";
import type { Ctx } from "../context";
import { el } from "../format";
import { readSolverStake, readValidator } from "./chain";
import { eventCells } from "./events";
import { Lifetime, type Cleanup } from "./life";
import { indexerPages } from "./lists";
import type { IndexedEvent, SolverSummary } from "../indexer-types";
import { dml, facts, field, markLoaded, note, pageRoot, pager, parseAddress, section, when } from "./ui";

const SOLVER_POLL_MS = 5000;

/** Renders solver `addressText` into `container`; the Cleanup stops its refresh. */
export async function solverPage(container: HTMLElement, ctx: Ctx, addressText: string): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "solver", "Solver");
  let address: Address;
  try {
    address = parseAddress(addressText);
  } catch (err) {
    ctx.showError(err);
    return () => life.stop();
  }
  root.querySelector("h1")?.append(" ", el("span", { class: "mono id" }, address));
  root.append(el("p", null, el("a", { href: `#/address/${address}` }, "Balance, votes and full history of this address")));
  const factsSlot = el("div", { class: "facts-slot" }, note("Reading the chain…"));
  const events = pager<IndexedEvent>({
    headers: ["When", "Event", "What", "Block", "Transaction"],
    empty: "No events name this address yet.",
    fetchPage: indexerPages<IndexedEvent>(ctx, `/api/v1/addresses/${address.toLowerCase()}/events`),
    renderRow: (e) => eventCells(ctx, e),
    onError: (err) => ctx.showError(err),
  });
  root.append(section("Figures", factsSlot), section("Recent events", events.element));

  const show = async () => {
    const [validator, stake, summary] = await Promise.all([
      readValidator(ctx, address),
      readSolverStake(ctx, address).catch(() => null),
      ctx.api<SolverSummary>(`/api/v1/solvers/${address.toLowerCase()}`),
    ]);
    if (life.stopped) return;
    factsSlot.replaceChildren(
      facts([
        ["Staked", field("staked", validator.staked.toString(), dml(validator.staked), " (chain: validators.staked)")],
        ["Staked since", validator.since > 0n ? field("since", validator.since.toString(), when(validator.since)) : null],
        [
          "Delegated to it",
          field("delegated", summary.delegated, dml(summary.delegated), stake ? [" (pool on chain: ", dml(stake.delegated), "; counted toward eligibility: ", dml(stake.counted), ")"] : null),
        ],
        ["Deposited", field("deposited", summary.deposited, dml(summary.deposited), " (deposits less withdrawals, from events)")],
        ["Tasks solved", field("tasksSolved", String(summary.tasksSolved), String(summary.tasksSolved))],
        ["Claimed", field("claimed", String(summary.claimed), String(summary.claimed))],
        ["Contestations won", field("contestationsWon", String(summary.contestationsWon), String(summary.contestationsWon), " raised by it that won")],
        ["Contestations lost", field("contestationsLost", String(summary.contestationsLost), String(summary.contestationsLost), " raised by it that lost")],
        ["Slashes", field("slashes", String(summary.slashes), String(summary.slashes), " of its solutions overturned")],
        ["Rewards", field("rewards", summary.rewards, dml(summary.rewards), " minted to it")],
        ["Fees claimed", field("feesClaimed", summary.feesClaimed, dml(summary.feesClaimed), " (task fees before the network's share)")],
      ]),
    );
  };
  try {
    await Promise.all([show(), events.start()]);
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  life.poll(SOLVER_POLL_MS, show, (err) => ctx.showError(err));
  return () => life.stop();
}
