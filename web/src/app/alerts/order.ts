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

export function sortOpen<T extends Orderable>(alerts: Iterable<T>): T[] {
  return [...alerts].sort(compareOpen);
}
