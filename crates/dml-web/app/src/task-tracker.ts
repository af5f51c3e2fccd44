// The live view of one submitted task: a timeline polled every second from
// the chain (authoritative) and the indexer (block numbers, votes, outcome),
// the output once revealed, and how to reproduce it.

import { zeroAddress, type Address, type Hex } from "viem";
import { engineAbi } from "./abi";
import { isNotFound } from "./api";
import type { Ctx } from "./context";
import { cidFromBytes, el, formatDml, shortHex, timeAgo } from "./format";
import type { ContestationSummary, IndexedEvent, Page, TaskDetail } from "./indexer-types";
import { outputFileName, renderOutput, type RenderedOutput } from "./output";
import { builtinName, type ModelTemplate } from "./template";
import { countdown, errorLine, poll } from "./ui";

/** The divisor that turns a task id into its model seed. */
export const SEED_MODULUS = 0x1f_ffff_ffff_fff0n;

/** The seed solvers run a task with: uint256(id) mod 0x1FFFFFFFFFFFF0, in decimal. */
export function taskSeed(taskId: Hex): string {
  return (BigInt(taskId) % SEED_MODULUS).toString();
}

/** Quotes a string for a POSIX shell (single quotes; a quote inside becomes '\''). */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command that reproduces a task's output bytes and prints their CID, or null for a non-built-in model. */
export function runYourselfCommand(template: ModelTemplate, inputJson: string, seed: string): string | null {
  const name = builtinName(template);
  if (!name) return null;
  const file = outputFileName(template);
  return `dml model run ${name} --input ${shellQuote(inputJson)} --seed ${seed} --out ${file}\ndml cid ${file}`;
}

type Step = "submitted" | "committed" | "revealed" | "claimable" | "claimed" | "contested" | "voting" | "outcome";
type Status = "submitted" | "committed" | "revealed" | "claimable" | "claimed" | "contested" | "voting" | "resolved";

const STEP_TITLES: Record<Step, string> = {
  submitted: "Submitted",
  committed: "Committed",
  revealed: "Revealed",
  claimable: "Claimable",
  claimed: "Claimed",
  contested: "Contested",
  voting: "Voting",
  outcome: "Outcome",
};

const STATUS_TEXT: Record<Status, string> = {
  submitted: "Waiting for a solver…",
  committed: "A solver committed to an answer.",
  revealed: "The solution is revealed; the claim window is open.",
  claimable: "The claim window has passed; the solver may claim.",
  claimed: "Claimed: the solver was paid.",
  contested: "A solver contested the solution.",
  voting: "Staked solvers are voting on the contestation.",
  resolved: "The contestation is settled.",
};

/** Pages of a solver's events searched for its commitment. */
const COMMITMENT_PAGES = 3;

/**
 * The block of the commitment behind a revealed solution: `generateCommitment(solver, task, cid)` from the
 * engine, then `commitments(hash)` (which the engine clears once the solution uses it), else the solver's
 * `SignalCommitment` event of that hash in the indexer. Null while neither knows it.
 */
async function findCommitmentBlock(ctx: Ctx, solver: Address, taskId: Hex, cid: Hex, notBefore: number): Promise<bigint | null> {
  const engine = ctx.config.contracts.engine;
  const hash = await ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "generateCommitment", args: [solver, taskId, cid] });
  const onChain = await ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "commitments", args: [hash] });
  if (onChain !== 0n) return onChain;
  let before = "";
  for (let page = 0; page < COMMITMENT_PAGES; page++) {
    const events = await ctx.api<Page<IndexedEvent>>(`/api/v1/addresses/${solver.toLowerCase()}/events?limit=200${before}`);
    const found = events.items.find((e) => e.name === "SignalCommitment" && String(e.fields.commitment).toLowerCase() === hash.toLowerCase());
    if (found) return BigInt(found.blockNumber);
    const oldest = events.items[events.items.length - 1];
    if (!events.next || (oldest && oldest.blockNumber < notBefore)) break;
    before = `&before=${events.next}`;
  }
  return null;
}

