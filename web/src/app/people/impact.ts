// What deactivating someone leaves uncovered, arranged for reading before confirming: the gaps
// grouped by schedule (with how long they add up to) and the policy levels left with nobody,
// named as the console names them ("Ops policy, level 2").

export interface Gap {
  schedule: { id: string; name: string };
  start: string;
  end: string;
}

export interface EmptyLevel {
  policy: { id: string; name: string; rules: { position: number }[] };
  position: number;
}

export interface ScheduleGaps {
  schedule: { id: string; name: string };
  gaps: { start: string; end: string }[];
  /** Milliseconds with nobody on call, all gaps together. */
  total: number;
}

/** The gaps by schedule, schedules in the order the server gives their first gap, each
 * schedule's gaps in time order. */
export function gapsBySchedule(gaps: Gap[]): ScheduleGaps[] {
  const bySchedule = new Map<string, ScheduleGaps>();
  for (const gap of gaps) {
    let entry = bySchedule.get(gap.schedule.id);
    if (!entry) {
      entry = { schedule: gap.schedule, gaps: [], total: 0 };
      bySchedule.set(gap.schedule.id, entry);
    }
    entry.gaps.push({ start: gap.start, end: gap.end });
    entry.total += Date.parse(gap.end) - Date.parse(gap.start);
  }
  for (const entry of bySchedule.values()) entry.gaps.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return [...bySchedule.values()];
}

/** "3 d 4 h", "5 h 30 min", "45 min": a length to the minute, largest units first. */
export function durationText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const parts = [days ? `${days} d` : "", hours ? `${hours} h` : "", rest && !days ? `${rest} min` : ""].filter(Boolean);
  return parts.length ? parts.join(" ") : "0 min";
}

/** The level as the policy page numbers it: its rank among the policy's rules, from 1. */
export function levelNumber(level: EmptyLevel): number {
  const positions = level.policy.rules.map((rule) => rule.position).sort((a, b) => a - b);
  const rank = positions.indexOf(level.position);
  return rank >= 0 ? rank + 1 : level.position + 1;
}

export function levelText(level: EmptyLevel): string {
  return `${level.policy.name}, level ${levelNumber(level)}`;
}
