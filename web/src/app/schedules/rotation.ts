// A layer's rotation length as the form shows it (a count of hours, days or weeks) and as the
// server takes it (an ISO-8601 duration: "PT12H", "P1D", "P7D"). The server accepts more shapes
// (minutes, mixed parts); those are shown as they are and kept when the form leaves them alone.

export type RotationUnit = "hours" | "days" | "weeks";

export interface RotationLength {
  count: number;
  unit: RotationUnit;
}

/** The form's reading of an ISO duration, or null for one it cannot show as a single unit. */
export function parseRotation(text: string): RotationLength | null {
  const days = /^P(\d+)D$/.exec(text);
  if (days) {
    const count = Number(days[1]);
    return count % 7 === 0 && count > 0 ? { count: count / 7, unit: "weeks" } : { count, unit: "days" };
  }
  const weeks = /^P(\d+)W$/.exec(text);
  if (weeks) return { count: Number(weeks[1]), unit: "weeks" };
  const hours = /^PT(\d+)H$/.exec(text);
  if (hours) return { count: Number(hours[1]), unit: "hours" };
  return null;
}

/** The ISO duration of a count of a unit (weeks are sent as days, which every reader knows). */
export function formatRotation({ count, unit }: RotationLength): string {
  if (unit === "hours") return `PT${count}H`;
  return `P${unit === "weeks" ? count * 7 : count}D`;
}

/** "1 week", "12 hours", or the ISO text itself when it is not a single unit. */
export function describeRotation(text: string): string {
  const length = parseRotation(text);
  if (!length) return text;
  const unit = length.count === 1 ? length.unit.slice(0, -1) : length.unit;
  return `${length.count} ${unit}`;
}
