// Stake page, contestation part: the unresolved contestations with yea/nay
// buttons, enabled only when the engine's validatorCanVote says 0.

import { type Address, type Hex } from "viem";
import { engineAbi } from "./abi";
import type { Ctx } from "./context";
import { el, shortHex } from "./format";
import type { ContestationSummary, Page } from "./indexer-types";
import { actionButton, card, countdown, KeyedList, type Section } from "./ui";
import { wallet } from "./wallet";

/** Why validatorCanVote refuses, by its return code (crates/dml-engine, exec/contestation.rs). */
export function canVoteReason(code: bigint): string {
  switch (code) {
    case 0n:
      return "You can vote.";
    case 1n:
      return "There is no contestation for this task.";
    case 2n:
      return "Voting has closed.";
    case 3n:
      return "You have voted.";
    case 4n:
      return "Only solvers whose stake has reached the minimum can vote.";
    case 6n:
      return "Your stake reached the minimum after the contestation began, so you cannot vote on it.";
    default:
      return `The engine says you cannot vote (code ${code}).`;
  }
}

interface OpenContestation {
  item: ContestationSummary;
  canVote: bigint | null;
  closesAt: number;
}

/** The open-contestations part of the stake page. */
export function contestationSection(ctx: Ctx, account: Address | null, afterWrite: () => void): Section {
  const engine = ctx.config.contracts.engine;
  const list = new KeyedList<OpenContestation>(
    el("div", { class: "stack" }),
    (key) => {
      const task = key as Hex;
      const tally = el("span");
      const closes = el("span");
      const reason = el("p", { class: "help" });
      const vote = (yea: boolean) =>
        actionButton(yea ? "Yea (the solution is wrong)" : "Nay (the solution is right)", { "data-vote": yea ? "yea" : "nay", class: yea ? "danger" : "" }, async () => {
          wallet.requireAccount();
          await wallet.write({ address: engine, abi: engineAbi, functionName: "voteOnContestation", args: [task, yea] });
          afterWrite();
          return `Voted ${yea ? "yea" : "nay"}.`;
        });
      const yea = vote(true);
      const nay = vote(false);
      const settle = actionButton("Settle", { "data-action": "settle", class: "ghost" }, async () => {
        wallet.requireAccount();
        await wallet.write({ address: engine, abi: engineAbi, functionName: "contestationVoteFinish", args: [task, 1000] });
        afterWrite();
        return "Settled.";
      });
      let shownClose = -1;
      const node = el(
        "article",
        { "data-testid": "open-contestation", "data-task": key, class: "contestation" },
        el("h3", null, "Task ", el("a", { href: `#/contestation/${key}`, class: "mono" }, shortHex(key))),
        el("p", null, tally, " · voting closes ", closes),
        reason,
        el("div", { class: "inline wrap" }, yea.root, nay.root, settle.root),
      );
      return {
        node,
        update({ item, canVote, closesAt }) {
          tally.textContent = `contester ${shortHex(item.contester ?? "")}, solver ${shortHex(item.solver ?? "")}: ${item.yeas} yea, ${item.nays} nay`;
          if (closesAt !== shownClose) {
            shownClose = closesAt;
            closes.replaceChildren(countdown(closesAt, "now"));
          }
          reason.textContent = canVote === null ? "Connect a wallet to vote." : canVoteReason(canVote);
          yea.setEnabled(canVote === 0n);
          nay.setEnabled(canVote === 0n);
          settle.setEnabled(Date.now() / 1000 >= closesAt);
        },
      };
    },
    () => el("p", { class: "muted" }, "No contestation is open."),
  );
  const root = card(
    "Open contestations",
    { "data-testid": "open-contestations" },
    el("p", { class: "help" }, "When a solver contests a solution, staked solvers vote: yea if the solution is wrong, nay if it is right. Each vote escrows the slash amount from your stake until the vote is settled; the losing side is slashed."),
    list.container,
  );
  const refresh = async () => {
    const [page, period] = await Promise.all([
      ctx.api<Page<ContestationSummary>>("/api/v1/contestations?limit=100"),
      ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "minContestationVotePeriodTime" }),
    ]);
    const open = page.items.filter((c) => c.outcome === null);
    const views = await Promise.all(
      open.map(async (item): Promise<OpenContestation> => {
        const canVote = account
          ? await ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "validatorCanVote", args: [account, item.task as Hex] })
          : null;
        return { item, canVote, closesAt: item.raisedAt + Number(period) };
      }),
    );
    list.sync(views, (v) => v.item.task);
  };
  return { root, refresh };
}
