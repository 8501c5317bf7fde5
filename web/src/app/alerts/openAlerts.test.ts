import { describe, expect, it } from "vitest";
import { applySnapshot, emptyOpenAlerts, openAlertList, tick, upsert } from "./openAlerts";

const alert = (id: string, status: string, entry: number) => ({ id, status, latestLogEntry: { id: String(entry) } });
const ids = (state: Parameters<typeof openAlertList>[0]) => openAlertList(state).map((a) => `${a.id}:${a.status}`).sort();

describe("open alerts", () => {
  it("keeps the newer copy of an alert whatever order they arrive in", () => {
    let state = upsert(emptyOpenAlerts(), alert("1", "ACCEPTED", 5));
    state = upsert(state, alert("1", "PENDING", 3)); // a late answer
    expect(ids(state)).toEqual(["1:ACCEPTED"]);
  });

  it("never brings a resolved alert back", () => {
    let state = upsert(emptyOpenAlerts(), alert("1", "PENDING", 1));
    state = upsert(state, alert("1", "RESOLVED", 2));
    const [started, at] = tick(state);
    state = applySnapshot(started, [alert("1", "PENDING", 1)], at);
    expect(ids(state)).toEqual([]);
  });

  it("drops what a snapshot no longer lists, but not an event that came in while it was asked", () => {
    let state = upsert(emptyOpenAlerts(), alert("1", "PENDING", 1));
    state = upsert(state, alert("2", "PENDING", 2));
    const [started, at] = tick(state);
    state = upsert(started, alert("3", "PENDING", 3)); // live, after the request started
    state = applySnapshot(state, [alert("2", "PENDING", 2)], at);
    expect(ids(state)).toEqual(["2:PENDING", "3:PENDING"]);
  });
});
