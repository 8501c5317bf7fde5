import { describe, expect, it } from "vitest";
import { fromLocalInput, toLocalInput } from "./times";

describe("datetime-local values", () => {
  it("go to an instant and back, in the browser's zone", () => {
    const iso = fromLocalInput("2026-03-29T01:30");
    expect(iso).not.toBeNull();
    expect(toLocalInput(iso as string)).toBe("2026-03-29T01:30");
  });

  it("name no instant when empty or malformed", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("tomorrow")).toBeNull();
  });
});
