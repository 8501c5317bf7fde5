// A source's intakeSettings (pagerline/engine/sources/intake_settings.py) as a form: the part
// that the source's integration type reads (email: key pattern, resolve patterns, allowed
// senders; PagerDuty severities; Opsgenie priorities). Saving replaces that part only: the
// stored parts of the other types stay as they are. The server's refusal names a JSON path
// ("intakeSettings.email.resolvePatterns[1]"); it is shown beside the input it points at, a
// pattern or sender by its line.
import type { IntegrationType, Priority } from "../../gql/graphql";

export const PAGERDUTY_SEVERITIES = ["critical", "error", "warning", "info"] as const;
export const OPSGENIE_PRIORITIES = ["P1", "P2", "P3", "P4", "P5"] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];
export type OpsgeniePriority = (typeof OPSGENIE_PRIORITIES)[number];
export type KeyFrom = "SUBJECT" | "BODY";

export const DEFAULT_PAGERDUTY: Readonly<Record<PagerDutySeverity, Priority>> = { critical: "HIGH", error: "HIGH", warning: "LOW", info: "LOW" };
export const DEFAULT_OPSGENIE: Readonly<Record<OpsgeniePriority, Priority>> = { P1: "HIGH", P2: "HIGH", P3: "LOW", P4: "LOW", P5: "LOW" };

export interface EmailForm {
  keyPattern: string;
  keyFrom: KeyFrom;
  /** One per line, as typed. */
  resolvePatterns: string;
  allowedSenders: string;
}

export interface IntakeForm {
  email: EmailForm;
  pagerduty: Record<PagerDutySeverity, Priority>;
  opsgenie: Record<OpsgeniePriority, Priority>;
}

/** The stored JSON's part each type's form edits; null: the type reads no intake settings. */
export type IntakePart = "email" | "pagerdutySeverities" | "opsgeniePriorities";

export function intakePartOf(type: IntegrationType): IntakePart | null {
  switch (type) {
    case "EMAIL":
      return "email";
    case "PAGERDUTY":
      return "pagerdutySeverities";
    case "OPSGENIE":
      return "opsgeniePriorities";
    default:
      return null;
  }
}

