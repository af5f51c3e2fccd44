// A contestation's page (#/contestation/<taskId>): contester and solver,
// every vote, the tally and the outcome, with a countdown to the end of the
// vote period (`minContestationVotePeriodTime` after the contestation).

import type { Address, Hex } from "viem";
import type { Ctx } from "../context";
import { el, formatCountdown, type Child } from "../format";
import { readContestation, readParam, readSolution, readVoters, type ChainContestation } from "./chain";
import { Lifetime, type Cleanup } from "./life";
import type { ContestationSummary } from "../indexer-types";
import { addressLink, dml, facts, field, isNotIndexed, isZero, markLoaded, note, pageRoot, parseId, section, table, taskLink, when } from "./ui";

const CONTESTATION_POLL_MS = 3000;

interface ContestationState {
  chain: ChainContestation;
  solver: Address;
  voters: { yeas: Address[]; nays: Address[] };
  indexed: ContestationSummary | null;
  votePeriod: bigint;
}

async function loadState(ctx: Ctx, id: Hex): Promise<ContestationState> {
  const [chain, solution, voters, votePeriod, indexed] = await Promise.all([
    readContestation(ctx, id),
    readSolution(ctx, id),
    readVoters(ctx, id),
    readParam(ctx, "minContestationVotePeriodTime"),
    ctx.api<ContestationSummary>(`/api/v1/contestations/${id}`).catch((err) => {
      if (isNotIndexed(err)) return null;
      throw err;
    }),
  ]);
  return { chain, solver: solution.validator, voters, indexed, votePeriod };
}

/** "won", "lost" or "pending", with the sentence that explains it. */
function outcomeOf(s: ContestationState, now: number): { value: "won" | "lost" | "pending"; text: Child } {
  const o = s.indexed?.outcome;
  if (o) {
    return o.contestationWon
      ? { value: "won", text: ["Won: the solution was wrong. Its solver was slashed, the yeas were paid from the slash and the task's owner refunded (", when(o.at), ")."] }
      : { value: "lost", text: ["Lost: the solution stands. The yeas were slashed, the nays paid and the solver paid as in a normal claim (", when(o.at), ")."] };
  }
  const ends = Number(s.chain.blocktime + s.votePeriod);
  if (ends > now) return { value: "pending", text: `Voting: closes in ${formatCountdown(ends - now)}.` };
  return { value: "pending", text: "Voting has closed; the outcome is settled once someone calls contestationVoteFinish." };
}

function votesTable(s: ContestationState): HTMLElement {
  const blocks = new Map((s.indexed?.votes ?? []).map((v) => [v.voter.toLowerCase(), v.block]));
  const contester = s.chain.validator.toLowerCase();
  const solver = s.solver.toLowerCase();
  const row = (voter: Address, yea: boolean): Child[] => {
    const who = voter.toLowerCase();
    const role = who === contester ? "contester (votes yea automatically)" : who === solver ? "accused solver (votes nay automatically)" : "staked solver";
    const block = blocks.get(who);
    return [
      addressLink(voter, "solver"),
      el("span", { class: yea ? "vote-yea" : "vote-nay", "data-vote": yea ? "yea" : "nay", "data-voter": voter }, yea ? "yea" : "nay"),
      role,
      block !== undefined ? String(block) : "—",
    ];
  };
  return table(
    ["Voter", "Vote", "Role", "Block"],
    [...s.voters.yeas.map((v) => row(v, true)), ...s.voters.nays.map((v) => row(v, false))],
    "No votes yet.",
  );
}

function countdownText(ends: bigint, now: number): string {
  return Number(ends) > now ? ` (in ${formatCountdown(Number(ends) - now)})` : " (closed)";
}

function factsOf(id: Hex, s: ContestationState, now: number): HTMLElement {
  const outcome = outcomeOf(s, now);
  const ends = s.chain.blocktime + s.votePeriod;
  return facts([
    ["Task", taskLink(id, id)],
    ["Contester", field("contester", s.chain.validator, addressLink(s.chain.validator, "solver"))],
    ["Solver", field("solver", s.solver, addressLink(s.solver, "solver"))],
    ["Raised", field("raisedAt", s.chain.blocktime.toString(), when(s.chain.blocktime))],
    ["Vote period ends", field("voteEnds", ends.toString(), when(ends), el("span", { class: "countdown muted" }, countdownText(ends, now)))],
    ["Slash per voter", field("slashAmount", s.chain.slashAmount.toString(), dml(s.chain.slashAmount))],
    ["Yeas", field("yeas", String(s.voters.yeas.length), `${s.voters.yeas.length} (the solution is wrong)`)],
    ["Nays", field("nays", String(s.voters.nays.length), `${s.voters.nays.length} (the solution is right)`)],
    ["Outcome", field("outcome", outcome.value, el("span", { class: "outcome-text" }, outcome.text))],
  ]);
}

/** Renders the contestation of task `taskIdText` into `container`; the Cleanup stops the countdown and polling. */
export async function contestationPage(container: HTMLElement, ctx: Ctx, taskIdText: string): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "contestation", "Contestation");
  let id: Hex;
  try {
    id = parseId(taskIdText, "task");
  } catch (err) {
    ctx.showError(err);
    return () => life.stop();
  }
  root.querySelector("h1")?.append(" of task ", taskLink(id));
  let state: ContestationState;
  try {
    state = await loadState(ctx, id);
  } catch (err) {
    ctx.showError(err);
    return () => life.stop();
  }
  if (isZero(state.chain.validator)) {
    ctx.showError(new Error(`No contestation of task ${id} on this chain.`));
    root.append(note(`No contestation of task ${id} on this chain.`));
    return () => life.stop();
  }
  const factsSlot = el("div", { class: "facts-slot" });
  const votesSlot = el("div", { class: "votes-slot" });
  const show = () => {
    const now = Math.floor(Date.now() / 1000);
    factsSlot.replaceChildren(factsOf(id, state, now));
    votesSlot.replaceChildren(votesTable(state));
  };
  root.append(
    section("Overview", factsSlot),
    section("Votes", votesSlot),
    note("Yeas win on a majority: the solver is slashed and the task's owner refunded. Ties and nays win: the yeas are slashed and the solver paid."),
  );
  show();
  markLoaded(root);
  life.every(1000, () => {
    const now = Math.floor(Date.now() / 1000);
    factsSlot.querySelector(".countdown")?.replaceChildren(countdownText(state.chain.blocktime + state.votePeriod, now));
    factsSlot.querySelector(".outcome-text")?.replaceChildren(el("span", null, outcomeOf(state, now).text));
  });
  life.poll(
    CONTESTATION_POLL_MS,
    async () => {
      state = await loadState(ctx, id);
      if (!life.stopped) show();
      return !state.indexed?.outcome;
    },
    (err) => ctx.showError(err),
  );
  return () => life.stop();
}
