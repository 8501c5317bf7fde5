// The order of the open-alert list: HIGH before LOW, then the newest first within a priority
// (ties by id, newest first, so the order is stable).
export interface Orderable {
  id: string;
  priority: string;
  createdAt: string;
}

const PRIORITY_RANK: Record<string, number> = { HIGH: 0, LOW: 1 };

export function compareOpen(a: Orderable, b: Orderable): number {
  const byPriority = (PRIORITY_RANK[a.priority] ?? 2) - (PRIORITY_RANK[b.priority] ?? 2);
  if (byPriority !== 0) return byPriority;
  const byAge = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (byAge !== 0) return byAge;
  return Number(b.id) - Number(a.id);
}

/** The list in that order. Each alert's keys are worked out once (parsing a date in every
 * comparison parsed 500 dates nine times over). */
export function sortOpen<T extends Orderable>(alerts: Iterable<T>): T[] {
  const keyed = Array.from(alerts, (alert) => ({
    alert,
    rank: PRIORITY_RANK[alert.priority] ?? 2,
    created: Date.parse(alert.createdAt),
    id: Number(alert.id),
  }));
  keyed.sort((a, b) => a.rank - b.rank || b.created - a.created || b.id - a.id);
  return keyed.map((entry) => entry.alert);
}
