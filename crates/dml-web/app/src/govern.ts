// #/govern: the connected account's votes and their delegation, and every
// proposal with its live state, tally, times and vote buttons.

import { getAddress, isAddress, zeroAddress, type Address } from "viem";
import { governorAbi, tokenAbi } from "./abi";
import type { Ctx } from "./context";
import { UserError } from "./errors";
import { el, formatDml, shortHex } from "./format";
import type { IndexedProposal } from "./indexer-types";
import { actionButton, card, countdown, errorLine, KeyedList, poll, setField, startTicker } from "./ui";
import { wallet } from "./wallet";

/** The Governor's ProposalState, by number. */
export const PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"] as const;

const SUPPORT = [
  { value: 0, label: "Against" },
  { value: 1, label: "For" },
  { value: 2, label: "Abstain" },
] as const;

const REFRESH_MS = 3000;

interface ProposalView {
  item: IndexedProposal;
  id: bigint;
  state: number;
  tally: readonly [bigint, bigint, bigint];
  start: bigint;
  end: bigint;
  eta: bigint;
  voted: boolean | null;
}

/** Renders the govern page into `root`; returns the cleanup. */
export async function governPage(root: HTMLElement, ctx: Ctx): Promise<() => void> {
  const governor = ctx.config.contracts.governor;
  const token = ctx.config.contracts.token;
  const account = wallet.account;
  const page = el("section", { "data-testid": "govern-page", class: "page govern" }, el("h1", null, "Govern"));
  root.replaceChildren(page);
  if (!governor) {
    page.append(el("p", { class: "muted" }, "This deployment has no governor."));
    page.dataset.loaded = "1";
    return () => {};
  }

  // ---- the account's votes ----
  const votes = el("dd", { "data-field": "votes" }, "…");
  const balance = el("dd", { "data-field": "balance" }, "…");
  const delegate = el("dd", { "data-field": "delegate" }, "…");
  const threshold = el("dd", { "data-field": "proposalThreshold" }, "…");
  const delegateInput = el("input", { "data-testid": "delegate-votes-input", id: "delegate-votes-input", placeholder: "0x… address", autocomplete: "off", spellcheck: "false" });
  const sendDelegation = async (to: Address) => {
    wallet.requireAccount();
    await wallet.write({ address: token, abi: tokenAbi, functionName: "delegate", args: [to] });
    void refresh();
    return `Your votes now go to ${to}.`;
  };
  const delegateButton = actionButton("Delegate votes", { "data-testid": "delegate-votes", class: "primary" }, async () => {
    const text = delegateInput.value.trim();
    if (!isAddress(text)) throw new UserError("Enter the address to delegate to, 0x followed by 40 hex digits.");
    return sendDelegation(getAddress(text));
  });
  const selfButton = actionButton("Delegate to myself", { "data-testid": "delegate-self" }, async () => sendDelegation(wallet.requireAccount()));
  const votesCard = card(
    "Your votes",
    null,
    el("p", { class: "help" }, "DML votes once it is delegated, to yourself or to someone you trust. Staked DML does not vote."),
    el(
      "dl",
      { class: "figures" },
      el("div", null, el("dt", null, "Votes"), votes),
      el("div", null, el("dt", null, "DML held"), balance),
      el("div", null, el("dt", null, "Delegating to"), delegate),
      el("div", null, el("dt", null, "Votes to propose"), threshold),
    ),
    el("div", { class: "form-row" }, el("label", { for: "delegate-votes-input" }, "Delegate to"), el("div", { class: "inline wrap" }, delegateInput, delegateButton.root, selfButton.root)),
  );

  // ---- proposals ----
  const proposals = new KeyedList<ProposalView>(el("div", { class: "proposals" }), (key) => proposalRow(governor, key, () => void refresh()), () =>
    el("p", { class: "muted" }, "No proposals yet. A holder with enough votes proposes with `dml governance propose` or any Governor front end."),
  );
  const votesProblem = el("div");
  const proposalsProblem = el("div");
  page.append(votesProblem, votesCard, card("Proposals", null, proposalsProblem, proposals.container));

  const refreshVotes = async () => {
    const read = ctx.client.readContract;
    const needed = await read({ address: governor, abi: governorAbi, functionName: "proposalThreshold" });
    setField(threshold, needed.toString(), formatDml(needed).replace(/ DML$/, " votes"));
    if (!account) {
      for (const d of [votes, balance, delegate]) setField(d, "", "—");
      return;
    }
    const [mine, held, to] = await Promise.all([
      read({ address: token, abi: tokenAbi, functionName: "getVotes", args: [account] }),
      read({ address: token, abi: tokenAbi, functionName: "balanceOf", args: [account] }),
      read({ address: token, abi: tokenAbi, functionName: "delegates", args: [account] }),
    ]);
    setField(votes, mine.toString(), formatDml(mine).replace(/ DML$/, " votes"));
    setField(balance, held.toString(), formatDml(held));
    setField(delegate, to, to === zeroAddress ? "nobody (your DML does not vote yet)" : to === account ? "yourself" : to);
  };

  const refreshProposals = async () => {
    const items = await ctx.api<IndexedProposal[]>("/api/v1/proposals");
    const read = ctx.client.readContract;
    const views = await Promise.all(
      items.map(async (item): Promise<ProposalView> => {
        const id = BigInt(item.id);
        const [state, tally, start, end, eta, voted] = await Promise.all([
          read({ address: governor, abi: governorAbi, functionName: "state", args: [id] }),
          read({ address: governor, abi: governorAbi, functionName: "proposalVotes", args: [id] }),
          read({ address: governor, abi: governorAbi, functionName: "proposalSnapshot", args: [id] }),
          read({ address: governor, abi: governorAbi, functionName: "proposalDeadline", args: [id] }),
          read({ address: governor, abi: governorAbi, functionName: "proposalEta", args: [id] }),
          account ? read({ address: governor, abi: governorAbi, functionName: "hasVoted", args: [id, account] }) : Promise.resolve(null),
        ]);
        return { item, id, state, tally, start, end, eta, voted };
      }),
    );
    proposals.sync(views, (v) => v.id.toString());
  };

  const refresh = async () => {
    await Promise.all([
      refreshVotes().then(
        () => votesProblem.replaceChildren(),
        (err) => votesProblem.replaceChildren(errorLine(err, ctx.config.rpcUrl)),
      ),
      refreshProposals().then(
        () => proposalsProblem.replaceChildren(),
        (err) => proposalsProblem.replaceChildren(errorLine(err, ctx.config.rpcUrl)),
      ),
    ]);
  };
  await refresh();
  page.dataset.loaded = "1";
  let first = true;
  const stopPolling = poll(async () => {
    if (first) {
      first = false;
      return;
    }
    await refresh();
  }, REFRESH_MS);
  const stopTicker = startTicker(page);
  return () => {
    stopPolling();
    stopTicker();
  };
}

