import { describe, expect, it } from "vitest";
import { describeWeekly, exceptionsFromJson, exceptionsToJson, officeHours, weeklyFromJson } from "./supportHours";

describe("support hours rows", () => {
  it("reads the weekly windows the server keeps, skipping what is not one", () => {
    const stored = [{ day: "MONDAY", start: "09:00", end: "17:00" }, { day: "FUNDAY", start: "1", end: "2" }, "x"];
    expect(weeklyFromJson(stored)).toEqual([{ day: "MONDAY", start: "09:00", end: "17:00" }]);
    expect(weeklyFromJson(null)).toEqual([]);
  });

  it("writes an exception closed or with its own hours", () => {
    const rows = [
      { date: "2026-12-24", closed: true, start: "10:00", end: "12:00" },
      { date: "2026-12-31", closed: false, start: "10:00", end: "14:00" },
    ];
    const json = exceptionsToJson(rows);
    expect(json).toEqual([{ date: "2026-12-24", closed: true }, { date: "2026-12-31", start: "10:00", end: "14:00" }]);
    expect(exceptionsFromJson(json)).toEqual([{ ...rows[0], start: "", end: "" }, rows[1]]);
  });

  it("describes the week in a line", () => {
    expect(describeWeekly(officeHours().slice(0, 2))).toBe("Mon 09:00–17:00, Tue 09:00–17:00");
    expect(describeWeekly([])).toBe("no weekly hours");
  });
});
