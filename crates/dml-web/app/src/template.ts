// Model templates (the JSON a model's CID names) and the input rules a
// solver applies to a task (crates/dml-models/src/template.rs), so the page
// refuses what a solver would refuse before any fee is paid.

import { UserError } from "./errors";

/** One input field of a template's schema (the JSON Schema subset templates use). */
export interface FieldSchema {
  type: "string" | "integer" | "number" | "boolean";
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

/** A model template: name, runner, input schema, output type. */
export interface ModelTemplate {
  name: string;
  version: number;
  description?: string;
  runner: { type: "builtin"; model: string } | { type: "cog"; image: string };
  input: { type: "object"; required?: string[]; properties: Record<string, FieldSchema> };
  output: { type: "text" | "json" | "file"; media_type: string };
  example: Record<string, unknown>;
}

/** Largest task input the engine accepts, in bytes. */
export const MAX_INPUT_BYTES = 64 * 1024;

const FIELD_TYPES = new Set(["string", "integer", "number", "boolean"]);

/** Checks that JSON fetched for a model is a template this page can build a form for. */
export function parseTemplate(json: unknown): ModelTemplate {
  const t = json as Partial<ModelTemplate> | null;
  if (!t || typeof t !== "object" || typeof t.name !== "string") {
    throw new UserError("The model's template is not a template (it has no name).");
  }
  const props = t.input?.properties;
  if (!props || typeof props !== "object") throw new UserError(`The template of ${t.name} has no input properties.`);
  for (const [name, field] of Object.entries(props)) {
    if (!field || !FIELD_TYPES.has((field as FieldSchema).type)) {
      throw new UserError(`The template of ${t.name} gives the field ${name} a type this page cannot show.`);
    }
  }
  if (!t.output || !["text", "json", "file"].includes(t.output.type)) {
    throw new UserError(`The template of ${t.name} has an unknown output type.`);
  }
  return t as ModelTemplate;
}

/** The name `dml model run` knows the model by, or null when it is not a built-in model. */
export function builtinName(template: ModelTemplate): string | null {
  return template.runner?.type === "builtin" ? template.runner.model : null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Counts characters as JSON Schema does: Unicode code points, not UTF-16 units. */
function characters(text: string): number {
  return [...text].length;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The problems with one field's value, one sentence each (empty when it passes). */
export function fieldProblems(name: string, field: FieldSchema, value: unknown): string[] {
  const problems: string[] = [];
  switch (field.type) {
    case "boolean":
      if (typeof value !== "boolean") problems.push(`${name} must be true or false.`);
      break;
    case "string":
      if (typeof value !== "string") {
        problems.push(`${name} must be text.`);
        break;
      }
      if (field.minLength !== undefined && characters(value) < field.minLength) {
        problems.push(`${name} must be at least ${plural(field.minLength, "character")} long.`);
      }
      if (field.maxLength !== undefined && characters(value) > field.maxLength) {
        problems.push(`${name} must be at most ${plural(field.maxLength, "character")} long.`);
      }
      if (field.pattern !== undefined) {
        let matches = true;
        try {
          matches = new RegExp(field.pattern, "u").test(value);
        } catch {
          matches = true; // A pattern JavaScript cannot read is left to the solver.
        }
        if (!matches) problems.push(`${name} must match the pattern ${field.pattern}.`);
      }
      break;
    case "integer":
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        problems.push(`${name} must be a number.`);
        break;
      }
      if (field.type === "integer" && !Number.isInteger(value)) problems.push(`${name} must be a whole number.`);
      if (field.minimum !== undefined && value < field.minimum) problems.push(`${name} must be at least ${field.minimum}.`);
      if (field.maximum !== undefined && value > field.maximum) problems.push(`${name} must be at most ${field.maximum}.`);
      if (field.exclusiveMinimum !== undefined && value <= field.exclusiveMinimum) {
        problems.push(`${name} must be more than ${field.exclusiveMinimum}.`);
      }
      if (field.exclusiveMaximum !== undefined && value >= field.exclusiveMaximum) {
        problems.push(`${name} must be less than ${field.exclusiveMaximum}.`);
      }
      if (field.multipleOf !== undefined && field.multipleOf > 0) {
        const ratio = value / field.multipleOf;
        if (Math.abs(ratio - Math.round(ratio)) > 1e-9) problems.push(`${name} must be a multiple of ${field.multipleOf}.`);
      }
      break;
  }
  if (field.enum && !field.enum.some((option) => sameValue(option, value))) {
    problems.push(`${name} must be one of: ${field.enum.map((o) => JSON.stringify(o)).join(", ")}.`);
  }
  return problems;
}

/**
 * Checks a task input against the template as a solver will: no `seed`, no unknown field, every required
 * field present, every value within its field's rules, and the encoded input within the engine's limit.
 * Returns one sentence per problem.
 */
export function inputProblems(template: ModelTemplate, input: Record<string, unknown>, encodedBytes: number): string[] {
  const problems: string[] = [];
  const fields = template.input.properties;
  if ("seed" in input) problems.push("The input must not set seed: the seed comes from the task id.");
  for (const name of Object.keys(input)) {
    if (name !== "seed" && !(name in fields)) problems.push(`${name} is not an input of ${template.name}.`);
  }
  for (const name of template.input.required ?? []) {
    if (!(name in input) && fields[name]?.default === undefined) problems.push(`${name} is required.`);
  }
  for (const [name, field] of Object.entries(fields)) {
    if (name in input) problems.push(...fieldProblems(name, field, input[name]));
  }
  if (encodedBytes > MAX_INPUT_BYTES) {
    problems.push(`The input is ${encodedBytes} bytes, more than the ${MAX_INPUT_BYTES}-byte limit.`);
  }
  return problems;
}

/** The input the solver will run: `input` with every missing default filled in, in the schema's key order. */
export function withDefaults(template: ModelTemplate, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(template.input.properties)) {
    if (name in input) out[name] = input[name];
    else if (field.default !== undefined) out[name] = field.default;
  }
  return out;
}
