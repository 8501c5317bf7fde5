// Support hours as form rows and the JSON the server takes (docs/concepts/sources.md, "Support
// hours"): weekly windows [{day, start, end}] and exceptions that replace a whole date, closed
// or with hours of their own.

export const WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyRow {
  day: Weekday;
  start: string;
  end: string;
}

export interface ExceptionRow {
  date: string;
  closed: boolean;
  start: string;
  end: string;
}

/** Monday to Friday, 09:00 to 17:00: what a new set of hours starts from. */
export function officeHours(): WeeklyRow[] {
  return WEEKDAYS.slice(0, 5).map((day) => ({ day, start: "09:00", end: "17:00" }));
}

export function weeklyFromJson(raw: unknown): WeeklyRow[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const { day, start, end } = item as Record<string, unknown>;
    if (!(WEEKDAYS as readonly unknown[]).includes(day) || typeof start !== "string" || typeof end !== "string") return [];
    return [{ day: day as Weekday, start, end }];
  });
}

export function exceptionsFromJson(raw: unknown): ExceptionRow[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const { date, closed, start, end } = item as Record<string, unknown>;
    if (typeof date !== "string") return [];
    return [{ date, closed: closed === true, start: typeof start === "string" ? start : "", end: typeof end === "string" ? end : "" }];
  });
}

export function exceptionsToJson(rows: ExceptionRow[]): Array<Record<string, unknown>> {
  return rows.map((row) => (row.closed ? { date: row.date, closed: true } : { date: row.date, start: row.start, end: row.end }));
}

/** "Mon 09:00–17:00, Tue 09:00–17:00": the weekly windows as a line of text. */
export function describeWeekly(rows: WeeklyRow[]): string {
  if (rows.length === 0) return "no weekly hours";
  return rows.map((row) => `${row.day.slice(0, 1)}${row.day.slice(1, 3).toLowerCase()} ${row.start}–${row.end}`).join(", ");
}
