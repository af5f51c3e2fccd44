// #/playground: pick a model, fill its form, pay the fee, and watch the
// task go from submission to a claimed (or contested) solution.

import { parseEventLogs, toHex, type Hex } from "viem";
import { engineAbi, tokenAbi } from "./abi";
import type { Ctx } from "./context";
import { UserError } from "./errors";
import { el, formatDml, setChildren, shortHex } from "./format";
import { loadModels, type ModelInfo } from "./models";
import { buildTaskForm, type TaskForm } from "./task-form";
import { trackTask, type TrackedTask } from "./task-tracker";
import { inputProblems, withDefaults } from "./template";
import { actionButton, card, dmlInputValue, errorLine, parseDmlInput } from "./ui";
import { wallet } from "./wallet";

const WAD = 10n ** 18n;

/** The task last submitted from this page, shown again when the user comes back. */
let lastTracked: TrackedTask | null = null;

/** How a fee splits on claim: the model's fee, the network's share of the rest, the solver's remainder. */
export function feeBreakdown(fee: bigint, modelFee: bigint, solutionFeePercentage: bigint) {
  const rest = fee > modelFee ? fee - modelFee : 0n;
  const network = (rest * solutionFeePercentage) / WAD;
  return { model: fee < modelFee ? fee : modelFee, network, solver: rest - network, total: fee };
}

