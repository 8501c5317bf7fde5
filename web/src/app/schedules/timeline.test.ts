import { describe, expect, it } from "vitest";
import { piecesIn, shiftedFrom, spanLabel, timelineWeeks, timelineWindow } from "./timeline";

const params = (text: string) => new URLSearchParams(text);

describe("timelineWindow", () => {
  it("starts on this week's Monday in the zone, two weeks by default", () => {
    // Wed 9 Dec 2026 03:00 UTC is still Tuesday 8 Dec in New York.
    const now = Date.parse("2026-12-09T03:00:00Z");
    const window = timelineWindow(params(""), now, "America/New_York");
    expect(new Date(window.from).toISOString()).toBe("2026-12-07T05:00:00.000Z");
    expect(window.weeks).toBe(2);
    expect(new Date(window.until).toISOString()).toBe("2026-12-21T05:00:00.000Z");
  });
  it("takes from and 1 to 4 weeks from the address, ignoring anything else", () => {
    const now = Date.parse("2026-12-09T03:00:00Z");
    const window = timelineWindow(params("from=2027-03-08&weeks=4"), now, "Europe/Berlin");
    expect(new Date(window.from).toISOString()).toBe("2027-03-07T23:00:00.000Z");
    expect(window.weeks).toBe(4);
    // Four weeks across the spring-forward (28 March 2027): an hour short.
    expect(window.until - window.from).toBe((28 * 24 - 1) * 3_600_000);
    expect(timelineWindow(params("weeks=5"), now, "UTC").weeks).toBe(2);
    expect(timelineWindow(params("weeks=0"), now, "UTC").weeks).toBe(2);
    expect(timelineWindow(params("weeks=1.5&from=junk"), now, "UTC").from).toBe(Date.parse("2026-12-07T00:00:00Z"));
  });
  it("pages by its own length", () => {
    const window = timelineWindow(params("from=2027-03-22&weeks=1"), 0, "Europe/Berlin");
    expect(shiftedFrom(window, "Europe/Berlin", 1)).toBe("2027-03-29");
    expect(shiftedFrom(window, "Europe/Berlin", -1)).toBe("2027-03-15");
  });
});

describe("timelineWeeks", () => {
  it("draws the days of a daylight-saving change at their real length", () => {
    const zone = "Europe/Berlin";
    const [spring] = timelineWeeks(timelineWindow(params("from=2027-03-22&weeks=1"), 0, zone), zone);
    expect(spring?.days.map((day) => day.hours)).toEqual([24, 24, 24, 24, 24, 24, 23]);
    expect(spring?.days[6]?.title).toBe("Sun 28 Mar");
    const [autumn] = timelineWeeks(timelineWindow(params("from=2027-10-25&weeks=1"), 0, zone), zone);
    expect(autumn?.days.map((day) => day.hours)).toEqual([24, 24, 24, 24, 24, 24, 25]);
  });
});

describe("piecesIn", () => {
  const zone = "Europe/Berlin";
  const [week] = timelineWeeks(timelineWindow(params("from=2027-03-22&weeks=1"), 0, zone), zone);

  it("places a shift by its share of the week and cuts it at the week's edges", () => {
    if (!week) throw new Error("no week");
    const shifts = [
      { start: "2027-03-20T08:00:00Z", end: "2027-03-23T08:00:00Z", who: "before" },
      { start: "2027-03-28T07:00:00Z", end: "2027-04-04T07:00:00Z", who: "after" },
      { start: "2027-04-10T07:00:00Z", end: "2027-04-11T07:00:00Z", who: "outside" },
    ];
    const pieces = piecesIn(shifts, week);
    expect(pieces.map((piece) => piece.item.who)).toEqual(["before", "after"]);
    const total = 167; // hours: the week loses one
    expect(pieces[0]?.left).toBe(0);
    expect(pieces[0]?.width).toBeCloseTo(((24 + 9) / total) * 100);
    expect(pieces[0]?.continuesBefore).toBe(true);
    // 09:00 local on the 23-hour Sunday is 6 × 24 + 8 hours into the week.
    expect(pieces[1]?.left).toBeCloseTo(((6 * 24 + 8) / total) * 100);
    expect(pieces[1]?.continuesAfter).toBe(true);
  });
  it("says a shift's times on the zone's clock on either side of the change", () => {
    expect(spanLabel({ start: "2027-03-27T08:00:00Z", end: "2027-03-28T07:00:00Z" }, zone)).toBe("Sat 27 Mar 09:00 – Sun 28 Mar 09:00");
  });
});
