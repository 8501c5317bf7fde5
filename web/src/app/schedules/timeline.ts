// The schedule timeline's geometry, in the schedule's own time zone: the window (`?from=`,
// `?weeks=`), its weeks and days, and each shift cut into pieces placed along its week. A piece's
// place is its share of the week's real length, so a day of 23 or 25 hours at a daylight-saving
// change is drawn narrower or wider, and a handoff at 09:00 local sits at 09:00 on both sides.
import { dayKey, startOfDay, startOfWeek, zonedInstant, zonedParts } from "../oncall/zoned";

export const MIN_WEEKS = 1;
export const MAX_WEEKS = 4;
export const DEFAULT_WEEKS = 2;

export interface Span {
  start: string;
  end: string;
}

export interface Window {
  from: number;
  until: number;
  weeks: number;
}

export interface TimelineDay {
  key: string;
  start: number;
  end: number;
  hours: number;
  /** "Mon 7 Dec" */
  title: string;
}

export interface TimelineWeek {
  start: number;
  end: number;
  days: TimelineDay[];
}

export interface Piece<T extends Span> {
  item: T;
  /** Where the piece starts and how wide it is, as percentages of its week. */
  left: number;
  width: number;
  continuesBefore: boolean;
  continuesAfter: boolean;
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The window the address asks for: `from` a date (its midnight in the zone; by default this
 * week's Monday), `weeks` 1 to 4 (anything else: the default). */
export function timelineWindow(params: URLSearchParams, now: number, timeZone: string): Window {
  const asked = Number(params.get("weeks"));
  const weeks = Number.isInteger(asked) && asked >= MIN_WEEKS && asked <= MAX_WEEKS ? asked : DEFAULT_WEEKS;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(params.get("from") ?? "");
  const from = date ? zonedInstant(Number(date[1]), Number(date[2]), Number(date[3]), 0, 0, timeZone) : startOfWeek(now, timeZone);
  return { from, until: startOfDay(from, timeZone, 7 * weeks), weeks };
}

/** The `from` date of the window `weeks` weeks before or after this one. */
export function shiftedFrom(window: Window, timeZone: string, weeks: number): string {
  return dayKey(startOfDay(window.from, timeZone, 7 * weeks), timeZone);
}

/** "Mon 7 Dec" on the zone's calendar. */
export function dayLabel(at: number, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${WEEKDAYS[p.weekday]} ${p.day} ${MONTHS[p.month - 1]}`;
}

// A timeline writes the same handoff instants many times (each piece, its tooltip, the list),
// and each reading of the zone's clock is an Intl call: they are kept, a few thousand at most.
const labels = new Map<string, string>();

/** "Mon 7 Dec 09:00" on the zone's calendar and clock. */
export function instantLabel(at: number, timeZone: string): string {
  const key = `${timeZone} ${at}`;
  let label = labels.get(key);
  if (label === undefined) {
    const p = zonedParts(at, timeZone);
    label = `${WEEKDAYS[p.weekday]} ${p.day} ${MONTHS[p.month - 1]} ${String(p.hour).padStart(2, "0")}:${String(p.minute).padStart(2, "0")}`;
    if (labels.size > 5000) labels.clear();
    labels.set(key, label);
  }
  return label;
}

/** "Mon 7 Dec 09:00 – Tue 8 Dec 09:00": a span as text, for the lists and screen readers. */
export function spanLabel(span: Span, timeZone: string): string {
  return `${instantLabel(Date.parse(span.start), timeZone)} – ${instantLabel(Date.parse(span.end), timeZone)}`;
}

/** The window's weeks (seven days each from `from`), each day with its real length. */
export function timelineWeeks(window: Window, timeZone: string): TimelineWeek[] {
  const weeks: TimelineWeek[] = [];
  for (let index = 0; index < window.weeks; index++) {
    const start = startOfDay(window.from, timeZone, 7 * index);
    const days: TimelineDay[] = [];
    for (let day = 0; day < 7; day++) {
      const dayStart = startOfDay(start, timeZone, day);
      const dayEnd = startOfDay(dayStart, timeZone, 1);
      days.push({ key: dayKey(dayStart, timeZone), start: dayStart, end: dayEnd, hours: (dayEnd - dayStart) / 3_600_000, title: dayLabel(dayStart, timeZone) });
    }
    weeks.push({ start, end: days[6]?.end ?? start, days });
  }
  return weeks;
}

/** The pieces of `items` that fall in the week, in start order, placed along it. */
export function piecesIn<T extends Span>(items: readonly T[], week: { start: number; end: number }): Piece<T>[] {
  const length = week.end - week.start;
  const pieces: Piece<T>[] = [];
  for (const item of items) {
    const start = Date.parse(item.start);
    const end = Date.parse(item.end);
    const from = Math.max(start, week.start);
    const until = Math.min(end, week.end);
    if (from >= until) continue;
    pieces.push({
      item,
      left: ((from - week.start) / length) * 100,
      width: ((until - from) / length) * 100,
      continuesBefore: start < week.start,
      continuesAfter: end > week.end,
    });
  }
  return pieces.sort((a, b) => a.left - b.left);
}
