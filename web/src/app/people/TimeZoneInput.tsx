// A time zone: typed, with the browser's list of zones offered as suggestions (the server checks
// the name and says beside the field when it does not know it).
import { useMemo } from "react";
import type { PlacedError } from "./fieldErrors";
import { FieldMessage, fieldProps } from "./FieldMessage";

function zones(): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...known.filter((zone) => zone !== "UTC")];
}

export function TimeZoneInput({ id, defaultValue, error }: { id: string; defaultValue: string; error: PlacedError | null }) {
  const options = useMemo(zones, []);
  return (
    <>
      <label htmlFor={id}>Time zone</label>
      <input name="timezone" list={`${id}-zones`} required autoComplete="off" defaultValue={defaultValue} {...fieldProps(id, "timezone", error)} />
      <datalist id={`${id}-zones`}>
        {options.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <FieldMessage id={id} name="timezone" error={error} />
    </>
  );
}
