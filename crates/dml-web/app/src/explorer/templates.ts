// Model templates: the JSON a model was registered with, fetched from the
// gateway by the CID `models(id)` holds. A CID names immutable bytes, so each
// template is fetched once per page load.

import type { Hex } from "viem";
import type { Ctx } from "../context";
import { cidFromBytes, el, shortHex } from "../format";
import { readModel } from "./chain";
import { fromGateway } from "./gateway";

/** The parts of a model template the explorer shows. */
export interface Template {
  name?: string;
  version?: number;
  description?: string;
  runner?: { type?: string; model?: string; image?: string };
  input?: { properties?: Record<string, { type?: string; description?: string; default?: unknown }>; required?: string[] };
  output?: { type?: string; media_type?: string };
  example?: unknown;
}

const byCid = new Map<string, Promise<Template>>();
const byModel = new Map<string, Promise<Template | null>>();

/** Fetches the template stored under `cid` from the gateway. */
export function templateByCid(ctx: Ctx, cid: string): Promise<Template> {
  let found = byCid.get(cid);
  if (!found) {
    found = fromGateway(ctx, cid, "the template").then(async (res) => {
      const body: unknown = await res.json();
      if (!body || typeof body !== "object") throw new Error(`The template ${cid} is not a JSON object.`);
      return body as Template;
    });
    found.catch(() => byCid.delete(cid));
    byCid.set(cid, found);
  }
  return found;
}

/** The template of model `id` (null when the model is not on the chain or its template cannot be fetched). */
export function templateOfModel(ctx: Ctx, id: string): Promise<Template | null> {
  const key = id.toLowerCase();
  let found = byModel.get(key);
  if (!found) {
    found = readModel(ctx, key as Hex)
      .then((model) => (model.cid === "0x" ? null : templateByCid(ctx, cidFromBytes(model.cid))))
      .catch(() => {
        byModel.delete(key);
        return null;
      });
    byModel.set(key, found);
  }
  return found;
}

/** The model's name from its template, or null. */
export async function modelName(ctx: Ctx, id: string): Promise<string | null> {
  const template = await templateOfModel(ctx, id);
  return typeof template?.name === "string" && template.name ? template.name : null;
}

/** A link to a model's page, showing the short id until the template's name is known. */
export function modelLink(ctx: Ctx, id: string | null | undefined): HTMLElement {
  if (!id) return el("span", { class: "muted" }, "—");
  const link = el("a", { href: `#/model/${id.toLowerCase()}`, title: id }, shortHex(id));
  modelName(ctx, id).then((name) => {
    if (name) link.textContent = name;
  });
  return link;
}
