// The server's refusal of a form, kept with the field it names (`extensions.field`), so the
// message is shown beside that field; one that names none is shown under the form.
import type { CombinedError } from "@urql/core";
import { errorText } from "../shell/errors";

export interface FormError {
  field: string | null;
  message: string;
}

export function formError(error: CombinedError): FormError {
  const field = error.graphQLErrors[0]?.extensions?.["field"];
  return { field: typeof field === "string" ? field : null, message: errorText(error) };
}

/** Whether the server's field is `name` or a part of it ("restrictions[1].startTime" is part
 * of "restrictions"). */
function within(field: string, name: string): boolean {
  return field === name || field.startsWith(`${name}[`) || field.startsWith(`${name}.`);
}

/** The message for `field` (any of its names: the argument and the input field may differ). */
export function messageFor(error: FormError | null, ...fields: string[]): string | null {
  const field = error?.field;
  return error && field != null && fields.some((name) => within(field, name)) ? error.message : null;
}

/** The message no field of the form shows. */
export function unplacedMessage(error: FormError | null, shownFields: string[]): string | null {
  if (!error) return null;
  return messageFor(error, ...shownFields) === null ? error.message : null;
}
