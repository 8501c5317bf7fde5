// A refused change's message, and the input it is about. The server's BAD_USER_INPUT errors
// carry `extensions.field` naming the argument or input field at fault; forms show the message
// beside that input and nowhere else, and everything else in the form's status line.
import type { CombinedError } from "@urql/core";
import { errorText } from "../shell/errors";

export interface FieldError {
  field: string | null;
  message: string;
}

export function fieldError(error: CombinedError, known: readonly string[] = []): FieldError {
  const first = error.graphQLErrors[0];
  const field = first?.extensions?.["field"];
  const message = errorText(error);
  if (typeof field === "string" && field !== "") return { field, message };
  // Checks that do not name their field in extensions name it first in the message
  // ("alertGroupingWindowSec must be between …", "eventFilter $.and[0].op: …").
  const named = known.find((name) => message.startsWith(`${name} `));
  return { field: named ?? null, message };
}

/** The message for the input `names` stand for (the first given is the input's own name;
 * "input.eventFilter" and "eventFilter" both name the filter), or "" when it is about another. */
export function messageFor(error: FieldError | null, ...names: string[]): string {
  if (!error?.field) return "";
  const field = error.field.replace(/^input\./, "");
  return names.some((name) => field === name || field.startsWith(`${name}.`) || field.startsWith(`${name}[`)) ? error.message : "";
}

/** The message when no input of the form claims it (`names`: every input the form shows). */
export function unclaimed(error: FieldError | null, names: string[]): string {
  if (!error) return "";
  return names.some((name) => messageFor(error, name) !== "") ? "" : error.message;
}
