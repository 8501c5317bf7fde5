// Small form pieces the schedule forms share: a labelled field with the server's message beside
// it, and a date + time pair read on the schedule's clock.
import { memo, type ReactNode } from "react";
import { fromInputs, toInputs } from "../oncall/zoned";

/** A label, the control, and the server's message about it (tied to the control for screen readers). */
export function Field({ id, label, error, children }: { id: string; label: string; error: string | null; children: ReactNode }) {
  return (
    <div className="sched-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error && (
        <p id={`${id}-error`} className="sched-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function describedBy(id: string, error: string | null): string | undefined {
  return error ? `${id}-error` : undefined;
}

export interface When {
  date: string;
  time: string;
}

export const EMPTY_WHEN: When = { date: "", time: "" };

export function whenOf(at: number | string, timeZone: string): When {
  return toInputs(typeof at === "string" ? Date.parse(at) : at, timeZone);
}

/** The ISO instant the pair names on the zone's clock; null when empty or malformed. */
export function isoOf(when: When, timeZone: string): string | null {
  const at = fromInputs(when.date, when.time, timeZone);
  return at === null ? null : new Date(at).toISOString();
}

/** A date input and a time input for one instant, on the schedule's clock. */
export function WhenInputs({
  id, label, value, onChange, required = true, error = null,
}: { id: string; label: string; value: When; onChange: (value: When) => void; required?: boolean; error?: string | null }) {
  return (
    <fieldset className="sched-when" aria-describedby={describedBy(id, error)}>
      <legend>{label}</legend>
      <label htmlFor={`${id}-date`}>{label} date</label>
      <input id={`${id}-date`} type="date" required={required} value={value.date} onChange={(event) => onChange({ ...value, date: event.currentTarget.value })} />
      <label htmlFor={`${id}-time`}>{label} time</label>
      <input id={`${id}-time`} type="time" required={required} value={value.time} onChange={(event) => onChange({ ...value, time: event.currentTarget.value })} />
      {error && (
        <p id={`${id}-error`} className="sched-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** Time zones the browser knows, for the time zone field's suggestions. */
export function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return ["UTC", ...(intl.supportedValuesOf?.("timeZone") ?? [])];
}

/** The zone suggestions (some 400): drawn once, not again at every change of the form. */
export const ZoneList = memo(function ZoneList({ id }: { id: string }) {
  return (
    <datalist id={id}>
      {knownZones().map((zone) => (
        <option key={zone} value={zone} />
      ))}
    </datalist>
  );
});
