import { expect, it } from "vitest";
import { sortOpen } from "./order";

it("puts HIGH before LOW, then the newest first", () => {
  const alerts = [
    { id: "1", priority: "LOW", createdAt: "2026-01-01T10:00:00Z" },
    { id: "2", priority: "HIGH", createdAt: "2026-01-01T09:00:00Z" },
    { id: "3", priority: "LOW", createdAt: "2026-01-01T11:00:00Z" },
    { id: "4", priority: "HIGH", createdAt: "2026-01-01T12:00:00+02:00" },
    { id: "5", priority: "HIGH", createdAt: "2026-01-01T09:00:00Z" },
  ];
  expect(sortOpen(alerts).map((a) => a.id)).toEqual(["4", "5", "2", "3", "1"]);
});
