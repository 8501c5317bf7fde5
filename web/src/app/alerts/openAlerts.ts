// The open-alert list as the page keeps it: the snapshot the Dashboard query brought, changed
// by every live event since. Pure, so the rules are tested on their own:
//
// - Every change to an alert adds a timeline entry, so of two copies the one whose newest entry
//   has the larger id is newer: a late answer never overwrites a newer event.
// - Resolved is final (a new event opens a new alert), so a late snapshot cannot bring one back.
// - A snapshot drops the alerts it does not list (resolved while the page was away), except one
//   written after the snapshot's request started (an event that arrived meanwhile).

export interface OpenAlert {
  id: string;
  status: string;
  latestLogEntry: { id: string } | null;
}

interface Kept<T> {
  alert: T;
  /** The clock when this copy was written. */
  touched: number;
}

export interface OpenAlerts<T extends OpenAlert> {
  byId: ReadonlyMap<string, Kept<T>>;
  resolved: ReadonlySet<string>;
  clock: number;
}

const OPEN = new Set(["PENDING", "ACCEPTED"]);

export function emptyOpenAlerts<T extends OpenAlert>(): OpenAlerts<T> {
  return { byId: new Map(), resolved: new Set(), clock: 0 };
}

/** A tick of the clock: call when a snapshot request starts, pass it to applySnapshot. */
export function tick<T extends OpenAlert>(state: OpenAlerts<T>): [OpenAlerts<T>, number] {
  const clock = state.clock + 1;
  return [{ ...state, clock }, clock];
}

const newestEntry = (alert: OpenAlert): number => Number(alert.latestLogEntry?.id ?? 0);

function put<T extends OpenAlert>(byId: Map<string, Kept<T>>, resolved: Set<string>, alert: T, touched: number): void {
  if (alert.status === "RESOLVED") resolved.add(alert.id);
  if (!OPEN.has(alert.status) || resolved.has(alert.id)) {
    byId.delete(alert.id);
    return;
  }
  const known = byId.get(alert.id);
  if (known && newestEntry(alert) < newestEntry(known.alert)) return;
  byId.set(alert.id, { alert, touched: Math.max(touched, known?.touched ?? 0) });
}

/** One alert as an event or a mutation's answer brought it. */
export function upsert<T extends OpenAlert>(state: OpenAlerts<T>, alert: T): OpenAlerts<T> {
  const clock = state.clock + 1;
  const byId = new Map(state.byId);
  const resolved = new Set(state.resolved);
  put(byId, resolved, alert, clock);
  return { byId, resolved, clock };
}

/** The open alerts as the server listed them in a request that started at `startedAt`. */
export function applySnapshot<T extends OpenAlert>(state: OpenAlerts<T>, list: readonly T[], startedAt: number): OpenAlerts<T> {
  const listed = new Set(list.map((alert) => alert.id));
  const byId = new Map(state.byId);
  const resolved = new Set(state.resolved);
  for (const [id, kept] of byId) {
    if (!listed.has(id) && kept.touched <= startedAt) byId.delete(id);
  }
  for (const alert of list) put(byId, resolved, alert, startedAt);
  return { byId, resolved, clock: state.clock };
}

export function openAlertList<T extends OpenAlert>(state: OpenAlerts<T>): T[] {
  return [...state.byId.values()].map((kept) => kept.alert);
}
