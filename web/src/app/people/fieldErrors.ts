// Where a refused change's message goes: the server names the argument or input field at fault
// in `extensions.field` (BAD_USER_INPUT); the console shows the message beside that field, and
// anything it cannot place (a CONFLICT, a network failure, a field the form does not show) in
// the form's own result line.
import type { CombinedError } from "@urql/core";
import { fieldError } from "../shell/fieldErrors";

export interface PlacedError {
  /** The form field the message belongs beside, or null for the form's result line. */
  field: string | null;
  text: string;
}

/** The field the server names, as one of `fields` (the form's own names), or null. Indexes
 * are read as path parts ("rules[1].escalationTimeout" is "rules.1.escalationTimeout"), and a
 * name the form does not show goes to the nearest field containing it that the form does show
 * ("rules.1", then "rules"). */
export function placeError(error: CombinedError, fields: readonly string[]): PlacedError {
  // Which field the server names (or, for older checks, the message starts with): the shell's
  // rule, shared with the other sections; where it goes in this form's fields is decided here.
  const { field: named, message: text } = fieldError(error, fields);
  if (!named) return { field: null, text };
  const parts = named.replace(/\[(\d+)\]/g, ".$1").split(".");
  for (let length = parts.length; length > 0; length--) {
    const candidate = parts.slice(0, length).join(".");
    if (fields.includes(candidate)) return { field: candidate, text };
  }
  return { field: null, text };
}
