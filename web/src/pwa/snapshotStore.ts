// Where the offline snapshot lives: localStorage (small, synchronous, read before the first
// render), written at most once a second however busy the live feed is, and removed at sign-out
// so the next person on this browser never sees it. An urql exchange feeds it from the answers
// the pages already receive: no extra requests, and the pages need not know about it.
import { mapExchange, type Exchange, type OperationResult } from "@urql/core";
import type { AlertFeedSubscription, DashboardQuery, OnCallNowQuery } from "../gql/graphql";
import { emptySnapshot, parseSnapshot, withAlertEvent, withAlertList, withOnCall, type OfflineSnapshot } from "./snapshot";

export const SNAPSHOT_KEY = "pagerline.offline";
const WRITE_EVERY_MS = 1000;

let pending: OfflineSnapshot | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

export function loadSnapshot(): OfflineSnapshot | null {
  return pending ?? parseSnapshot(localStorage.getItem(SNAPSHOT_KEY));
}

function write(): void {
  timer = undefined;
  if (!pending) return;
  try {
    localStorage.setItem(SNAPSHOT_KEY, JSON.stringify(pending));
  } catch {
    // storage full or refused: offline use just has less to show
  }
  pending = null;
}

function save(change: (snapshot: OfflineSnapshot) => OfflineSnapshot): void {
  pending = change(loadSnapshot() ?? emptySnapshot());
  timer ??= setTimeout(write, WRITE_EVERY_MS);
}

export function clearSnapshot(): void {
  clearTimeout(timer);
  timer = undefined;
  pending = null;
  localStorage.removeItem(SNAPSHOT_KEY);
}

function operationName(result: OperationResult): string | undefined {
  for (const definition of result.operation.query.definitions) {
    if (definition.kind === "OperationDefinition") return definition.name?.value;
  }
  return undefined;
}

/** Keeps what the open-alert list and the on-call card receive. */
export const snapshotExchange: Exchange = mapExchange({
  onResult(result) {
    if (result.error || !result.data) return;
    const at = new Date().toISOString();
    switch (operationName(result)) {
      case "Dashboard": {
        const alerts = (result.data as DashboardQuery).alerts.edges.map((edge) => edge.node);
        save((snapshot) => withAlertList(snapshot, alerts, at));
        break;
      }
      case "AlertFeed":
        save((snapshot) => withAlertEvent(snapshot, (result.data as AlertFeedSubscription).alertEvents.alert, at));
        break;
      case "OnCallNow":
        save((snapshot) => withOnCall(snapshot, result.data as OnCallNowQuery, at));
        break;
    }
  },
});
