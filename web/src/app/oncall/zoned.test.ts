import { describe, expect, it } from "vitest";
import { clock, dayKey, fromInputs, startOfDay, startOfWeek, toInputs, zonedInstant, zonedParts } from "./zoned";

const at = (iso: string) => Date.parse(iso);

describe("zoned calendar", () => {
  it("reads the wall clock of the zone, not the browser's", () => {
    const p = zonedParts(at("2026-12-02T23:30:00Z"), "Europe/Berlin");
    expect([p.year, p.month, p.day, p.hour, p.minute, p.weekday]).toEqual([2026, 12, 3, 0, 30, 3]);
    expect(dayKey(at("2026-12-02T23:30:00Z"), "America/New_York")).toBe("2026-12-02");
    expect(clock(at("2026-12-02T23:30:00Z"), "Asia/Kolkata")).toBe("05:00");
  });

  it("finds midnight in the zone, also on the 23- and 25-hour days", () => {
    expect(new Date(startOfDay(at("2026-12-02T23:30:00Z"), "Europe/Berlin")).toISOString()).toBe("2026-12-02T23:00:00.000Z");
    // Berlin springs forward on 29 March 2026: that day has 23 hours.
    const spring = startOfDay(at("2026-03-29T12:00:00Z"), "Europe/Berlin");
    expect(new Date(spring).toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(startOfDay(spring, "Europe/Berlin", 1) - spring).toBe(23 * 3600_000);
    // and falls back on 25 October 2026: 25 hours.
    const autumn = startOfDay(at("2026-10-25T12:00:00Z"), "Europe/Berlin");
    expect(startOfDay(autumn, "Europe/Berlin", 1) - autumn).toBe(25 * 3600_000);
  });

  it("starts weeks on Monday in the zone", () => {
    // Sunday 6 December 2026 at 20:00 in New York is already Monday in UTC.
    const sunday = at("2026-12-07T01:00:00Z");
    expect(new Date(startOfWeek(sunday, "America/New_York")).toISOString()).toBe("2026-11-30T05:00:00.000Z");
    expect(new Date(startOfWeek(sunday, "UTC")).toISOString()).toBe("2026-12-07T00:00:00.000Z");
    expect(new Date(startOfWeek(sunday, "UTC", 1)).toISOString()).toBe("2026-12-14T00:00:00.000Z");
  });

  it("turns a date and time typed in the zone into the instant", () => {
    expect(new Date(zonedInstant(2026, 7, 1, 9, 0, "America/Los_Angeles")).toISOString()).toBe("2026-07-01T16:00:00.000Z");
    expect(new Date(zonedInstant(2026, 1, 1, 9, 0, "America/Los_Angeles")).toISOString()).toBe("2026-01-01T17:00:00.000Z");
  });
});

describe("date and time inputs", () => {
  it("show an instant in the zone and read it back", () => {
    const at = Date.parse("2026-12-02T23:30:00Z");
    expect(toInputs(at, "Europe/Berlin")).toEqual({ date: "2026-12-03", time: "00:30" });
    expect(fromInputs("2026-12-03", "00:30", "Europe/Berlin")).toBe(at);
    expect(fromInputs("2026-12-02", "18:30", "America/New_York")).toBe(at);
  });

  it("refuse empty and malformed values", () => {
    expect(fromInputs("", "10:00", "UTC")).toBeNull();
    expect(fromInputs("2026-12-03", "", "UTC")).toBeNull();
    expect(fromInputs("2026-13-03", "10:00", "UTC")).toBeNull();
    expect(fromInputs("2026-12-03", "25:00", "UTC")).toBeNull();
  });
});
