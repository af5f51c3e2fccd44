// A task's page (#/task/<id>): what the chain says (`tasks`, `solutions`,
// `contestations`), the indexer's timeline, the input decoded from the
// submitting transaction, and the output by its CID. Polls while the task
// can still change.

import type { Hex } from "viem";
import type { Ctx } from "../context";
import { cidFromBytes, el, formatCountdown, type Child } from "../format";
import { readContestation, readParam, readSolution, readTask, type ChainContestation, type ChainSolution, type ChainTask } from "./chain";
import { eventCells } from "./events";
import { Lifetime, type Cleanup } from "./life";
import { renderOutput } from "./output";
import { findSubmission, loadTaskInput } from "./task-input";
import { modelLink, templateOfModel } from "./templates";
import type { TaskDetail, TaskStatus } from "../indexer-types";
import {
  addressLink,
  cidLink,
  contestationLink,
  dml,
  facts,
  field,
  gatewayHref,
  isNotIndexed,
  isZero,
  markLoaded,
  note,
  pageRoot,
  parseId,
  section,
  statusBadge,
  table,
  when,
} from "./ui";

/** How often an open task is read again. */
const TASK_POLL_MS = 3000;
/** The divisor that turns a task id into its model seed (DESIGN.md). */
const SEED_MODULUS = 0x1fffffffffff0n;

/** Everything the page shows about a task at one moment. */
interface TaskState {
  task: ChainTask;
  solution: ChainSolution;
  contestation: ChainContestation;
  indexed: TaskDetail | null;
  claimWindow: bigint;
  status: TaskStatus;
}

const FINAL: TaskStatus[] = ["claimed", "retracted", "contestation-won", "contestation-lost"];

/** How far along a status is; the indexer's word is taken when it knows more than the chain's state shows. */
const RANK: Record<TaskStatus, number> = {
  submitted: 0,
  solved: 1,
  contested: 2,
  claimed: 3,
  retracted: 3,
  "contestation-won": 4,
  "contestation-lost": 4,
};

/** The task's status from the chain's state, refined by the indexer's events (a resolved contestation, a retraction). */
function statusOf(task: ChainTask, solution: ChainSolution, contestation: ChainContestation, indexed: TaskDetail | null): TaskStatus {
  let status: TaskStatus = "submitted";
  if (isZero(task.owner)) status = indexed?.task.status ?? "retracted";
  else if (!isZero(contestation.validator)) status = solution.claimed ? "contestation-lost" : "contested";
  else if (solution.claimed) status = "claimed";
  else if (!isZero(solution.validator)) status = "solved";
  const theirs = indexed?.task.status;
  return theirs && RANK[theirs] > RANK[status] ? theirs : status;
}

async function loadState(ctx: Ctx, id: Hex): Promise<TaskState> {
  const [task, solution, contestation, claimWindow, indexed] = await Promise.all([
    readTask(ctx, id),
    readSolution(ctx, id),
    readContestation(ctx, id),
    readParam(ctx, "minClaimSolutionTime"),
    ctx.api<TaskDetail>(`/api/v1/tasks/${id}`).catch((err) => {
      if (isNotIndexed(err)) return null;
      throw err;
    }),
  ]);
  return { task, solution, contestation, indexed, claimWindow, status: statusOf(task, solution, contestation, indexed) };
}

/** What the status means right now, in words. */
function statusDetail(s: TaskState, id: Hex, now: number): Child {
  switch (s.status) {
    case "submitted":
      return "waiting for a solver to commit and reveal";
    case "solved": {
      const opens = Number(s.solution.blocktime + s.claimWindow);
      return opens > now ? `contest window open; claimable in ${formatCountdown(opens - now)}` : "claimable now";
    }
    case "contested":
      return ["contested: see the ", contestationLink(id), " and its votes"];
    case "contestation-won":
      return ["the contestation won: the solution was wrong, its solver slashed and the owner refunded (", contestationLink(id), ")"];
    case "contestation-lost":
      return ["the contestation lost: the solution stands and its solver was paid (", contestationLink(id), ")"];
    case "claimed":
      return "the solver claimed the fee and reward";
    case "retracted":
      return "the owner retracted it before anyone solved it";
  }
}

