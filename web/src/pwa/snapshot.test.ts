import { describe, expect, it } from "vitest";
import type { AlertListItemFragment } from "../gql/graphql";
import { emptySnapshot, parseSnapshot, withAlertEvent, withAlertList, withOnCall } from "./snapshot";

function alert(id: string, status: string, logId: string): AlertListItemFragment {
  return {
    id,
    summary: `alert ${id}`,
    status: status as AlertListItemFragment["status"],
    priority: "HIGH",
    createdAt: "2026-03-01T10:00:00Z",
    escalationLevel: 1,
    source: { name: "api" },
    latestLogEntry: { id: logId, kind: "CREATED", text: "created", at: "2026-03-01T10:00:00Z" },
  } as AlertListItemFragment;
}

const T1 = "2026-03-01T10:00:00.000Z";
const T2 = "2026-03-01T10:05:00.000Z";

describe("the offline snapshot", () => {
  it("keeps the list, then follows the live events", () => {
    let snapshot = withAlertList(emptySnapshot(), [alert("1", "PENDING", "10"), alert("2", "PENDING", "11")], T1);
    snapshot = withAlertEvent(snapshot, alert("1", "ACCEPTED", "12"), T2);
    snapshot = withAlertEvent(snapshot, alert("2", "RESOLVED", "13"), T2);
    snapshot = withAlertEvent(snapshot, alert("3", "PENDING", "14"), T2);
    expect(snapshot.alerts?.savedAt).toBe(T2);
    expect(snapshot.alerts?.value.map((a) => [a.id, a.status])).toEqual([
      ["1", "ACCEPTED"],
      ["3", "PENDING"],
    ]);
  });

  it("never lets a late, older copy replace a newer one", () => {
    const snapshot = withAlertList(emptySnapshot(), [alert("1", "ACCEPTED", "12")], T1);
    expect(withAlertEvent(snapshot, alert("1", "PENDING", "10"), T2)).toBe(snapshot);
  });

  it("ignores events before any list was kept", () => {
    const empty = emptySnapshot();
    expect(withAlertEvent(empty, alert("1", "PENDING", "1"), T1).alerts).toBeNull();
  });

  it("reads back what it wrote and drops anything else", () => {
    const snapshot = withOnCall(withAlertList(emptySnapshot(), [alert("1", "PENDING", "1")], T1), { onCall: [], onCallByPolicy: [] }, T2);
    expect(parseSnapshot(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(parseSnapshot(null)).toBeNull();
    expect(parseSnapshot("{not json")).toBeNull();
    expect(parseSnapshot(JSON.stringify({ version: 2 }))).toBeNull();
    expect(parseSnapshot(JSON.stringify({ version: 1, alerts: { savedAt: "yesterday", value: [] }, onCall: null }))).toEqual(emptySnapshot());
  });
});
