// Calendar arithmetic in a named time zone (the viewer's, from their profile), with nothing but
// Intl: a day is [its midnight, the next midnight) in that zone, so 23- and 25-hour days at a
// daylight-saving change come out right.

export interface ZonedParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  weekday: number; // 0 = Monday … 6 = Sunday
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock reading of the instant `at` (ms) in `timeZone`. */
export function zonedParts(at: number, timeZone: string): ZonedParts & { second: number } {
  const parts: Record<string, string> = {};
  for (const part of partsFormatter(timeZone).formatToParts(new Date(at))) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ""),
  };
}

/** The zone's offset from UTC at the instant `at`, in ms (positive east of Greenwich). */
function offsetAt(at: number, timeZone: string): number {
  const p = zonedParts(at, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(at / 1000) * 1000;
}

/** The instant at which the wall clock of `timeZone` reads this date and time. A time skipped by
 * a daylight-saving change resolves to the same wall time under the offset before the change. */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Two rounds: the first offset is a guess taken at the wrong instant near a change.
  const first = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(first, timeZone);
}

/** "YYYY-MM-DD" of the instant in the zone: the key shifts are grouped under. */
export function dayKey(at: number, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

/** Midnight in the zone of the day `at` falls in, `days` days later (may be negative). */
export function startOfDay(at: number, timeZone: string, days = 0): number {
  const p = zonedParts(at, timeZone);
  // Date.UTC normalises an overflowing day of the month.
  const target = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return zonedInstant(target.getUTCFullYear(), target.getUTCMonth() + 1, target.getUTCDate(), 0, 0, timeZone);
}

/** Monday 00:00 in the zone of the week `at` falls in, `weeks` weeks later. */
export function startOfWeek(at: number, timeZone: string, weeks = 0): number {
  return startOfDay(at, timeZone, -zonedParts(at, timeZone).weekday + 7 * weeks);
}

/** "HH:MM" on the zone's clock. */
export function clock(at: number, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${String(p.hour).padStart(2, "0")}:${String(p.minute).padStart(2, "0")}`;
}

/** A day's heading, e.g. "Mon 7 Dec 2026". */
export function dayTitle(at: number, timeZone: string, locale?: string): string {
  return new Date(at).toLocaleDateString(locale, { timeZone, weekday: "short", day: "numeric", month: "short", year: "numeric" });
}

/** Whether the browser knows the zone (a profile may name one it does not). */
export function knownZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The values of a date input and a time input showing the instant in the zone. */
export function toInputs(at: number, timeZone: string): { date: string; time: string } {
  return { date: dayKey(at, timeZone), time: clock(at, timeZone) };
}

/** The instant a date input ("YYYY-MM-DD") and a time input ("HH:MM") name in the zone, or
 * null when either is empty or malformed. */
export function fromInputs(date: string, time: string, timeZone: string): number | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const clockTime = /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(time);
  if (!day || !clockTime) return null;
  const [year, month, dayOfMonth, hour, minute] = [day[1], day[2], day[3], clockTime[1], clockTime[2]].map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > 31 || hour > 23 || minute > 59) return null;
  return zonedInstant(year, month, dayOfMonth, hour, minute, timeZone);
}
