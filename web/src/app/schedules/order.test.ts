import { describe, expect, it } from "vitest";
import { moveItem, movedText } from "./order";
import { describeRotation, formatRotation, parseRotation } from "./rotation";

describe("moveItem", () => {
  it("moves up, down and to either end", () => {
    expect(moveItem(["a", "b", "c"], 1, 0)).toEqual(["b", "a", "c"]);
    expect(moveItem(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveItem(["a", "b", "c"], 0, 2)).toEqual(["b", "c", "a"]);
    expect(moveItem(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
  });
  it("clamps at the ends and leaves the input alone", () => {
    const items = ["a", "b"];
    expect(moveItem(items, 0, -1)).toEqual(["a", "b"]);
    expect(moveItem(items, 1, 5)).toEqual(["a", "b"]);
    expect(moveItem(items, 4, 0)).toEqual(["a", "b"]);
    expect(items).toEqual(["a", "b"]);
  });
  it("announces positions counted from one", () => {
    expect(movedText("Bob", 0, 3)).toBe("Bob moved to position 1 of 3");
  });
});

describe("rotation lengths", () => {
  it("reads what the form can show", () => {
    expect(parseRotation("P7D")).toEqual({ count: 1, unit: "weeks" });
    expect(parseRotation("P14D")).toEqual({ count: 2, unit: "weeks" });
    expect(parseRotation("P1W")).toEqual({ count: 1, unit: "weeks" });
    expect(parseRotation("P3D")).toEqual({ count: 3, unit: "days" });
    expect(parseRotation("PT12H")).toEqual({ count: 12, unit: "hours" });
    expect(parseRotation("PT1H30M")).toBeNull();
  });
  it("writes durations the server takes", () => {
    expect(formatRotation({ count: 1, unit: "weeks" })).toBe("P7D");
    expect(formatRotation({ count: 2, unit: "days" })).toBe("P2D");
    expect(formatRotation({ count: 8, unit: "hours" })).toBe("PT8H");
  });
  it("describes in words", () => {
    expect(describeRotation("P7D")).toBe("1 week");
    expect(describeRotation("PT12H")).toBe("12 hours");
    expect(describeRotation("PT1H30M")).toBe("PT1H30M");
  });
});
