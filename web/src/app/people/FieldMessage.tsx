// The server's message beside the field it names, tied to the control so a screen reader reads
// it with the field (aria-describedby) and marks the control invalid.
import type { PlacedError } from "./fieldErrors";

/** Props for the control of form field `name` (its element id is `id`). */
export function fieldProps(id: string, name: string, error: PlacedError | null): { id: string; "aria-invalid"?: true; "aria-describedby"?: string } {
  return error?.field === name ? { id, "aria-invalid": true, "aria-describedby": `${id}-error` } : { id };
}

export function FieldMessage({ id, name, error }: { id: string; name: string; error: PlacedError | null }) {
  if (error?.field !== name) return null;
  return (
    <p id={`${id}-error`} className="field-error">
      {error.text}
    </p>
  );
}

/** The form's result line: what went right, or an error no field owns. */
export function FormResult({ id, error, text }: { id: string; error: PlacedError | null; text: string }) {
  const shown = error && error.field === null ? error.text : text;
  return (
    <p id={id} className={error && error.field === null ? "form-result failed" : "form-result"} role="status" aria-live="polite">
      {shown}
    </p>
  );
}
