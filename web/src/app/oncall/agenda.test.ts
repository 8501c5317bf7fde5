import { expect, it } from "vitest";
import { agenda, duration, layOutDays } from "./agenda";
import { startOfDay } from "./zoned";

const shift = (start: string, end: string, who = "Alice") => ({ start, end, who });

it("cuts a night shift at the zone's midnight and shows it on both days", () => {
  const tz = "Europe/Berlin";
  const from = startOfDay(Date.parse("2026-12-07T12:00:00Z"), tz);
  const days = agenda([shift("2026-12-07T19:00:00Z", "2026-12-08T07:00:00Z")], from, startOfDay(from, tz, 28), tz);
  expect(days.map((day) => [day.key, day.pieces.map((p) => p.label), day.pieces[0]?.continuesAfter, day.pieces[0]?.continuesBefore])).toEqual([
    ["2026-12-07", ["20:00–24:00"], true, false],
    ["2026-12-08", ["00:00–08:00"], false, true],
  ]);
});

it("keeps empty days in a week view and orders each day's shifts by start", () => {
  const tz = "UTC";
  const monday = Date.parse("2026-12-07T00:00:00Z");
  const days = layOutDays(
    [shift("2026-12-09T12:00:00Z", "2026-12-09T18:00:00Z", "Bob"), shift("2026-12-09T00:00:00Z", "2026-12-09T12:00:00Z", "Alice")],
    monday,
    startOfDay(monday, tz, 7),
    tz,
  );
  expect(days).toHaveLength(7);
  expect(days.map((day) => day.pieces.map((p) => p.shift.who).join(","))).toEqual(["", "", "Alice,Bob", "", "", "", ""]);
});

it("leaves out shifts outside the window and clips the ones crossing it", () => {
  const tz = "America/New_York";
  const from = startOfDay(Date.parse("2026-12-07T12:00:00Z"), tz);
  const until = startOfDay(from, tz, 1);
  const days = agenda(
    [shift("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"), shift("2026-12-07T00:00:00Z", "2026-12-07T15:00:00Z")],
    from,
    until,
    tz,
  );
  expect(days.map((day) => day.pieces.map((p) => p.label))).toEqual([["00:00–10:00"]]);
});

it("says how long a shift lasts", () => {
  expect(duration(shift("2026-12-07T00:00:00Z", "2026-12-07T00:45:00Z"))).toBe("45 min");
  expect(duration(shift("2026-12-07T00:00:00Z", "2026-12-07T08:30:00Z"))).toBe("8 h 30 min");
  expect(duration(shift("2026-12-07T00:00:00Z", "2026-12-08T04:00:00Z"))).toBe("1 d 4 h");
});
