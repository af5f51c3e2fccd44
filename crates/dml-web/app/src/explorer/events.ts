// Events in words: one sentence per indexed event, with links to the task,
// model and addresses it names. Used by the live feed, a task's timeline and
// an address's history.

import type { Ctx } from "../context";
import { el, type Child } from "../format";
import { modelLink } from "./templates";
import type { IndexedEvent } from "../indexer-types";
import { party } from "./names";
import { contestationLink, dml, isZero, taskLink, txHash, when } from "./ui";

function fieldText(e: IndexedEvent, name: string): string {
  const v = e.fields[name];
  return v === undefined || v === null ? "" : String(v);
}

function amountOf(e: IndexedEvent): Child {
  return e.amount !== null ? dml(e.amount, true) : null;
}

const GOVERN_SUPPORT = ["against", "for", "abstaining"];

/** The sentence describing `e`, its ids and addresses as links. */
export function eventSentence(ctx: Ctx, e: IndexedEvent): Child[] {
  const who = party(ctx, e.account);
  const other = (kind: "address" | "solver" = "address") => party(ctx, e.other, kind);
  const task = e.task ? taskLink(e.task) : null;
  switch (e.name) {
    case "TaskSubmitted":
      return [who, " submitted task ", task, " for ", modelLink(ctx, e.model), " with a fee of ", amountOf(e)];
    case "SignalCommitment":
      return [party(ctx, e.account, "solver"), " committed to a solution"];
    case "SolutionSubmitted":
      return [party(ctx, e.account, "solver"), " revealed a solution to task ", task];
    case "SolutionClaimed":
      return [party(ctx, e.account, "solver"), " claimed task ", task];
    case "RewardsMinted":
      return ["Task ", task, " minted ", amountOf(e)];
    case "TaskRetracted":
      return ["Task ", task, " was retracted by its owner"];
    case "ContestationSubmitted":
      return [party(ctx, e.account, "solver"), " contested the solution of task ", task, " (", contestationLink(e.task ?? ""), ")"];
    case "ContestationVote":
      return [party(ctx, e.account, "solver"), ` voted ${e.fields.yea ? "yea" : "nay"} on the `, contestationLink(e.task ?? ""), " of task ", task];
    case "ContestationVoteFinish":
      return ["Votes ", fieldText(e, "start_idx"), "–", fieldText(e, "end_idx"), " of the ", contestationLink(e.task ?? ""), " of task ", task, " were settled"];
    case "ContestationResolved":
      return [
        "The ",
        contestationLink(e.task ?? ""),
        " of task ",
        task,
        e.fields.contestationWon ? " won: the solution was wrong" : " lost: the solution stands",
        ` (${fieldText(e, "yeas")} yea, ${fieldText(e, "nays")} nay)`,
      ];
    case "ModelRegistered":
      return ["Model ", modelLink(ctx, e.model), " was registered"];
    case "SignalSupport":
      return [party(ctx, e.account, "solver"), e.fields.supported ? " serves " : " stopped serving ", modelLink(ctx, e.model)];
    case "ValidatorDeposit":
      return isZero(e.other) || e.other === e.account
        ? [party(ctx, e.account, "solver"), " staked ", amountOf(e)]
        : [who, " staked ", amountOf(e), " for ", other("solver")];
    case "ValidatorWithdrawInitiated":
      return [party(ctx, e.account, "solver"), " asked to withdraw ", amountOf(e), " of stake"];
    case "ValidatorWithdrawCancelled":
      return [party(ctx, e.account, "solver"), " cancelled a stake withdrawal"];
    case "ValidatorWithdraw":
      return [party(ctx, e.account, "solver"), " withdrew ", amountOf(e), " of stake to ", other()];
    case "StakeDelegated":
      return [who, " delegated ", amountOf(e), " to ", other("solver")];
    case "StakeUndelegated":
      return [who, " undelegated ", amountOf(e), " from ", other("solver")];
    case "DelegationWithdrawn":
      return [who, " withdrew ", amountOf(e), " of delegated stake from ", other("solver")];
    case "DelegationRewards":
      return ["Delegators of ", party(ctx, e.account, "solver"), " earned ", amountOf(e), " from task ", task];
    case "DelegationSlashed":
      return ["The pool of ", party(ctx, e.account, "solver"), " lost ", amountOf(e), " to a slash on task ", task];
    case "Transfer":
      if (isZero(e.account)) return [amountOf(e), " minted to ", other()];
      if (isZero(e.other)) return [who, " burned ", amountOf(e)];
      return [who, " sent ", amountOf(e), " to ", other()];
    case "Approval":
      return [who, " approved ", other(), " to spend ", amountOf(e)];
    case "DelegateChanged":
      return [who, " delegated votes to ", other()];
    case "DelegateVotesChanged":
      return [who, " now has ", amountOf(e), " of votes"];
    case "ProposalCreated":
      return [who, " proposed ", el("a", { href: "#/govern" }, `proposal ${shortDecimal(e.proposal)}`)];
    case "ProposalQueued":
    case "ProposalExecuted":
    case "ProposalCanceled":
      return [el("a", { href: "#/govern" }, `Proposal ${shortDecimal(e.proposal)}`), ` was ${e.name.slice(8).toLowerCase()}`];
    case "VoteCast":
    case "VoteCastWithParams":
      return [who, ` voted ${GOVERN_SUPPORT[Number(e.fields.support)] ?? "?"} `, el("a", { href: "#/govern" }, `proposal ${shortDecimal(e.proposal)}`), " with ", amountOf(e)];
    default: {
      const parts: Child[] = [e.name];
      if (e.task) parts.push(" · task ", taskLink(e.task));
      if (e.model) parts.push(" · model ", modelLink(ctx, e.model));
      if (e.account) parts.push(" · ", who);
      if (e.amount) parts.push(" · ", amountOf(e));
      return parts;
    }
  }
}

function shortDecimal(id: string | null): string {
  if (!id) return "?";
  return id.length > 12 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}

/** A unique key of an event (its position in the chain). */
export function eventKey(e: IndexedEvent): string {
  return `${e.blockNumber}:${e.logIndex}`;
}

/** A list item for the live feed or a history: time, event name, sentence, block and transaction. */
export function eventItem(ctx: Ctx, e: IndexedEvent): HTMLLIElement {
  return el(
    "li",
    { class: `event event-${e.name}`, "data-event": e.name, "data-key": eventKey(e) },
    el("span", { class: "event-time" }, when(e.timestamp)),
    el("span", { class: "event-name" }, e.name),
    el("span", { class: "event-text" }, eventSentence(ctx, e)),
    el("span", { class: "event-where muted" }, `block ${e.blockNumber} · `, txHash(e.txHash)),
  );
}

/** The cells of an event as a table row: time, event, sentence, block, transaction. */
export function eventCells(ctx: Ctx, e: IndexedEvent): Child[] {
  return [when(e.timestamp), el("span", { class: "event-name" }, e.name), el("span", null, eventSentence(ctx, e)), String(e.blockNumber), txHash(e.txHash)];
}