/** Renders the playground into `root`; `modelId` preselects a model. Returns the cleanup. */
export async function playgroundPage(root: HTMLElement, ctx: Ctx, modelId?: string): Promise<() => void> {
  const cleanups: (() => void)[] = [];
  const select = el("select", { "data-testid": "model-select", id: "model-select" });
  const modelAbout = el("div", { class: "model-about" });
  const formSlot = el("div");
  const feeInput = el("input", { "data-testid": "fee-input", id: "fee-input", type: "text", inputmode: "decimal", autocomplete: "off" });
  const feeModel = el("dd", { "data-testid": "fee-model" });
  const feeNetwork = el("dd", { "data-testid": "fee-network" });
  const feeSolver = el("dd", { "data-testid": "fee-solver" });
  const feeTotal = el("dd", { "data-testid": "fee-total" });
  const feeNote = el("p", { class: "help" });
  const balanceLine = el("p", { class: "help" });
  const problems = el("div", { class: "problems" });
  const trackerSlot = el("div", { class: "tracker-slot" });

  let models: ModelInfo[] = [];
  let current: ModelInfo | null = null;
  let form: TaskForm | null = null;
  let networkShare = 0n;

  const page = el(
    "section",
    { "data-testid": "playground-page", class: "page playground" },
    el("h1", null, "Playground"),
    el("p", { class: "lead" }, "Send a task to a model. A solver runs it deterministically, commits to the output, reveals its CID, and claims the fee once nobody contests it."),
    el(
      "div",
      { class: "columns" },
      card("Model", null, el("label", { for: "model-select" }, "Model"), select, modelAbout, formSlot),
      card(
        "Fee",
        null,
        el("label", { for: "fee-input" }, "Fee (DML)"),
        feeInput,
        feeNote,
        el(
          "dl",
          { class: "breakdown" },
          el("div", null, el("dt", null, "To the model's owner"), feeModel),
          el("div", null, el("dt", null, "Network fee (treasury)"), feeNetwork),
          el("div", null, el("dt", null, "To the solver"), feeSolver),
          el("div", { class: "total" }, el("dt", null, "Total"), feeTotal),
        ),
        el("p", { class: "help" }, "A model with a reward rate also mints new DML to the solver when the task is claimed."),
        balanceLine,
        problems,
      ),
    ),
    trackerSlot,
  );
  root.replaceChildren(page);

  const updateFee = () => {
    if (!current) return;
    let fee: bigint;
    try {
      fee = parseDmlInput(feeInput.value, "the fee");
    } catch {
      [feeModel, feeNetwork, feeSolver, feeTotal].forEach((d) => (d.textContent = "—"));
      return;
    }
    const parts = feeBreakdown(fee, current.fee, networkShare);
    feeModel.textContent = formatDml(parts.model);
    feeNetwork.textContent = formatDml(parts.network);
    feeSolver.textContent = formatDml(parts.solver);
    feeTotal.textContent = formatDml(parts.total);
    feeModel.dataset.value = parts.model.toString();
    feeNetwork.dataset.value = parts.network.toString();
    feeSolver.dataset.value = parts.solver.toString();
    feeTotal.dataset.value = parts.total.toString();
  };
  feeInput.addEventListener("input", updateFee);

  const showModel = (model: ModelInfo) => {
    current = model;
    select.value = model.id;
    const t = model.template;
    setChildren(
      modelAbout,
      t.description ? el("p", { class: "help" }, t.description) : null,
      el("p", { class: "help muted" }, `Output: ${t.output.type} (${t.output.media_type}) · model `, el("a", { href: `#/model/${model.id}`, class: "mono" }, shortHex(model.id))),
    );
    form = buildTaskForm(t);
    form.form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit.button.click();
    });
    formSlot.replaceChildren(form.form);
    feeInput.value = dmlInputValue(model.fee);
    feeNote.textContent = model.fee === 0n ? "This model charges no fee; a tip makes solvers more eager." : `At least the model's fee of ${formatDml(model.fee)}; more is a tip for the solver.`;
    problems.replaceChildren();
    updateFee();
  };

  select.addEventListener("change", () => {
    const model = models.find((m) => m.id === select.value);
    if (!model) return;
    history.replaceState(null, "", `#/playground/${model.id}`);
    showModel(model);
  });

  const refreshBalance = async () => {
    const account = wallet.account;
    if (!account) {
      balanceLine.textContent = "Connect a wallet to send a task.";
      return;
    }
    try {
      const balance = await ctx.client.readContract({ address: ctx.config.contracts.token, abi: tokenAbi, functionName: "balanceOf", args: [account] });
      balanceLine.textContent = `${shortHex(account)} holds ${formatDml(balance)}.`;
    } catch (err) {
      balanceLine.replaceChildren(errorLine(err, ctx.config.rpcUrl));
    }
  };
  cleanups.push(wallet.subscribe(() => void refreshBalance()));

  const submit = actionButton("Send task", { "data-testid": "submit-task", class: "primary" }, async () => {
    if (!current || !form) throw new UserError("Pick a model first.");
    const model = current;
    const read = form.read();
    const input = withDefaults(model.template, read.values);
    const inputJson = JSON.stringify(input);
    const inputBytes = new TextEncoder().encode(inputJson);
    const found = [...read.problems, ...inputProblems(model.template, input, inputBytes.length)];
    problems.replaceChildren(...found.map((p) => errorLine(new UserError(p))));
    if (found.length > 0) return "";
    const fee = parseDmlInput(feeInput.value, "the fee");
    if (fee < model.fee) throw new UserError(`The fee must be at least the model's fee of ${formatDml(model.fee)}.`);
    const owner = wallet.requireAccount();
    const { receipt } = await wallet.write({
      address: ctx.config.contracts.engine,
      abi: engineAbi,
      functionName: "submitTask",
      args: [0, owner, model.id, fee, toHex(inputBytes)],
      spendsDml: { amount: fee, what: "the fee" },
    });
    const logs = parseEventLogs({ abi: engineAbi, eventName: "TaskSubmitted", logs: receipt.logs });
    const taskId = logs[0]?.args.id as Hex | undefined;
    if (!taskId) throw new UserError("The transaction was mined but emitted no TaskSubmitted event.");
    startTracking({ taskId, template: model.template, inputJson });
    void refreshBalance();
    return `Task sent in block ${receipt.blockNumber}.`;
  });

  let stopTracker: (() => void) | null = null;
  const startTracking = (tracked: TrackedTask) => {
    stopTracker?.();
    lastTracked = tracked;
    stopTracker = trackTask(trackerSlot, ctx, tracked);
  };
  cleanups.push(() => stopTracker?.());

  // The submit button sits under the fee breakdown.
  problems.before(el("div", { class: "submit-row" }, submit.root));

  try {
    const [loaded, share] = await Promise.all([
      loadModels(ctx),
      ctx.client.readContract({ address: ctx.config.contracts.engine, abi: engineAbi, functionName: "solutionFeePercentage" }),
    ]);
    networkShare = share;
    models = loaded.models;
    loaded.errors.forEach((e) => ctx.showError(e));
    select.replaceChildren(...models.map((m) => el("option", { value: m.id }, m.template.name)));
    if (models.length === 0) {
      formSlot.replaceChildren(el("p", { class: "muted" }, "No models are registered yet."));
      submit.setEnabled(false);
    } else {
      const wanted = models.find((m) => m.id.toLowerCase() === modelId?.toLowerCase());
      if (modelId && !wanted) ctx.showError(new UserError(`There is no model ${modelId}; showing ${models[0].template.name}.`));
      showModel(wanted ?? models[0]);
    }
    page.dataset.loaded = "1";
  } catch (err) {
    ctx.showError(err);
    submit.setEnabled(false);
  }
  void refreshBalance();
  if (lastTracked) startTracking(lastTracked);

  return () => cleanups.forEach((fn) => fn());
}
