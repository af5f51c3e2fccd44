// A model's page (#/model/<id>): `models(id)` from the chain, its template
// from the gateway, the indexer's figures and its recent tasks.

import type { Hex } from "viem";
import type { Ctx } from "../context";
import { cidFromBytes, el, formatSpan, type Child } from "../format";
import { readModel } from "./chain";
import { Lifetime, type Cleanup } from "./life";
import { indexerPages, rateText, taskCells, taskHeaders } from "./lists";
import { templateByCid, type Template } from "./templates";
import type { ModelSummary, TaskSummary } from "../indexer-types";
import { addressLink, cidLink, dml, facts, field, isNotIndexed, markLoaded, note, pageRoot, pager, parseId, section, table } from "./ui";

/** The template's input schema as a table: property, type, default, description. */
function schemaTable(template: Template): HTMLElement {
  const props = template.input?.properties ?? {};
  const required = new Set(template.input?.required ?? []);
  return table(
    ["Input", "Type", "Default", "Description"],
    Object.entries(props).map(([name, p]): Child[] => [
      el("code", null, name, required.has(name) ? " *" : ""),
      p.type ?? "",
      p.default === undefined ? "—" : el("code", null, JSON.stringify(p.default)),
      p.description ?? "",
    ]),
    "No inputs.",
  );
}

/** Renders model `idText` into `container`. */
export async function modelPage(container: HTMLElement, ctx: Ctx, idText: string): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "model", "Model");
  let id: Hex;
  try {
    id = parseId(idText, "model");
  } catch (err) {
    ctx.showError(err);
    return () => life.stop();
  }
  try {
    const [chain, summary] = await Promise.all([
      readModel(ctx, id),
      ctx.api<ModelSummary>(`/api/v1/models/${id}`).catch((err) => {
        if (isNotIndexed(err)) return null;
        throw err;
      }),
    ]);
    if (chain.cid === "0x") {
      ctx.showError(new Error(`No model ${id} on this chain.`));
      root.append(note(`No model ${id} on this chain.`));
      return () => life.stop();
    }
    const cid = cidFromBytes(chain.cid);
    const template = await templateByCid(ctx, cid).catch((err) => {
      ctx.showError(err);
      return null;
    });
    const name = template?.name ?? "";
    const title = root.querySelector("h1");
    title?.replaceChildren("Model ", el("span", null, name || id));
    title?.after(el("p", { class: "mono id explorer-subtitle" }, id));

    const overview = facts([
      ["Name", field("name", name, name || el("span", { class: "muted" }, "(template not found)"))],
      ["Description", template?.description ?? null],
      ["Fee", field("fee", chain.fee.toString(), dml(chain.fee), " per task, to the model's address")],
      ["Address", field("addr", chain.addr, addressLink(chain.addr))],
      ["Reward rate", field("rate", chain.rate.toString(), rateText(chain.rate), chain.rate === 0n ? " (no reward is minted for its tasks)" : " of the full reward")],
      ["Template CID", field("cid", cid, cidLink(ctx.config.gatewayUrl, cid))],
      ["Runner", template?.runner ? `${template.runner.type ?? "?"}${template.runner.model ? `: ${template.runner.model}` : template.runner.image ? `: ${template.runner.image}` : ""}` : null],
      ["Output", template?.output?.type ? `${template.output.type}${template.output.media_type ? ` (${template.output.media_type})` : ""}` : null],
      ["Tasks", field("tasks", String(summary?.tasks ?? 0), String(summary?.tasks ?? 0))],
      ["Solved", field("solved", String(summary?.solved ?? 0), String(summary?.solved ?? 0))],
      ["Median solve time", summary?.medianSolveSeconds != null ? field("medianSolveSeconds", String(summary.medianSolveSeconds), formatSpan(summary.medianSolveSeconds)) : "—"],
      ["Fees paid", summary ? field("fees", summary.fees, dml(summary.fees)) : null],
      ["Registered", summary ? `block ${summary.registeredBlock}` : null],
    ]);
    const tryIt = el("a", { href: `#/playground/${id}`, class: "button try-it", "data-testid": "try-model" }, "Try it in the playground");
    const tasks = pager<TaskSummary>({
      headers: taskHeaders(false),
      empty: "No tasks for this model yet.",
      fetchPage: indexerPages<TaskSummary>(ctx, `/api/v1/tasks?model=${id}`),
      renderRow: (t) => taskCells(ctx, t, false),
      onError: (err) => ctx.showError(err),
    });
    root.append(
      section("Overview", overview, tryIt, summary ? null : note("The indexer has not seen this model's registration yet.")),
      template
        ? section("Input schema", schemaTable(template), template.example !== undefined ? [el("h3", null, "Example input"), el("pre", null, JSON.stringify(template.example, null, 2))] : null)
        : note("The template could not be fetched from the gateway."),
      section("Recent tasks", tasks.element),
    );
    await tasks.start().catch((err) => ctx.showError(err));
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  return () => life.stop();
}