function proposalRow(governor: Address, key: string, afterWrite: () => void) {
  const id = BigInt(key);
  const title = el("h3");
  const body = el("p", { class: "help proposal-body" });
  const state = el("span", { "data-field": "state", class: "badge" });
  const meta = el("p", { class: "help" });
  const timing = el("p", { class: "help" });
  const tallyList = el("div", { class: "tally" });
  const buttons = SUPPORT.map((s) =>
    actionButton(s.label, { "data-support": s.value, class: s.value === 1 ? "primary" : "" }, async () => {
      wallet.requireAccount();
      await wallet.write({ address: governor, abi: governorAbi, functionName: "castVote", args: [id, s.value] });
      afterWrite();
      return `Voted ${s.label.toLowerCase()}.`;
    }),
  );
  const queue = actionButton("Queue", { "data-action": "queue", class: "ghost" }, async () => {
    wallet.requireAccount();
    await wallet.write({ address: governor, abi: governorAbi, functionName: "queue", args: [id] });
    afterWrite();
    return "Queued in the timelock.";
  });
  const execute = actionButton("Execute", { "data-action": "execute", class: "ghost" }, async () => {
    wallet.requireAccount();
    await wallet.write({ address: governor, abi: governorAbi, functionName: "execute", args: [id] });
    afterWrite();
    return "Executed.";
  });
  const voteNote = el("p", { class: "help" });
  const node = el(
    "article",
    { "data-testid": "proposal", "data-id": key, class: "proposal" },
    el("div", { class: "proposal-head" }, title, state),
    body,
    meta,
    timing,
    tallyList,
    el("div", { class: "inline wrap" }, ...buttons.map((b) => b.root), queue.root, execute.root),
    voteNote,
  );
  let shownTiming = "";
  return {
    node,
    update(v: ProposalView) {
      const description = typeof v.item.description === "string" ? v.item.description : "";
      const [firstLine, ...rest] = description.split("\n");
      title.textContent = firstLine.replace(/^#+\s*/, "") || `Proposal ${shortHex(key)}`;
      body.textContent = rest.join("\n").trim();
      meta.textContent = `#${shortHex(key)} by ${shortHex(v.item.proposer ?? "")}, block ${v.item.createdBlock}`;
      setField(state, String(v.state), PROPOSAL_STATES[v.state] ?? `state ${v.state}`);
      state.dataset.state = (PROPOSAL_STATES[v.state] ?? "unknown").toLowerCase();
      const [against, inFavour, abstain] = v.tally;
      const total = against + inFavour + abstain;
      tallyList.replaceChildren(
        ...[
          ["For", inFavour, "for"],
          ["Against", against, "against"],
          ["Abstain", abstain, "abstain"],
        ].map(([label, amount, cls]) => {
          const share = total === 0n ? 0 : Number(((amount as bigint) * 1000n) / total) / 10;
          return el(
            "div",
            { class: `tally-row ${cls}`, "data-field": cls as string, "data-value": (amount as bigint).toString() },
            el("span", { class: "tally-label" }, label as string),
            el("span", { class: "tally-bar" }, barFill(share)),
            el("span", { class: "tally-amount" }, formatDml(amount as bigint).replace(/ DML$/, " votes")),
          );
        }),
      );
      const timingKey = `${v.state}:${v.start}:${v.end}:${v.eta}`;
      if (timingKey !== shownTiming) {
        shownTiming = timingKey;
        if (v.state === 0) timing.replaceChildren("Voting opens ", countdown(Number(v.start), "now"));
        else if (v.state === 1) timing.replaceChildren("Voting closes ", countdown(Number(v.end), "now"));
        else if (v.state === 5 && v.eta > 0n) timing.replaceChildren("Executable ", countdown(Number(v.eta), "now"));
        else timing.replaceChildren(`Voting ran until ${new Date(Number(v.end) * 1000).toLocaleString()}.`);
      }
      const canVote = v.state === 1 && v.voted === false;
      buttons.forEach((b) => b.setEnabled(canVote));
      voteNote.textContent = v.voted === null ? "Connect a wallet to vote." : v.voted ? "You have voted on this proposal." : v.state === 1 ? "" : "Voting is not open.";
      queue.root.hidden = v.state !== 4;
      execute.root.hidden = v.state !== 5;
    },
  };
}

/** The filled part of a tally bar, `percent` wide (set through CSSOM: the page's CSP forbids style attributes). */
function barFill(percent: number): HTMLElement {
  const fill = el("span", { class: "tally-fill" });
  fill.style.width = `${percent}%`;
  return fill;
}
