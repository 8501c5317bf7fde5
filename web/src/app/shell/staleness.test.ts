import { expect, it } from "vitest";
import { LIVE, lost, openedWith, refreshed } from "./staleness";

const AT = "2026-03-29T00:58:00Z";
const LATER = "2026-03-29T01:02:00Z";

it("is stale from the first loss until a refetch started after it answers", () => {
  const down = lost(LIVE, AT);
  expect(down.since).toBe(AT);
  const again = lost(down, LATER); // reconnected and lost again before the refetch answered
  expect(again.since).toBe(AT);
  const epoch = again.epoch;
  expect(refreshed(again, epoch).since).toBeNull();
});

it("ignores an answer that was in flight when the connection dropped", () => {
  const startedLive = LIVE.epoch;
  const down = lost(LIVE, AT);
  expect(refreshed(down, startedLive)).toEqual(down);
  expect(refreshed(down, down.epoch).since).toBeNull();
});

it("a page opened while the connection is down is stale from when it went down", () => {
  expect(openedWith(null)).toEqual(LIVE);
  const opened = openedWith(AT);
  expect(opened.since).toBe(AT);
  expect(refreshed(opened, LIVE.epoch)).toEqual(opened);
  expect(refreshed(opened, opened.epoch).since).toBeNull();
});