function objectOf(raw: unknown): Record<string, unknown> {
  return raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

function strings(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((v): v is string => typeof v === "string") : [];
}

function priorities<K extends string>(raw: unknown, defaults: Readonly<Record<K, Priority>>): Record<K, Priority> {
  const given = objectOf(raw);
  const merged: Record<K, Priority> = { ...defaults };
  for (const name of Object.keys(defaults) as K[]) {
    const value = given[name];
    if (value === "HIGH" || value === "LOW") merged[name] = value;
  }
  return merged;
}

/** The form for stored settings (null: the defaults). */
export function intakeFormFromJson(stored: unknown): IntakeForm {
  const root = objectOf(stored);
  const email = objectOf(root["email"]);
  return {
    email: {
      keyPattern: typeof email["alertKeyPattern"] === "string" ? email["alertKeyPattern"] : "",
      keyFrom: email["alertKeyFrom"] === "BODY" ? "BODY" : "SUBJECT",
      resolvePatterns: strings(email["resolvePatterns"]).join("\n"),
      allowedSenders: strings(email["allowedSenders"]).join("\n"),
    },
    pagerduty: priorities(root["pagerdutySeverities"], DEFAULT_PAGERDUTY),
    opsgenie: priorities(root["opsgeniePriorities"], DEFAULT_OPSGENIE),
  };
}

/** The lines of a one-per-line input that are not blank, with their line numbers (from 1).
 * Patterns keep their spaces (they may mean something); senders are trimmed. */
export function entries(text: string, trim: boolean): { value: string; line: number }[] {
  return text
    .split("\n")
    .map((raw, index) => ({ value: trim ? raw.trim() : raw.replace(/\r$/, ""), line: index + 1 }))
    .filter((entry) => entry.value.trim() !== "");
}

function emailJson(form: EmailForm): Record<string, unknown> | null {
  const json: Record<string, unknown> = {};
  if (form.keyPattern.trim() !== "") json["alertKeyPattern"] = form.keyPattern;
  if (form.keyFrom === "BODY") json["alertKeyFrom"] = "BODY";
  const resolve = entries(form.resolvePatterns, false).map((e) => e.value);
  if (resolve.length) json["resolvePatterns"] = resolve;
  const senders = entries(form.allowedSenders, true).map((e) => e.value);
  if (senders.length) json["allowedSenders"] = senders;
  return Object.keys(json).length ? json : null;
}

/** The intakeSettings to save: `stored` with `part` replaced by the form's (a part with nothing
 * set is left out; nothing at all is null, the defaults). */
export function intakeToJson(form: IntakeForm, part: IntakePart, stored: unknown): Record<string, unknown> | null {
  const json: Record<string, unknown> = { ...objectOf(stored) };
  const value = part === "email" ? emailJson(form.email) : part === "pagerdutySeverities" ? { ...form.pagerduty } : { ...form.opsgenie };
  if (value === null) delete json[part];
  else json[part] = value;
  return Object.keys(json).length ? json : null;
}

/** The inputs of the form, as the error target names them. */
export type IntakeInput =
  | "keyPattern"
  | "keyFrom"
  | "resolvePatterns"
  | "allowedSenders"
  | `pagerduty.${PagerDutySeverity}`
  | `opsgenie.${OpsgeniePriority}`;

const EMAIL_INPUTS: Record<string, { input: IntakeInput; subject: string }> = {
  alertKeyPattern: { input: "keyPattern", subject: "The pattern" },
  alertKeyFrom: { input: "keyFrom", subject: "Where the key is found" },
  resolvePatterns: { input: "resolvePatterns", subject: "The list" },
  allowedSenders: { input: "allowedSenders", subject: "The list" },
};

/** Which input a refusal (extensions.field, and the server's message, which starts with that
 * path) is about, and the text to show beside it: "Line 2 is not a valid regular expression …"
 * for a pattern or sender. null: none of the form's inputs (the form's status line shows it). */
export function intakeErrorTarget(field: string | null, message: string, form: IntakeForm): { input: IntakeInput; text: string } | null {
  if (!field) return null;
  const path = field.replace(/^input\./, "");
  const rest = message.startsWith(`${path} `) ? message.slice(path.length + 1) : null;
  const say = (subject: string) => (rest === null ? message : `${subject} ${rest}`);
  const email = /^intakeSettings\.email\.(\w+)(?:\[(\d+)\])?$/.exec(path);
  if (email) {
    const [, name = "", index] = email;
    const known = EMAIL_INPUTS[name];
    if (!known) return null;
    if (index !== undefined && (known.input === "resolvePatterns" || known.input === "allowedSenders")) {
      const entry = entries(known.input === "resolvePatterns" ? form.email.resolvePatterns : form.email.allowedSenders, known.input === "allowedSenders")[Number(index)];
      return { input: known.input, text: say(entry ? `Line ${entry.line}` : `Entry ${Number(index) + 1}`) };
    }
    return { input: known.input, text: say(known.subject) };
  }
  const level = /^intakeSettings\.(pagerdutySeverities|opsgeniePriorities)\.(\w+)$/.exec(path);
  if (level) {
    const [, map, name = ""] = level;
    if (map === "pagerdutySeverities" && (PAGERDUTY_SEVERITIES as readonly string[]).includes(name)) return { input: `pagerduty.${name as PagerDutySeverity}`, text: say(name) };
    if (map === "opsgeniePriorities" && (OPSGENIE_PRIORITIES as readonly string[]).includes(name)) return { input: `opsgenie.${name as OpsgeniePriority}`, text: say(name) };
  }
  return null;
}