/** The facts of the task with their data-field hooks. */
function factsOf(ctx: Ctx, id: Hex, s: TaskState): HTMLElement {
  const gone = isZero(s.task.owner);
  const ix = s.indexed?.task;
  // A retracted task is gone from the chain's state; the indexer still knows what it was.
  const model = gone && ix?.model ? ix.model : s.task.model;
  const fee = gone && ix?.fee ? BigInt(ix.fee) : s.task.fee;
  const owner: string = gone && ix?.owner ? ix.owner : s.task.owner;
  const blocktime = gone && ix ? BigInt(ix.submittedAt) : s.task.blocktime;
  const now = Math.floor(Date.now() / 1000);
  const solved = !isZero(s.solution.validator);
  const contested = !isZero(s.contestation.validator);
  const outputCid = cidFromBytes(s.solution.cid);
  const inputCid = cidFromBytes(s.task.cid);
  const rows: [string, Child][] = [
    ["Status", el("span", null, field("status", s.status, statusBadge(s.status)), " ", el("span", { class: "muted status-detail" }, statusDetail(s, id, now)))],
    ["Model", field("model", model, modelLink(ctx, model))],
    ["Fee", field("fee", fee.toString(), dml(fee))],
    ["Owner", field("owner", owner, addressLink(owner))],
    ["Submitted", field("blocktime", blocktime.toString(), when(blocktime), ` (unix ${blocktime})`)],
    ["Input CID", field("inputCid", inputCid, cidLink(ctx.config.gatewayUrl, inputCid))],
    ["Seed", field("seed", (BigInt(id) % SEED_MODULUS).toString())],
    ["Solver", field("solver", s.solution.validator, solved ? addressLink(s.solution.validator, "solver") : el("span", { class: "muted" }, "not solved yet"))],
    ["Solved", solved ? field("solvedAt", s.solution.blocktime.toString(), when(s.solution.blocktime), ` (${Number(s.solution.blocktime - blocktime)} s after submission)`) : null],
    ["Output CID", field("cid", outputCid, cidLink(ctx.config.gatewayUrl, outputCid))],
    ["Claimed", field("claimed", String(s.solution.claimed), s.solution.claimed ? "yes" : "no")],
    ["Slash at stake", s.contestation.slashAmount > 0n ? field("slashAmount", s.contestation.slashAmount.toString(), dml(s.contestation.slashAmount)) : null],
    [
      "Contestation",
      contested
        ? field("contestation", s.contestation.validator, contestationLink(id, "contested"), " by ", addressLink(s.contestation.validator, "solver"), " ", when(s.contestation.blocktime))
        : field("contestation", s.contestation.validator, el("span", { class: "muted" }, "none")),
    ],
  ];
  return facts(rows);
}

function timelineOf(ctx: Ctx, s: TaskState): HTMLElement {
  if (!s.indexed) return note("The indexer has not seen this task yet; the facts above come from the chain.");
  return table(
    ["When", "Event", "What", "Block", "Transaction"],
    s.indexed.timeline.map((e) => eventCells(ctx, e)),
    "No events yet.",
  );
}

