// Shifts laid out by day in a time zone: the "My shifts" agenda and a schedule's week view.
// A shift crossing midnight shows on each day it touches, cut to that day, and says so.
import { clock, dayKey, startOfDay } from "./zoned";

export interface Span {
  start: string;
  end: string;
}

export interface DayPiece<T extends Span> {
  shift: T;
  from: number;
  until: number;
  /** "09:00–17:00"; "… 24:00" when it runs on into the next day. */
  label: string;
  continuesBefore: boolean;
  continuesAfter: boolean;
}

export interface Day<T extends Span> {
  key: string;
  start: number;
  pieces: DayPiece<T>[];
}

/** The days from `from` (a midnight in the zone) to `until`, each with the pieces of shifts
 * that fall in it, in start order. Days with nothing are kept (a week view shows them). */
export function layOutDays<T extends Span>(shifts: readonly T[], from: number, until: number, timeZone: string): Day<T>[] {
  const sorted = [...shifts].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const days: Day<T>[] = [];
  for (let start = from; start < until; ) {
    const next = Math.min(startOfDay(start, timeZone, 1), until);
    const pieces: DayPiece<T>[] = [];
    for (const shift of sorted) {
      const s = Math.max(Date.parse(shift.start), start);
      const e = Math.min(Date.parse(shift.end), next);
      if (s >= e) continue;
      pieces.push({
        shift,
        from: s,
        until: e,
        label: `${clock(s, timeZone)}–${e === startOfDay(start, timeZone, 1) ? "24:00" : clock(e, timeZone)}`,
        continuesBefore: Date.parse(shift.start) < start,
        continuesAfter: Date.parse(shift.end) > next,
      });
    }
    days.push({ key: dayKey(start, timeZone), start, pieces });
    start = next;
  }
  return days;
}

/** The agenda: only the days that have something. */
export function agenda<T extends Span>(shifts: readonly T[], from: number, until: number, timeZone: string): Day<T>[] {
  return layOutDays(shifts, from, until, timeZone).filter((day) => day.pieces.length > 0);
}

/** How long a shift lasts, e.g. "8 h", "1 d 4 h", "45 min". */
export function duration(span: Span): string {
  const minutes = Math.round((Date.parse(span.end) - Date.parse(span.start)) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60 ? ` ${minutes % 60} min` : "";
  if (hours < 24) return `${hours} h${rest}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ""}${rest}`;
}
