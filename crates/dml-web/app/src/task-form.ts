// The input form of a model, generated from its template's schema: one
// control per property, named after it, defaults filled in, rules attached.

import { el } from "./format";
import type { FieldSchema, ModelTemplate } from "./template";

/** A generated form and how to read it back. */
export interface TaskForm {
  form: HTMLFormElement;
  /** The values set in the form, in schema order; fields left empty that have a default are left out. Problems are sentences about controls that hold no valid value. */
  read(): { values: Record<string, unknown>; problems: string[] };
}

/** Strings with room for more than this many characters get a textarea. */
const TEXTAREA_FROM = 120;

function control(name: string, field: FieldSchema): HTMLElement {
  const describedBy = field.description ? `field-${name}-help` : null;
  if (field.enum && field.enum.length > 0) {
    const select = el("select", { name, id: `field-${name}`, "aria-describedby": describedBy });
    for (const option of field.enum) {
      const value = JSON.stringify(option);
      select.append(el("option", { value, selected: JSON.stringify(field.default) === value }, String(option)));
    }
    return select;
  }
  switch (field.type) {
    case "boolean":
      return el("input", { type: "checkbox", name, id: `field-${name}`, checked: field.default === true, "aria-describedby": describedBy });
    case "integer":
    case "number": {
      const step = field.type === "integer" ? "1" : field.multipleOf !== undefined ? String(field.multipleOf) : "any";
      const input = el("input", {
        type: "number",
        name,
        id: `field-${name}`,
        min: field.minimum ?? field.exclusiveMinimum,
        max: field.maximum ?? field.exclusiveMaximum,
        step,
        inputmode: field.type === "integer" ? "numeric" : "decimal",
        "aria-describedby": describedBy,
      });
      if (typeof field.default === "number") input.value = String(field.default);
      return input;
    }
    case "string": {
      const long = field.maxLength === undefined || field.maxLength > TEXTAREA_FROM;
      const attrs = {
        name,
        id: `field-${name}`,
        maxlength: field.maxLength,
        minlength: field.minLength,
        "aria-describedby": describedBy,
        spellcheck: "false",
      };
      const input = long ? el("textarea", { ...attrs, rows: 3 }) : el("input", { ...attrs, type: "text" });
      if (typeof field.default === "string") input.value = field.default;
      return input;
    }
  }
}

function rangeHint(field: FieldSchema): string {
  const parts: string[] = [];
  if (field.type === "integer" || field.type === "number") {
    const low = field.minimum ?? field.exclusiveMinimum;
    const high = field.maximum ?? field.exclusiveMaximum;
    if (low !== undefined && high !== undefined) parts.push(`${low} to ${high}`);
    else if (low !== undefined) parts.push(`from ${low}`);
    else if (high !== undefined) parts.push(`up to ${high}`);
    if (field.type === "integer") parts.push("whole number");
  }
  if (field.type === "string" && field.maxLength !== undefined) parts.push(`up to ${field.maxLength} characters`);
  if (field.default !== undefined) parts.push(`default ${JSON.stringify(field.default)}`);
  return parts.join(", ");
}

/** Builds the form for `template`'s input schema. */
export function buildTaskForm(template: ModelTemplate): TaskForm {
  const form = el("form", { "data-testid": "task-form", class: "task-form", novalidate: true, autocomplete: "off" });
  const required = new Set(template.input.required ?? []);
  const entries = Object.entries(template.input.properties);
  for (const [name, field] of entries) {
    const hint = rangeHint(field);
    const isCheckbox = field.type === "boolean" && !field.enum;
    const label = el("label", { for: `field-${name}` }, name, required.has(name) ? el("span", { class: "required", title: "required" }, " *") : null);
    const row = el(
      "div",
      { class: isCheckbox ? "form-row checkbox-row" : "form-row" },
      label,
      control(name, field),
      field.description || hint
        ? el("p", { class: "help", id: `field-${name}-help` }, field.description ?? "", field.description && hint ? " " : "", hint ? el("span", { class: "muted" }, `(${hint})`) : null)
        : null,
    );
    form.append(row);
  }
  if (entries.length === 0) form.append(el("p", { class: "muted" }, "This model takes no input."));

  const read = () => {
    const values: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [name, field] of entries) {
      const node = form.elements.namedItem(name);
      if (node instanceof HTMLSelectElement) {
        values[name] = JSON.parse(node.value);
      } else if (node instanceof HTMLInputElement && node.type === "checkbox") {
        values[name] = node.checked;
      } else if (node instanceof HTMLInputElement && node.type === "number") {
        const text = node.value.trim();
        if (node.validity.badInput) problems.push(`${name} must be a number.`);
        else if (text !== "") values[name] = Number(text);
      } else if (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) {
        // Text is sent as typed; an empty optional field without a default is left out.
        if (node.value !== "" || field.default !== undefined || required.has(name)) values[name] = node.value;
      }
    }
    return { values, problems };
  };
  return { form, read };
}