/** What to track: the task, its model's template (for the output type) and the exact input sent. */
export interface TrackedTask {
  taskId: Hex;
  template: ModelTemplate;
  inputJson: string;
}

/** Renders the live view of `tracked` into `root`; returns the cleanup that stops polling. */
export function trackTask(root: HTMLElement, ctx: Ctx, tracked: TrackedTask): () => void {
  const { taskId, template, inputJson } = tracked;
  const engine = ctx.config.contracts.engine;
  const seed = taskSeed(taskId);
  const command = runYourselfCommand(template, inputJson, seed);

  const steps = new Map<Step, { li: HTMLLIElement; detail: HTMLElement }>();
  const timeline = el("ol", { "data-testid": "timeline", class: "timeline" });
  const addStep = (step: Step, hidden = false) => {
    const detail = el("span", { class: "step-detail" });
    const li = el("li", { "data-step": step, hidden }, el("span", { class: "step-title" }, STEP_TITLES[step]), detail);
    timeline.append(li);
    steps.set(step, { li, detail });
  };
  (["submitted", "committed", "revealed", "claimable", "claimed"] as Step[]).forEach((s) => addStep(s));
  (["contested", "voting", "outcome"] as Step[]).forEach((s) => addStep(s, true));

  const status = el("span", { "data-testid": "status", "data-status": "submitted", class: "status-badge" }, STATUS_TEXT.submitted);
  const problem = el("div", { class: "tracker-problem" });
  const output = el("div", { "data-testid": "output", class: "output" }, el("p", { class: "muted" }, "The output appears here once a solver reveals it."));
  const outputCid = el("code", { "data-testid": "output-cid" });

  root.replaceChildren(
    el(
      "section",
      { class: "card tracker" },
      el("h2", null, "Your task"),
      el("p", { class: "task-line" }, "Task ", el("a", { href: `#/task/${taskId}`, "data-testid": "task-id", class: "mono" }, taskId)),
      el("p", null, status),
      problem,
      timeline,
      el("h3", null, "Output"),
      output,
      el("p", { class: "muted" }, "CID: ", outputCid),
      el("h3", null, "Run it yourself"),
      el("p", null, "Seed (task id mod 0x1FFFFFFFFFFFF0): ", el("code", { "data-testid": "seed" }, seed)),
      command
        ? el("div", null, el("pre", { "data-testid": "run-yourself", class: "command" }, command), el("p", { class: "muted" }, "The last line prints the CID; it matches the one above when the solver was honest."))
        : el("p", { class: "muted" }, "This model runs in a container, not built into dml; run its image with the input and seed above."),
    ),
  );

  let minClaim: bigint | null = null;
  let votePeriod: bigint | null = null;
  let commitmentBlock: bigint | null = null;
  let outputShown: RenderedOutput | null = null;
  let finished = false;

  const mark = (step: Step, done: boolean, ...detail: (Node | string)[]) => {
    const s = steps.get(step)!;
    if (done) s.li.dataset.done = "1";
    else delete s.li.dataset.done;
    if (detail.length > 0) s.detail.replaceChildren(...detail);
  };
  const setStatus = (value: Status) => {
    if (status.dataset.status === value) return;
    status.dataset.status = value;
    status.textContent = STATUS_TEXT[value];
  };
  const eventText = (events: IndexedEvent[] | undefined, name: string): string => {
    const e = events?.find((x) => x.name === name);
    return e ? `block ${e.blockNumber}, ${timeAgo(e.timestamp)}` : "";
  };

  const showOutput = async (cid: string) => {
    if (outputShown) return;
    const response = await fetch(`${ctx.config.gatewayUrl.replace(/\/+$/, "")}/ipfs/${cid}`);
    if (!response.ok) throw new Error(`The gateway answered ${response.status} for ${cid}.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    outputShown = renderOutput(template, bytes);
    output.replaceChildren(outputShown.node);
    output.dataset.loaded = "1";
  };

  const tick = async () => {
    if (minClaim === null || votePeriod === null) {
      [minClaim, votePeriod] = await Promise.all([
        ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "minClaimSolutionTime" }),
        ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "minContestationVotePeriodTime" }),
      ]);
    }
    const [task, solution, contestation] = await Promise.all([
      ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "tasks", args: [taskId] }),
      ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "solutions", args: [taskId] }),
      ctx.client.readContract({ address: engine, abi: engineAbi, functionName: "contestations", args: [taskId] }),
    ]);
    const indexed = await ctx.api<TaskDetail>(`/api/v1/tasks/${taskId}`).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
    const events = indexed?.timeline;

    const [, fee, owner, blocktime] = task;
    const [solver, solvedAt, claimed, cidBytes] = solution;
    const [contester, contestedAt] = contestation;
    const submitted = owner !== zeroAddress;
    const solved = solver !== zeroAddress;
    const contested = contester !== zeroAddress;

    mark("submitted", submitted, submitted ? `${eventText(events, "TaskSubmitted") || `at ${new Date(Number(blocktime) * 1000).toLocaleTimeString()}`}; fee ${formatDml(fee)}` : "");
    let current: Status = "submitted";

    if (solved) {
      const cid = cidFromBytes(cidBytes as Hex);
      if (commitmentBlock === null) commitmentBlock = await findCommitmentBlock(ctx, solver, taskId, cidBytes as Hex, indexed?.task.submittedBlock ?? 0);
      mark("committed", true, commitmentBlock !== null ? `block ${commitmentBlock} by ${shortHex(solver)}` : `by ${shortHex(solver)}`);
      mark("revealed", true, el("code", null, cid), " ", eventText(events, "SolutionSubmitted"));
      outputCid.textContent = cid;
      current = "revealed";
      await showOutput(cid).catch((err) => {
        output.replaceChildren(errorLine(err));
      });
      const claimableAt = Number(solvedAt + minClaim);
      const claimable = Date.now() / 1000 >= claimableAt;
      if (!contested) {
        mark("claimable", claimable, claimable ? "the claim window has passed" : countdown(claimableAt, "now"));
        if (claimable) current = "claimable";
      }
      if (claimed) {
        if (!contested) mark("claimable", true, "the claim window has passed");
        mark("claimed", true, eventText(events, "SolutionClaimed") || "fee and reward paid");
        current = "claimed";
      }
    } else {
      mark("committed", false, "commitments are anonymous until the solution is revealed");
    }

    if (contested) {
      const votes = await ctx.api<ContestationSummary>(`/api/v1/contestations/${taskId}`).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      for (const step of ["contested", "voting", "outcome"] as Step[]) steps.get(step)!.li.hidden = false;
      steps.get("claimable")!.li.hidden = true;
      // A contested solution is paid (if at all) only after the vote: claimed moves to the end.
      if (timeline.lastElementChild !== steps.get("claimed")!.li) timeline.append(steps.get("claimed")!.li);
      mark("contested", true, `by ${shortHex(contester as Address)}, ${timeAgo(Number(contestedAt))}`);
      current = "contested";
      if (votes && votes.yeas + votes.nays > 0) {
        const closes = Number(contestedAt + votePeriod);
        mark("voting", true, `${votes.yeas} yea, ${votes.nays} nay; voting closes `, countdown(closes, "now"));
        current = "voting";
      }
      if (votes?.outcome) {
        mark(
          "outcome",
          true,
          votes.outcome.contestationWon
            ? "the contestation won: the solution was wrong, the fee goes back to the owner"
            : "the contestation lost: the solution stands and the solver is paid",
        );
        current = "resolved";
      }
    }
    if (indexed?.task.status === "retracted") {
      problem.replaceChildren(el("p", { class: "muted" }, "The owner retracted this task."));
      finished = true;
    } else {
      problem.replaceChildren();
    }
    setStatus(current);
    if ((current === "claimed" || current === "resolved") && (outputShown || !solved)) finished = true;
  };

  let stop = () => {};
  stop = poll(async () => {
    if (finished) return stop();
    try {
      await tick();
      if (finished) stop();
    } catch (err) {
      problem.replaceChildren(errorLine(err, ctx.config.rpcUrl));
    }
  }, 1000);

  return () => {
    stop();
    outputShown?.dispose();
  };
}
