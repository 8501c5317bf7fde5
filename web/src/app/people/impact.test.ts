import { describe, expect, it } from "vitest";
import { durationText, gapsBySchedule, levelText } from "./impact";

const primary = { id: "1", name: "Primary" };
const backup = { id: "2", name: "Backup" };

describe("gapsBySchedule", () => {
  it("groups by schedule in the server's order, sorts each schedule's gaps and adds them up", () => {
    const grouped = gapsBySchedule([
      { schedule: primary, start: "2026-03-30T09:00:00Z", end: "2026-03-30T17:00:00Z" },
      { schedule: backup, start: "2026-03-28T00:00:00Z", end: "2026-03-28T01:30:00Z" },
      { schedule: primary, start: "2026-03-29T09:00:00Z", end: "2026-03-29T10:00:00Z" },
    ]);
    expect(grouped.map((entry) => entry.schedule.name)).toEqual(["Primary", "Backup"]);
    expect(grouped[0]?.gaps.map((gap) => gap.start)).toEqual(["2026-03-29T09:00:00Z", "2026-03-30T09:00:00Z"]);
    expect(grouped[0]?.total).toBe(9 * 3_600_000);
    expect(grouped[1]?.total).toBe(90 * 60_000);
  });

  it("counts real elapsed time across a daylight-saving change (the instants are UTC)", () => {
    // 2026-03-29 in Europe/Berlin has 23 hours: midnight to midnight local is 23 h.
    const [entry] = gapsBySchedule([{ schedule: primary, start: "2026-03-28T23:00:00Z", end: "2026-03-29T22:00:00Z" }]);
    expect(durationText(entry?.total ?? 0)).toBe("23 h");
  });

  it("is empty without gaps", () => {
    expect(gapsBySchedule([])).toEqual([]);
  });
});

describe("durationText", () => {
  it("reads largest units first, minutes dropped once there are days", () => {
    expect(durationText(45 * 60_000)).toBe("45 min");
    expect(durationText((5 * 60 + 30) * 60_000)).toBe("5 h 30 min");
    expect(durationText((3 * 1440 + 4 * 60 + 10) * 60_000)).toBe("3 d 4 h");
    expect(durationText(7 * 1440 * 60_000)).toBe("7 d");
    expect(durationText(0)).toBe("0 min");
  });
});

describe("levelText", () => {
  it("numbers a level by its rank among the policy's rules", () => {
    const policy = { id: "5", name: "Ops policy", rules: [{ position: 4 }, { position: 0 }, { position: 2 }] };
    expect(levelText({ policy, position: 2 })).toBe("Ops policy, level 2");
    expect(levelText({ policy, position: 0 })).toBe("Ops policy, level 1");
  });
});
