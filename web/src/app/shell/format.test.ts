import { expect, it } from "vitest";
import { formatClock, formatTime, relativeTime } from "./format";

it("formats in the given zone", () => {
  expect(formatTime("2026-03-29T00:30:00Z", "en-GB", "Europe/Berlin")).toBe("29/03/2026, 01:30:00");
  expect(formatTime("2026-03-29T01:30:00Z", "en-GB", "Europe/Berlin")).toBe("29/03/2026, 03:30:00");
});

it("says how far a time is from now", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  expect(relativeTime("2026-01-01T12:05:00Z", now)).toBe("in 5 min");
  expect(relativeTime("2026-01-01T11:00:00Z", now)).toBe("60 min ago");
  expect(relativeTime("2026-01-01T15:00:00Z", now)).toBe("in 3 h");
  expect(relativeTime("2026-01-01T12:00:20Z", now)).toBe("now");
});

it("keeps one formatter per zone: another zone is not answered from the first's", () => {
  expect(formatTime("2026-03-29T00:30:00Z", "en-GB", "Europe/Berlin")).toBe("29/03/2026, 01:30:00");
  expect(formatTime("2026-03-29T00:30:00Z", "en-GB", "UTC")).toBe("29/03/2026, 00:30:00");
  expect(formatTime("2026-03-29T00:30:00Z", "en-GB", "Europe/Berlin")).toBe("29/03/2026, 01:30:00");
});

it("gives a clock time as HH:MM in the given zone, 24-hour whatever the locale", () => {
  expect(formatClock("2026-03-29T00:58:00Z", "en-US", "Europe/Berlin")).toBe("01:58");
  expect(formatClock("2026-03-29T01:02:00Z", "en-US", "Europe/Berlin")).toBe("03:02");
  expect(formatClock("2026-03-29T13:05:00Z", "en-GB", "UTC")).toBe("13:05");
});

it("answers a time formatted before from what it kept, and stays right past the bound", () => {
  const base = Date.parse("2026-01-01T00:00:00Z");
  const expected = (ms: number) => new Intl.DateTimeFormat("en-GB", { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" }).format(ms);
  // More distinct times than are kept, then the first ones again: each text is still its own time's.
  for (let i = 0; i < 6_000; i += 1) formatTime(new Date(base + i * 1000).toISOString(), "en-GB", "UTC");
  for (const i of [0, 1, 5_999]) {
    expect(formatTime(new Date(base + i * 1000).toISOString(), "en-GB", "UTC")).toBe(expected(base + i * 1000));
  }
});
