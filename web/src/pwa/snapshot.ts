// The last data the app saw, kept for when it opens without a connection: the open-alert list
// (the Dashboard snapshot, changed by every AlertFeed event after it) and who is on call
// (OnCallNow), each with the time it was true. Shown only as "last known, as of …" (the stale
// view); never fed back into the live pages. Pure functions here; storage in snapshotStore.ts.
import type { AlertListItemFragment, OnCallNowQuery } from "../gql/graphql";

export interface Kept<T> {
  /** When the server said so (ISO instant, the browser's clock). */
  savedAt: string;
  value: T;
}

export interface OfflineSnapshot {
  version: 1;
  alerts: Kept<AlertListItemFragment[]> | null;
  onCall: Kept<OnCallNowQuery> | null;
}

export const emptySnapshot = (): OfflineSnapshot => ({ version: 1, alerts: null, onCall: null });

const OPEN: ReadonlySet<string> = new Set(["PENDING", "ACCEPTED"]);

export function withAlertList(snapshot: OfflineSnapshot, alerts: AlertListItemFragment[], at: string): OfflineSnapshot {
  return { ...snapshot, alerts: { savedAt: at, value: alerts.filter((alert) => OPEN.has(alert.status)) } };
}

/** A live event: the alert replaces its copy (unless the kept copy is newer), or leaves the list
 * once resolved. Before any list was kept an event alone says nothing about the others: ignored. */
export function withAlertEvent(snapshot: OfflineSnapshot, alert: AlertListItemFragment, at: string): OfflineSnapshot {
  if (!snapshot.alerts) return snapshot;
  const others = snapshot.alerts.value.filter((kept) => kept.id !== alert.id);
  const kept = snapshot.alerts.value.find((entry) => entry.id === alert.id);
  if (kept && Number(kept.latestLogEntry?.id ?? 0) > Number(alert.latestLogEntry?.id ?? 0)) return snapshot;
  const value = OPEN.has(alert.status) ? [...others, alert] : others;
  return { ...snapshot, alerts: { savedAt: at, value } };
}

export function withOnCall(snapshot: OfflineSnapshot, onCall: OnCallNowQuery, at: string): OfflineSnapshot {
  return { ...snapshot, onCall: { savedAt: at, value: onCall } };
}

const isKept = (value: unknown): value is Kept<unknown> =>
  typeof value === "object" && value !== null && typeof (value as Kept<unknown>).savedAt === "string" && !Number.isNaN(Date.parse((value as Kept<unknown>).savedAt));

/** What storage held, if it is a snapshot this version wrote; anything else is dropped. */
export function parseSnapshot(text: string | null): OfflineSnapshot | null {
  if (!text) return null;
  try {
    const raw = JSON.parse(text) as Partial<OfflineSnapshot>;
    if (raw.version !== 1) return null;
    const alerts = isKept(raw.alerts) && Array.isArray(raw.alerts.value) ? raw.alerts : null;
    const onCall = isKept(raw.onCall) && typeof raw.onCall.value === "object" && raw.onCall.value !== null ? raw.onCall : null;
    return { version: 1, alerts, onCall };
  } catch {
    return null;
  }
}
