// Notification rules as the Me page edits them: rows per priority, checked before saving.
import type { NotificationMethod, Priority } from "../../gql/graphql";

export const METHODS: readonly NotificationMethod[] = ["PUSH", "SMS", "VOICE", "EMAIL", "NTFY", "PUSHOVER", "TELEGRAM"];

/** How a method (or a contact method's kind) is named on screen: the apps by their own names. */
export const METHOD_LABELS: Record<NotificationMethod, string> = {
  PUSH: "Push", SMS: "SMS", VOICE: "Voice call", EMAIL: "Email", NTFY: "ntfy", PUSHOVER: "Pushover", TELEGRAM: "Telegram",
};
export const MAX_DELAY = 120;

export interface RuleRow {
  key: number;
  method: NotificationMethod;
  delay: string; // as typed
  priority: Priority;
}

let nextKey = 1;
export function newRow(method: NotificationMethod, delay: number, priority: Priority): RuleRow {
  return { key: nextKey++, method, delay: String(delay), priority };
}

/** Rows soonest first (how the server plans them): done when loaded, not while typing, so a
 * row does not move under the cursor. */
export function sortRows(rows: readonly RuleRow[]): RuleRow[] {
  return [...rows].sort((a, b) => Number(a.delay) - Number(b.delay));
}

/** The rows of one priority, in the order they are edited. */
export function rowsOf(rows: readonly RuleRow[], priority: Priority): RuleRow[] {
  return rows.filter((row) => row.priority === priority);
}

/** The rules to save, or what is wrong with a row. */
export function checkRules(rows: readonly RuleRow[]): { rules: { method: NotificationMethod; delayMin: number; priority: Priority }[] } | { problem: string } {
  const rules = [];
  for (const row of rows) {
    const delay = Number(row.delay);
    if (row.delay.trim() === "" || !Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY)
      return { problem: `A delay is whole minutes from 0 to ${MAX_DELAY} (${row.priority.toLowerCase()} ${row.method.toLowerCase()}: "${row.delay}").` };
    rules.push({ method: row.method, delayMin: delay, priority: row.priority });
  }
  return { rules };
}