/** Renders task `idText` into `container`; the Cleanup stops its polling. */
export async function taskPage(container: HTMLElement, ctx: Ctx, idText: string): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "task", "Task");
  let id: Hex;
  try {
    id = parseId(idText, "task");
  } catch (err) {
    ctx.showError(err);
    return () => life.stop();
  }
  root.querySelector("h1")?.append(" ", el("span", { class: "mono id" }, id));
  const loading = note("Reading the chain…");
  root.append(loading);
  let state: TaskState;
  try {
    state = await loadState(ctx, id);
  } catch (err) {
    loading.remove();
    ctx.showError(err);
    return () => life.stop();
  }
  if (isZero(state.task.owner) && !state.indexed) {
    loading.replaceChildren(`No task ${id} on this chain.`);
    ctx.showError(new Error(`No task ${id} on this chain.`));
    return () => life.stop();
  }
  loading.remove();
  const factsSlot = el("div", { class: "facts-slot" });
  const inputSlot = el("div", { class: "input-slot" }, note("Reading the submitting transaction…"));
  const outputSlot = el("div", { class: "output-slot" }, note("No solution yet."));
  const timelineSlot = el("div", { class: "timeline-slot" });
  root.append(
    section("Overview", factsSlot),
    el("div", { class: "two-col" }, section("Input", inputSlot), section("Output", outputSlot)),
    section("Timeline", timelineSlot),
  );

  let outputShown = "";
  const show = async (s: TaskState) => {
    factsSlot.replaceChildren(factsOf(ctx, id, s));
    timelineSlot.replaceChildren(timelineOf(ctx, s));
    const cid = cidFromBytes(s.solution.cid);
    if (cid && cid !== outputShown) {
      outputShown = cid;
      const model = s.indexed?.task.model ?? s.task.model;
      try {
        const template = await templateOfModel(ctx, model);
        outputSlot.replaceChildren(
          await renderOutput(ctx, cid, template),
          el("p", null, el("a", { href: gatewayHref(ctx.config.gatewayUrl, cid), target: "_blank", rel: "noopener" }, "Open on the gateway")),
        );
      } catch (err) {
        outputShown = "";
        outputSlot.replaceChildren(note("The output could not be fetched from the gateway."));
        ctx.showError(err);
      }
    }
  };

  const showInput = async () => {
    const submitted = state.indexed?.timeline.find((e) => e.name === "TaskSubmitted");
    const tx = (submitted?.txHash as Hex | undefined) ?? (await findSubmission(ctx, id).catch(() => null));
    const input = await loadTaskInput(ctx, id, tx, state.task.cid);
    if (!input) {
      inputSlot.replaceChildren(note("The input is not in the submitting transaction's calldata nor on the gateway."));
      return;
    }
    const from = { calldata: "the submitting transaction's calldata (submitTask)", log: "the TaskInput log of the submitting transaction", gateway: "the gateway, by the task's input CID" }[input.source];
    inputSlot.replaceChildren(
      el("pre", { class: "task-input", "data-testid": "task-input" }, input.json !== undefined ? JSON.stringify(input.json, null, 2) : input.text),
      note(
        `From ${from}. `,
        input.matchesCid === true ? el("span", { class: "ok", "data-testid": "input-verified" }, "✓ Its CID matches the task's (generateIPFSCID).") : null,
        input.matchesCid === false ? el("span", { class: "bad" }, "✗ Its CID does not match the task's.") : null,
        tx ? [" Transaction ", el("span", { class: "mono", title: tx }, tx)] : null,
      ),
    );
  };

  await Promise.all([
    show(state),
    showInput().catch((err) => {
      inputSlot.replaceChildren(note("The input could not be read."));
      ctx.showError(err);
    }),
  ]);
  markLoaded(root);

  // Tick the claim countdown every second; reread the chain while the task can change.
  life.every(1000, () => {
    const detail = factsSlot.querySelector(".status-detail");
    if (state.status === "solved" && detail) detail.replaceChildren(el("span", null, statusDetail(state, id, Math.floor(Date.now() / 1000))));
  });
  life.poll(
    TASK_POLL_MS,
    async () => {
      if (FINAL.includes(state.status)) return false;
      state = await loadState(ctx, id);
      if (!life.stopped) await show(state);
      return !FINAL.includes(state.status);
    },
    (err) => ctx.showError(err),
  );
  return () => life.stop();
}
