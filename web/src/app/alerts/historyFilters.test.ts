import { expect, it } from "vitest";
import { filtersToSearch, historyVariables, readFilters } from "./historyFilters";

it("reads and writes the filters through the address", () => {
  const filters = readFilters(new URLSearchParams("status=ANY&priority=HIGH&source=3&text=%20disk%20"));
  expect(filters).toEqual({ status: "ANY", priority: "HIGH", sourceId: "3", teamId: "", text: " disk " });
  expect(filtersToSearch(filters)).toBe("?status=ANY&priority=HIGH&source=3&text=disk");
  expect(historyVariables(filters, "c1")).toEqual({ status: null, priority: "HIGH", sourceId: "3", teamId: null, text: "disk", after: "c1" });
});

it("defaults to resolved alerts and ignores values it does not know", () => {
  const filters = readFilters(new URLSearchParams("status=bogus&priority=URGENT"));
  expect(filters.status).toBe("RESOLVED");
  expect(filters.priority).toBe("");
  expect(filtersToSearch(filters)).toBe("");
  expect(historyVariables(filters, null).status).toEqual(["RESOLVED"]);
});
