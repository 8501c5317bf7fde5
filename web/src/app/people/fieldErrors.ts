// Where a refused change's message goes: the server names the argument or input field at fault
// in `extensions.field` (BAD_USER_INPUT); the console shows the message beside that field, and
// anything it cannot place (a CONFLICT, a network failure, a field the form does not show) in
// the form's own result line.
import type { CombinedError } from "@urql/core";
import { errorText } from "../shell/errors";

export interface PlacedError {
  /** The form field the message belongs beside, or null for the form's result line. */
  field: string | null;
  text: string;
}

/** The field the server names, as one of `fields` (the form's own names), or null.
 * Nested names ("rules.1.escalationTimeout", "rules[1]") count for the field they start with
 * when only that is shown. */
export function placeError(error: CombinedError, fields: readonly string[]): PlacedError {
  const text = errorText(error);
  const named = error.graphQLErrors[0]?.extensions?.["field"];
  if (typeof named !== "string" || !named) return { field: null, text };
  if (fields.includes(named)) return { field: named, text };
  const head = /^[^.[]+/.exec(named)?.[0] ?? named;
  // Each level of a policy is a form field of its own: "rules.1.…" belongs beside "rules.1".
  const indexed = /^([^.[]+)[.[](\d+)/.exec(named);
  if (indexed && fields.includes(`${indexed[1]}.${indexed[2]}`)) return { field: `${indexed[1]}.${indexed[2]}`, text };
  return { field: fields.includes(head) ? head : null, text };
}
